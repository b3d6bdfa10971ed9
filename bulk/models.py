"""Import runs: the admin's imports, recorded (bulk.services)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ImportRunStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for a worker"
    RUNNING = "running", "Checking and writing"
    SUCCEEDED = "succeeded", "Imported"
    FAILED = "failed", "Not imported (errors)"


class ImportRun(models.Model):
    """An admin import: a large one done in the background by a Celery worker, or
    a confirmed preview imported in the request (recorded when it succeeds).

    The uploaded file is kept in the database (so any worker on any machine can
    read it) until the import has finished; the outcome — counts, or every error
    by line and column — stays for the admin to read.
    """

    resource = models.CharField(
        max_length=200, help_text="Dotted path of the import resource class."
    )
    upload_key = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="One key per confirmed upload (a preview's or an upload form's): "
        "a second confirmation of the same upload is refused, so a file is "
        "imported at most once.",
    )
    model_label = models.CharField(max_length=100)
    file_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=8)
    content = models.BinaryField(editable=False, default=b"")
    rows_total = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=16, choices=ImportRunStatus.choices, default=ImportRunStatus.QUEUED
    )
    counts = models.JSONField(
        default=dict, blank=True, help_text="Rows created, updated and unchanged."
    )
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "items_importrun"  # its table from before bulk/ (no data moved)
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Import of {self.file_name} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (ImportRunStatus.SUCCEEDED, ImportRunStatus.FAILED)

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at or timezone.now()
        return (end - self.started_at).total_seconds()
