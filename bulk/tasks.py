"""Celery tasks of bulk: thin wrappers around its services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from inventory_site.locks import job_lock

from .services import import_run_execute

logger = logging.getLogger(__name__)

TASK_OPTIONS = {
    # The whole import is one transaction and a finished run is never repeated,
    # so a message redelivered after a worker died is safe: acks_late. Limits nest
    # like the nightly jobs' (time limit < lock expiry < visibility timeout).
    "acks_late": True,
    "time_limit": settings.NIGHTLY_TASK_TIME_LIMIT,
    "soft_time_limit": settings.NIGHTLY_TASK_SOFT_TIME_LIMIT,
}


def _import_run(run_id: int) -> str:
    with job_lock(f"import-run-{run_id}") as acquired:
        if not acquired:
            logger.warning("Import run %s skipped: %s.", run_id, acquired.message)
            return "skipped"
        return import_run_execute(run_id=run_id).status


@shared_task(**TASK_OPTIONS)
def import_run_task(run_id: int) -> str:
    """Import the file of one background import run."""
    return _import_run(run_id)


@shared_task(name="items.tasks.import_run_task", **TASK_OPTIONS)
def import_run_task_before_bulk(run_id: int) -> str:
    """The same task under its name from before ``bulk`` existed, for messages
    a broker still holds from then (the migration renames pending outbox jobs)."""
    return _import_run(run_id)
