"""Write services of replenishment: acting on suggestions (accept, dismiss,
undo an accept), and the records of classification runs and backtests
(request, start, count chunks, finish, fail). Generation is in
``generation.py``, the classification in ``classification.py``, the replay in
``backtest.py`` / ``backtest_runner.py``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from inventory_site.formatting import exact
from items.models import ClassificationRun, ClassificationRunStatus
from jobs.services import job_enqueue
from suppliers.models import Delivery, DeliveryLine
from suppliers.services import (
    DeliveryError,
    LineOrder,
    check_order_quantity,
    delivery_draft_add,
    delivery_line_remove,
)

from .backtest import BacktestTotals
from .backtest_runner import (
    DEFAULT_DAYS,
    DEFAULT_SEED,
    backtest_chunk,
    backtest_header,
    backtest_params,
    check_days,
    check_overrides,
)
from .backtest_selectors import CHUNK_SIZE, backtest_item_ranges
from .models import (
    Backtest,
    BacktestChunk,
    BacktestStatus,
    PolicyParameters,
    Suggestion,
    SuggestionStatus,
)
from .selectors import suggestions_due

logger = logging.getLogger(__name__)


class SuggestionError(Exception):
    """A suggestion cannot be acted on; the message is meant for the user and
    ``code`` names the rule (``not_open`` is a conflict: 409 in the API)."""

    def __init__(self, message: str, *, code: str = "not_open"):
        self.code = code
        super().__init__(message)


# --- acting on suggestions ---


ACCEPTED_MARKER = " Accepted as "


def _user_or_none(user):
    return user if user is not None and user.is_authenticated else None


def suggestions_accept(
    *,
    suggestions: Iterable[Suggestion],
    quantities: Mapping[int, Decimal] | None = None,
    user=None,
) -> list[Delivery]:
    """Accept open suggestions into each supplier's one open draft delivery.

    ``quantities`` (suggestion id → quantity) overrides the suggested quantity;
    the suggestion then keeps both figures (``quantity`` and
    ``accepted_quantity``) and its reason says it was changed. Lines go into the
    supplier's single open draft, or start it (``delivery_draft_add`` locks the
    supplier row, so concurrent accepts never make a second draft). Suggestions
    are locked in id order and suppliers in id order; a suggestion that is no
    longer open, or a bad quantity, refuses the whole call (nothing changes)."""
    quantities = dict(quantities or {})
    ids = sorted({s.pk for s in suggestions})
    if not ids:
        raise SuggestionError(
            "Select at least one suggestion to accept.", code="nothing_selected"
        )
    now = timezone.now()
    decided_by = _user_or_none(user)
    with transaction.atomic():
        locked = list(
            Suggestion.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
            .select_related("item", "supplier", "source")
        )
        not_open = [s for s in locked if s.status != SuggestionStatus.OPEN]
        if len(locked) != len(ids) or not_open:
            skus = ", ".join(s.item.sku for s in not_open) or "unknown ids"
            raise SuggestionError(
                f"Only open suggestions can be accepted ({skus} no longer open); "
                "reload the page."
            )
        accepted: dict[int, Decimal] = {}
        for suggestion in locked:
            quantity = quantities.get(suggestion.pk)
            quantity = suggestion.quantity if quantity is None else quantity
            try:
                accepted[suggestion.pk] = check_order_quantity(
                    item=suggestion.item, quantity=quantity
                )
            except DeliveryError as error:
                raise SuggestionError(str(error), code="invalid_quantity") from None
        by_supplier: dict[int, list[Suggestion]] = defaultdict(list)
        for suggestion in locked:
            by_supplier[suggestion.supplier_id].append(suggestion)
        deliveries = []
        for supplier_id in sorted(by_supplier):
            group = by_supplier[supplier_id]
            delivery = delivery_draft_add(
                supplier=group[0].supplier,
                lines=[
                    LineOrder(s.item, accepted[s.pk], s.source.unit_price)
                    for s in group
                ],
                user=user,
                note="Created from reorder suggestions.",
            )
            unchanged = [s.pk for s in group if accepted[s.pk] == s.quantity]
            Suggestion.objects.filter(pk__in=unchanged).update(
                status=SuggestionStatus.ACCEPTED,
                accepted_quantity=F("quantity"),
                decided_at=now,
                decided_by=decided_by,
                delivery=delivery,
            )
            who = f" by {decided_by.get_username()}" if decided_by else ""
            for s in group:
                if s.pk in unchanged:
                    continue
                s.status = SuggestionStatus.ACCEPTED
                s.accepted_quantity = accepted[s.pk]
                s.reason = (
                    f"{s.reason}{ACCEPTED_MARKER}{exact(accepted[s.pk])} "
                    f"{s.item.unit} instead of the suggested {exact(s.quantity)} "
                    f"(changed{who})."
                )
                s.decided_at, s.decided_by, s.delivery = now, decided_by, delivery
                s.save(
                    update_fields=[
                        "status", "accepted_quantity", "reason", "decided_at",
                        "decided_by", "delivery",
                    ]
                )  # fmt: skip
            deliveries.append(delivery)
    return deliveries


def suggestion_accept(
    *, suggestion: Suggestion, quantity: Decimal | None = None, user=None
) -> Delivery:
    """Accept one suggestion, optionally with a changed quantity."""
    quantities = {suggestion.pk: quantity} if quantity is not None else None
    return suggestions_accept(
        suggestions=[suggestion], quantities=quantities, user=user
    )[0]


def suggestions_accept_due(
    *, supplier, user=None, today: date | None = None, include_early: bool = False
) -> tuple[Delivery, int]:
    """Accept all of a supplier's due suggestions (every one, not a page of them)
    into its draft; returns the draft and how many were accepted. Only those due
    (order-by today or earlier) unless staff choose ``include_early``: a
    suggestion due later can wait, and ordering it now only raises stock."""
    due = list(
        suggestions_due(
            supplier=supplier, today=today, include_early=include_early
        ).only("pk")
    )
    if not due:
        raise SuggestionError(
            f"{supplier.code} has no open suggestions"
            + ("." if include_early else " due today."),
            code="none_due",
        )
    return suggestions_accept(suggestions=due, user=user)[0], len(due)


def draft_line_remove(*, line: DeliveryLine, user=None) -> Suggestion | None:
    """Remove a line from a draft delivery (undo an accept) and reopen the
    suggestion it came from, so the item is not silently dropped from
    replenishment. Returns the reopened suggestion (None if the line did not come
    from one, or the item has a newer open suggestion already)."""
    with transaction.atomic():
        delivery = delivery_line_remove(line=line)
        sources = list(
            Suggestion.objects.select_for_update()
            .filter(
                delivery=delivery,
                item_id=line.item_id,
                status=SuggestionStatus.ACCEPTED,
            )
            .order_by("-decided_at", "-pk")
        )
        if not sources:
            return None
        newest, older = sources[0], sources[1:]
        now = timezone.now()
        if older:
            Suggestion.objects.filter(pk__in=[s.pk for s in older]).update(
                status=SuggestionStatus.SUPERSEDED, delivery=None, decided_at=now
            )
        if Suggestion.objects.open().filter(item_id=line.item_id).exists():
            Suggestion.objects.filter(pk=newest.pk).update(
                status=SuggestionStatus.SUPERSEDED, delivery=None, decided_at=now
            )
            return None
        newest.status = SuggestionStatus.OPEN
        newest.reason = newest.reason.split(ACCEPTED_MARKER, 1)[0]
        newest.accepted_quantity = None
        newest.decided_at = newest.decided_by = newest.delivery = None
        newest.save(
            update_fields=[
                "status", "reason", "accepted_quantity", "decided_at", "decided_by",
                "delivery",
            ]
        )  # fmt: skip
    return newest


def suggestion_dismiss(
    *, suggestion: Suggestion, user=None, snooze_days: int | None = None
) -> Suggestion:
    """Dismiss an open suggestion; the item gets no new one while snoozed."""
    days = (
        snooze_days
        if snooze_days is not None
        else PolicyParameters.current().snooze_days
    )
    with transaction.atomic():
        suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
        if suggestion.status != SuggestionStatus.OPEN:
            raise SuggestionError(
                f"This suggestion is {suggestion.get_status_display().lower()}, "
                "not open."
            )
        suggestion.status = SuggestionStatus.DISMISSED
        suggestion.decided_at = timezone.now()
        suggestion.decided_by = (
            user if user is not None and user.is_authenticated else None
        )
        suggestion.snoozed_until = timezone.localdate() + timedelta(days=days)
        suggestion.save(
            update_fields=["status", "decided_at", "decided_by", "snoozed_until"]
        )
    return suggestion


# --- classification on request ---


def classification_run_request(*, requested_by=None) -> ClassificationRun:
    """Record a pending classification run and queue it for a worker (through
    the jobs outbox: a broker outage delays the run, never the request)."""
    with transaction.atomic():
        run = ClassificationRun.objects.create(requested_by=requested_by)
        job_enqueue(task_name="replenishment.tasks.reclassify_task", args=[run.pk])
    return run


def classification_run_skip(
    *, run: ClassificationRun | None = None, requested_by=None, reason: str = ""
) -> ClassificationRun:
    """Record that a run did not happen because another one held the lock."""
    if run is None:
        run = ClassificationRun(requested_by=requested_by)
    run.status = ClassificationRunStatus.SKIPPED
    run.finished_at = timezone.now()
    run.error = reason or "Another classification run held the lock."
    run.save()
    return run


STALE_RUN_ERROR = (
    "Interrupted: the process running it stopped without finishing "
    "(killed, or past the time limit); marked failed at the next start."
)


def classification_runs_fail_stale(
    *, lock_held: bool, exclude: ClassificationRun | None = None
) -> int:
    """Mark runs left "running" by a process that died failed; return how many.

    Called at the start of a run. ``lock_held``: the caller holds the
    reclassification lock, so no other run can be alive (its lock would still be
    there) and every other running run is stale. Without the lock, a run is
    stale once it has been running longer than the task time limit (its holder
    would have been stopped by then). Nothing of a stale run was written: a run
    commits its classes and its success together."""
    stale = ClassificationRun.objects.filter(status=ClassificationRunStatus.RUNNING)
    if exclude is not None and exclude.pk is not None:
        stale = stale.exclude(pk=exclude.pk)
    now = timezone.now()
    if not lock_held:
        limit = timedelta(seconds=settings.NIGHTLY_TASK_TIME_LIMIT)
        stale = stale.filter(started_at__lt=now - limit)
    count = stale.update(
        status=ClassificationRunStatus.FAILED, error=STALE_RUN_ERROR, finished_at=now
    )
    if count:
        logger.warning("Marked %s interrupted classification run(s) failed.", count)
    return count


# --- stored runs (the page, the API, the Celery task) ---


def backtest_request(
    *,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    skus: list[str] | None = None,
    overrides: dict | None = None,
    requested_by=None,
) -> Backtest:
    """Record a pending backtest and queue it for a worker (through the jobs
    outbox, as classification runs are)."""
    check_days(days)
    overrides = check_overrides(overrides)
    with transaction.atomic():
        run = Backtest.objects.create(
            days=days,
            seed=seed,
            skus=skus or [],
            overrides=overrides,
            today=timezone.localdate(),
            requested_by=requested_by
            if requested_by is not None and requested_by.is_authenticated
            else None,
        )
        job_enqueue(task_name="replenishment.tasks.backtest_task", args=[run.pk])
    return run


def backtest_start(*, run: Backtest, chunk_size: int = CHUNK_SIZE) -> list:
    """Mark a run started and return its chunks (id ranges); a run with no
    items to replay finishes at once."""
    ranges = backtest_item_ranges(skus=run.skus or None, chunk_size=chunk_size)
    run.status = BacktestStatus.RUNNING
    run.started_at = timezone.now()
    run.chunks_total, run.chunks_done = len(ranges), 0
    if not ranges:
        backtest_finish(run=run, totals=BacktestTotals(days=run.days))
    run.save()
    return ranges


def backtest_run_chunk(*, run: Backtest, first_id: int, last_id: int) -> Backtest:
    """Replay one chunk of a stored run and keep its totals; the chunk that
    completes the count merges them all into the report. Chunks finish in any
    order on any worker; one delivered twice is stored and counted once."""
    params = backtest_params(run.overrides)
    totals = backtest_chunk(
        first_id=first_id,
        last_id=last_id,
        today=run.today,
        days=run.days,
        params=params,
        seed=run.seed,
        skus=run.skus or None,
    )
    with transaction.atomic():
        # The run's row lock makes chunks count one at a time; a chunk arriving
        # after the run has finished (or failed) changes nothing.
        run = Backtest.objects.select_for_update().get(pk=run.pk)
        if run.status != BacktestStatus.RUNNING:
            return run
        _, created = BacktestChunk.objects.get_or_create(
            backtest=run,
            first_id=first_id,
            defaults={"last_id": last_id, "totals": totals.to_json()},
        )
        if not created:
            return run
        run.chunks_done += 1
        if run.chunks_done >= run.chunks_total:
            merged = BacktestTotals(days=run.days)
            for chunk in run.chunks.order_by("first_id"):
                merged.merge(BacktestTotals.from_json(chunk.totals))
            backtest_finish(run=run, totals=merged)
            run.chunks.all().delete()
        run.save()
    return run


def backtest_finish(*, run: Backtest, totals: BacktestTotals) -> None:
    """Write the report onto ``run`` (the caller saves it)."""
    params = backtest_params(run.overrides)
    run.results = totals.report(
        **backtest_header(
            today=run.today,
            days=run.days,
            seed=run.seed,
            params=params,
            overrides=run.overrides,
        )
    )
    run.status = BacktestStatus.SUCCEEDED
    run.finished_at = timezone.now()


def backtest_fail(*, run_id: int, message: str) -> None:
    Backtest.objects.filter(pk=run_id).update(
        status=BacktestStatus.FAILED, error=message[:500], finished_at=timezone.now()
    )
