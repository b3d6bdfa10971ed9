"""Nightly jobs: thin Celery tasks around the services.

Beat (``CELERY_BEAT_SCHEDULE``) starts ``nightly_planning_task`` at 02:00 site time;
it queues the chain reclassify → supplier scores → suggestions, each step a task of
its own with its own time limit. Every step is idempotent and holds a lock (a
cache key with an expiry) while it runs, so a second beat, a redelivered message or
a manual run arriving meanwhile skips instead of overlapping. That makes
``acks_late`` safe for these steps (as for a background import, whose run is one
transaction): a step whose worker died is delivered again after the broker's
visibility timeout, by when its lock has expired. Other tasks keep the default.

A step that fails is logged and recorded (a classification run is marked failed)
but does not stop the chain: suggestions from yesterday's classes are better than
none. A lock that cannot be taken because the cache is unreachable means the step
does not run (and says so); a run left "running" by a killed process is marked
failed when the next one starts.
"""

from __future__ import annotations

import logging
from datetime import date

from celery import chain, group, shared_task
from django.conf import settings
from django.utils import timezone

from inventory_site.locks import job_lock, lock_add
from items.models import ClassificationRun
from suppliers.services import supplier_scores_refresh

from .classification import items_reclassify
from .digest import digest_chunk_done, digest_night_start, digest_send
from .generation import item_id_ranges, suggestions_generate, task_ranges
from .models import Backtest, BacktestStatus
from .services import (
    backtest_fail,
    backtest_run_chunk,
    backtest_start,
    classification_run_skip,
    classification_runs_fail_stale,
)

logger = logging.getLogger(__name__)


def _skipped(lock, **result) -> dict:
    """A step's result when it did not get its lock (the reason only when the
    cache was unreachable: a held lock is the ordinary case)."""
    if lock.reason == "held":
        return {"status": "skipped", **result}
    return {"status": "skipped", "reason": lock.reason, **result}


NIGHTLY = {
    "acks_late": True,
    "time_limit": settings.NIGHTLY_TASK_TIME_LIMIT,
    "soft_time_limit": settings.NIGHTLY_TASK_SOFT_TIME_LIMIT,
}
RECLASSIFY_LOCK = "reclassify"
SUPPLIER_SCORES_LOCK = "supplier-scores"
SUGGESTIONS_LOCK = "suggestions"


@shared_task(**NIGHTLY)
def reclassify_task(run_id: int | None = None) -> dict:
    """ABC/XYZ and policies for every item; ``run_id`` continues a pending run."""
    run = ClassificationRun.objects.get(pk=run_id) if run_id is not None else None
    with job_lock(RECLASSIFY_LOCK) as acquired:
        if not acquired:
            if acquired.reason == "held":
                classification_runs_fail_stale(lock_held=False)
            run = classification_run_skip(run=run, reason=acquired.message)
            logger.warning("Reclassification skipped: %s.", acquired.message)
            return {"run": run.pk, **_skipped(acquired)}
        classification_runs_fail_stale(lock_held=True, exclude=run)
        try:
            run = items_reclassify(run=run)
        except Exception:
            logger.exception("Reclassification failed; yesterday's classes stay.")
            return {"run": None if run is None else run.pk, "status": "failed"}
    logger.info(
        "Reclassified %s items, %s changed (run %s, %.1f s).",
        run.items_total,
        run.items_changed,
        run.pk,
        run.duration_seconds,
    )
    return {"run": run.pk, "status": run.status, "changed": run.items_changed}


@shared_task(**NIGHTLY)
def supplier_scores_refresh_task() -> dict:
    with job_lock(SUPPLIER_SCORES_LOCK) as acquired:
        if not acquired:
            logger.warning("Supplier scores skipped: %s.", acquired.message)
            return _skipped(acquired)
        try:
            count = supplier_scores_refresh()
        except Exception:
            logger.exception("Supplier scores failed; yesterday's scores stay.")
            return {"status": "failed"}
    logger.info("Scored %s suppliers.", count)
    return {"status": "succeeded", "suppliers": count}


@shared_task(**NIGHTLY)
def suggestions_generate_task(today: str | None = None) -> dict:
    """Fan out: one ``suggestions_generate_chunk_task`` per range of item ids
    (``SUGGESTION_TASK_CHUNKS`` chunks of ``SUGGESTION_CHUNK_SIZE`` items), as a
    Celery group, so several workers on several machines share the work. One
    worker running every range gives the same result (ranges never overlap);
    inside a range each chunk's reads run while the one before is planned
    (``generation.suggestions_generate_ranges``)."""
    with job_lock(SUGGESTIONS_LOCK) as acquired:
        if not acquired:
            logger.warning("Suggestions skipped: %s.", acquired.message)
            return _skipped(acquired)
        today = today or timezone.localdate().isoformat()
        ranges = task_ranges(
            item_id_ranges(settings.SUGGESTION_CHUNK_SIZE),
            chunks=settings.SUGGESTION_TASK_CHUNKS,
        )
        # the chunk that finishes last queues the daily digest (replenishment.digest)
        digest_night_start(today=date.fromisoformat(today), chunks=len(ranges))
        if ranges:
            group(
                suggestions_generate_chunk_task.si(first_id, last_id, today)
                for first_id, last_id in ranges
            ).apply_async()
    logger.info("Suggestions: %s ranges queued for %s.", len(ranges), today)
    return {"status": "queued", "chunks": len(ranges)}


