"""Send Celery tasks without ever making a request wait on, or fail because of,
the broker: record the job, send it after commit with a short timeout, and let
``jobs_flush_task`` resend whatever could not be sent."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models import Job, JobStatus

logger = logging.getLogger(__name__)
RESEND_AFTER = timedelta(seconds=30)


def job_enqueue(*, task_name: str, args=(), kwargs=None) -> Job:
    """Record a job in the current transaction; send it once that commits."""
    job = Job.objects.create(task_name=task_name, args=list(args), kwargs=kwargs or {})
    transaction.on_commit(lambda: job_send(job_id=job.pk))
    return job


def job_send(*, job_id: int) -> bool:
    """Try to publish one pending job; True when the broker took it. One
    attempt with short socket timeouts (``BROKER_REQUEST_TIMEOUT``): a broker
    that is down or hangs costs the request about a second, and the job stays
    pending for ``jobs_flush_task``."""
    from inventory_site.celery import app, request_connection

    job = Job.objects.filter(pk=job_id, status=JobStatus.PENDING).first()
    if job is None:
        return False
    try:
        with request_connection() as connection:
            connection.ensure_connection(max_retries=0)
            app.send_task(
                job.task_name,
                args=job.args,
                kwargs=job.kwargs,
                connection=connection,
                retry=False,  # fail fast; the outbox retries later
                task_id=f"job-{job.pk}-{job.attempts}",
            )
    except Exception as error:  # noqa: BLE001 - any broker failure keeps it pending
        Job.objects.filter(pk=job.pk).update(
            attempts=job.attempts + 1,
            last_error=f"{error.__class__.__name__}: {error}"[:255],
        )
        logger.warning("Broker unavailable; job %s stays pending: %s", job.pk, error)
        return False
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.SENT, sent_at=timezone.now(), attempts=job.attempts + 1
    )
    return True


def jobs_send_pending(*, older_than: timedelta = RESEND_AFTER, limit: int = 500) -> int:
    """Resend pending jobs that have waited at least ``older_than``."""
    cutoff = timezone.now() - older_than
    ids = list(
        Job.objects.filter(status=JobStatus.PENDING, created_at__lte=cutoff)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for job_id in ids:
        if not job_send(job_id=job_id):
            break  # the broker is still down; try again next time
        sent += 1
    return sent
