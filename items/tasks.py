"""Celery tasks of the items app: thin wrappers around services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from inventory_site.locks import job_lock

from .import_runs import import_run_execute

logger = logging.getLogger(__name__)


@shared_task(
    # The whole import is one transaction and a finished run is never repeated,
    # so a message redelivered after a worker died is safe: acks_late. Limits nest
    # like the nightly jobs' (time limit < lock expiry < visibility timeout).
    acks_late=True,
    time_limit=settings.NIGHTLY_TASK_TIME_LIMIT,
    soft_time_limit=settings.NIGHTLY_TASK_SOFT_TIME_LIMIT,
)
def import_run_task(run_id: int) -> str:
    """Import the file of one background import run."""
    with job_lock(f"import-run-{run_id}") as acquired:
        if not acquired:
            logger.warning("Import run %s skipped: %s.", run_id, acquired.message)
            return "skipped"
        return import_run_execute(run_id=run_id).status
