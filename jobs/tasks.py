from celery import shared_task

from .services import jobs_send_pending


@shared_task(ignore_result=True)
def jobs_flush_task() -> int:
    """Send jobs that could not be sent when they were enqueued."""
    return jobs_send_pending()
