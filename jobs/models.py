from django.db import models
from django.utils import timezone


class JobStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the broker"
    SENT = "sent", "Sent to a worker"


class Job(models.Model):
    """A Celery task recorded in the database before it is sent (an outbox).

    If the broker is down when a request enqueues work, the row stays pending and
    ``jobs_flush_task`` sends it once the broker is back: nothing is lost and no
    request waits on the broker.
    """

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=8, choices=JobStatus.choices, default=JobStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(status=JobStatus.PENDING),
                name="job_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_name} ({self.status})"
