"""Import runs: large imports done in the background (the admin hands a file of
more than ``IMPORT_BACKGROUND_ROWS`` rows to a Celery worker instead of making the
request wait), and confirmed previews recorded.

``import_run_start`` keeps the file in the database and queues the task through
the outbox (so a broker outage loses nothing); ``import_run_execute`` imports it
with the same resource, all or nothing, and records the outcome. It is safe to
run twice: a finished run is left alone, and an interrupted one (a worker killed
mid-import) was rolled back by the database and simply runs again.

An upload is imported at most once: each run may carry an ``upload_key`` (the
preview's stored file name when a preview is confirmed, the upload form's key for
a background run), unique in the database. ``import_run_claim`` inserts the run
inside the caller's transaction: a second confirmation of the same upload — a
double click, a resent form, two tabs — waits for the first to commit and then
gets ``ImportAlreadyApplied`` instead of posting the file again. If the first
import fails, its claim is rolled back with it and the upload may be confirmed
again.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string
from import_export.results import RowResult

from jobs.services import job_enqueue

from .errors import ImportAlreadyApplied, ImportFileError
from .models import ImportRun, ImportRunStatus
from .readers import read_csv, read_xlsx
from .resources import result_issues

logger = logging.getLogger(__name__)

IMPORT_RUN_TASK = "bulk.tasks.import_run_task"
FORMATS = {"csv": read_csv, "xlsx": read_xlsx}


def _resource_path(resource_class: type) -> str:
    return f"{resource_class.__module__}.{resource_class.__qualname__}"


def import_run_claim(
    *,
    upload_key: str,
    resource_class: type,
    model_label: str,
    file_name: str,
    file_format: str,
    user=None,
) -> ImportRun:
    """Claim ``upload_key`` for an import done now, in the caller's transaction
    (see the module docstring); raises ``ImportAlreadyApplied`` when the key is
    taken. The caller imports, then calls ``import_run_record``."""
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction survives
            return ImportRun.objects.create(
                upload_key=upload_key,
                resource=_resource_path(resource_class),
                model_label=model_label,
                file_name=file_name[:255],
                file_format=file_format,
                status=ImportRunStatus.RUNNING,
                started_at=timezone.now(),
                attempts=1,
                requested_by=user,
            )
    except IntegrityError:
        raise ImportAlreadyApplied(upload_key) from None


def import_run_record(*, run: ImportRun, result) -> ImportRun:
    """Record the successful outcome of a claimed import."""
    totals = result.totals
    run.status = ImportRunStatus.SUCCEEDED
    run.rows_total = result.total_rows
    run.counts = {
        "created": totals[RowResult.IMPORT_TYPE_NEW],
        "updated": totals[RowResult.IMPORT_TYPE_UPDATE],
        "unchanged": totals[RowResult.IMPORT_TYPE_SKIP],
    }
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "rows_total", "counts", "finished_at"])
    return run


def import_run_start(
    *,
    resource_class: type,
    model_label: str,
    file_name: str,
    file_format: str,
    content: bytes,
    rows_total: int,
    user=None,
    upload_key: str | None = None,
) -> ImportRun:
    """Record the file and queue its import; the task is sent after commit.
    Raises ``ImportAlreadyApplied`` when ``upload_key`` was used before."""
    if file_format not in FORMATS:
        raise ValueError(f"Unsupported import format {file_format!r}.")
    try:
        with transaction.atomic():
            run = ImportRun.objects.create(
                upload_key=upload_key or None,
                resource=_resource_path(resource_class),
                model_label=model_label,
                file_name=file_name[:255],
                file_format=file_format,
                content=content,
                rows_total=rows_total,
                requested_by=user,
            )
            job_enqueue(task_name=IMPORT_RUN_TASK, args=[run.pk])
    except IntegrityError:
        if upload_key and ImportRun.objects.filter(upload_key=upload_key).exists():
            raise ImportAlreadyApplied(upload_key) from None
        raise
    return run


def import_run_execute(*, run_id: int) -> ImportRun:
    """Import the run's file (all or nothing) and record counts or errors."""
    run = ImportRun.objects.select_related("requested_by").get(pk=run_id)
    if run.finished:
        return run
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRunStatus.RUNNING,
        started_at=timezone.now(),
        finished_at=None,
        attempts=F("attempts") + 1,
    )
    counts: dict[str, int] = {}
    rows_total = run.rows_total
    try:
        table = FORMATS[run.file_format](bytes(run.content))
        rows_total = len(table)  # exact (the request may only have estimated)
        resource = import_string(run.resource)()
        result = resource.import_data(
            table, dry_run=False, preview=False, user=run.requested_by
        )
    except ImportFileError as error:
        issues = [str(error)]
    except Exception as error:  # noqa: BLE001 - recorded for the admin, then logged
        logger.exception("Import run %s failed.", run.pk)
        issues = [
            f"The import stopped on an unexpected error ({type(error).__name__}: "
            f"{error}); nothing was written."
        ]
    else:
        issues = result_issues(result)
        totals = result.totals
        counts = {
            "created": totals[RowResult.IMPORT_TYPE_NEW],
            "updated": totals[RowResult.IMPORT_TYPE_UPDATE],
            "unchanged": totals[RowResult.IMPORT_TYPE_SKIP],
        }
    kept = settings.IMPORT_ERRORS_KEPT
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRunStatus.FAILED if issues else ImportRunStatus.SUCCEEDED,
        counts={} if issues else counts,
        errors=issues[:kept],
        error_count=len(issues),
        rows_total=rows_total,
        content=b"",  # the outcome is kept; the file is not needed any more
        finished_at=timezone.now(),
    )
    run.refresh_from_db()
    logger.info(
        "Import run %s of %s (%s rows): %s.",
        run.pk,
        run.file_name,
        run.rows_total,
        run.status,
    )
    return run