@shared_task(**NIGHTLY)
def suggestions_generate_chunk_task(first_id: int, last_id: int, today: str) -> dict:
    """Plan the items with ids in [first_id, last_id] as of ``today``, in chunks
    of ``SUGGESTION_CHUNK_SIZE`` items."""
    with job_lock(f"{SUGGESTIONS_LOCK}:{first_id}-{last_id}") as acquired:
        if not acquired:
            return _skipped(acquired)  # a duplicate: the other one counts
        try:
            result = suggestions_generate(
                today=date.fromisoformat(today),
                chunk_size=settings.SUGGESTION_CHUNK_SIZE,
                first_id=first_id,
                last_id=last_id,
            )
        finally:  # a failed chunk counts too: the digest still goes out
            digest_chunk_done(today=date.fromisoformat(today))
    return {
        "status": "succeeded",
        "items": result.items,
        "created": result.created,
        "kept": result.kept,
        "superseded": result.superseded,
    }


@shared_task
def digest_send_task(today: str) -> dict:
    """E-mail the day's digest to the users who opted in (queued through the
    outbox by the last suggestion chunk); a second delivery sends nothing."""
    sent = digest_send(today=date.fromisoformat(today))
    return {"status": "succeeded", "sent": sent}


def nightly_chain():
    """The nightly steps, in order; each step ignores the previous one's result."""
    return chain(
        reclassify_task.si(),
        supplier_scores_refresh_task.si(),
        suggestions_generate_task.si(),
    )


NIGHT_GUARD_SECONDS = 20 * 60 * 60


@shared_task
def nightly_planning_task(night: str | None = None) -> dict:
    """Beat's entry point: queue the nightly chain once per night (returns at
    once). A second beat, or the same message delivered twice, finds the night's
    key already taken and queues nothing; manual runs use the steps directly.
    An unreachable cache queues nothing either (and says so)."""
    night = night or timezone.localdate().isoformat()
    guard = lock_add(f"nightly-planning:{night}", "queued", NIGHT_GUARD_SECONDS)
    if not guard:
        if guard.reason == "held":
            logger.warning("Nightly planning for %s already queued; skipped.", night)
        else:
            logger.error(
                "Nightly planning for %s not queued: %s.", night, guard.message
            )
        return _skipped(guard, night=night)
    nightly_chain().apply_async()
    return {"status": "queued", "night": night}


# --- backtests (DESIGN §6) ---

BACKTEST = {
    "time_limit": settings.NIGHTLY_TASK_TIME_LIMIT,
    "soft_time_limit": settings.NIGHTLY_TASK_SOFT_TIME_LIMIT,
}


@shared_task(**BACKTEST)
def backtest_task(run_id: int) -> dict:
    """Fan a stored backtest out: one ``backtest_chunk_task`` per range of item
    ids (a Celery group, like suggestion generation); the chunk that completes
    the count writes the report."""
    run = Backtest.objects.get(pk=run_id)
    if run.status != BacktestStatus.PENDING:
        return {"run": run_id, "status": run.status}  # a redelivered message
    try:
        ranges = backtest_start(run=run, chunk_size=settings.SUGGESTION_CHUNK_SIZE)
    except Exception as error:
        logger.exception("Backtest %s failed to start.", run_id)
        backtest_fail(run_id=run_id, message=f"{error.__class__.__name__}: {error}")
        return {"run": run_id, "status": "failed"}
    if ranges:
        group(
            backtest_chunk_task.si(run_id, first_id, last_id)
            for first_id, last_id in ranges
        ).apply_async()
    return {"run": run_id, "status": "running", "chunks": len(ranges)}


@shared_task(**BACKTEST)
def backtest_chunk_task(run_id: int, first_id: int, last_id: int) -> dict:
    """Replay the items with ids in [first_id, last_id] for a stored run."""
    run = Backtest.objects.get(pk=run_id)
    if run.status != BacktestStatus.RUNNING:
        return {"run": run_id, "status": run.status}
    try:
        run = backtest_run_chunk(run=run, first_id=first_id, last_id=last_id)
    except Exception as error:
        logger.exception("Backtest %s chunk %s-%s failed.", run_id, first_id, last_id)
        backtest_fail(run_id=run_id, message=f"{error.__class__.__name__}: {error}")
        return {"run": run_id, "status": "failed"}
    return {"run": run_id, "status": run.status, "done": run.chunks_done}
