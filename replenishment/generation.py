"""Suggestion generation: plan every active item, chunk by chunk.

Generation reads everything a chunk needs with a fixed number of queries (items
and whether they were consumed before the window, demand — issues plus recorded
unmet demand, with each item's first demand day —, lead times, stock on order,
sources, planned demand, open and snoozed suggestions), each an index range
scan over the chunk, does the arithmetic of ``planning.py``
in memory, then writes set-based: one UPDATE for superseded suggestions, one
INSERT for new ones, one UPDATE … FROM for the planning figures stored on items
whose figures changed, in one transaction per chunk (whose commit does not wait
for the disk: ``db.commit_unwaited``).

Chunks are planned in a row (``suggestions_generate_ranges``; a Celery task
takes ``SUGGESTION_TASK_CHUNKS`` of them). On PostgreSQL the database's work
runs while Python plans: as chunk k is planned, the writes of chunk k−1
(``db.sent_transaction``) and the reads of chunk k+1 are on the server in one
``db.pipeline``, so a run costs about Python's time alone. The chunk queries
are compiled once per process (``db.send_query``) and the cyclic garbage
collector is paused for a chunk (``inventory_site.memory``). A chunk that fails
is rolled back alone (``db.pipeline_recover``).

An unchanged suggestion is left alone, so regeneration is idempotent and never
nags twice; an item whose stock on order covers it until a later order-by date
is not suggested before that date (``cadence.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    Sum,
    Window,
)
from django.db.models.functions import FirstValue, RowNumber
from django.utils import timezone

from inventory_site.dates import site_date, site_midnight
from inventory_site.db import (
    Sent,
    SentTransaction,
    commit_unwaited,
    datetime_param,
    days_since_sql,
    insert_rows,
    is_postgresql,
    listed_values,
    pipeline,
    pipeline_recover,
    send,
    send_query,
    send_queryset,
    sent_transaction,
    values_agg_sql,
)
from inventory_site.limits import column_max
from inventory_site.memory import gc_paused
from items.models import Item, MovementKind, StockMovement
from items.selectors import (
    PlannedRecords,
    PlannedSent,
    UnmetDay,
    planned_demand_open,
    planned_demand_read,
    unmet_demand_days,
    unmet_demand_days_read,
)
from items.services import items_store_planning_figures
from suppliers.models import (
    ON_ORDER_STATUSES,
    DeliveryLine,
    SupplierItem,
    SupplierScore,
)
from suppliers.selectors import lead_time_stats, lead_time_stats_read

from .cadence import covered_until_order_date
from .models import PolicyParameters, Suggestion, SuggestionStatus
from .planning import (
    SENSING_DAYS,
    SENSING_RECENT_DAYS,
    SPORADIC,
    DemandEstimate,
    DemandStats,
    ItemFigures,
    Plan,
    PlanningParams,
    SourceFigures,
    demand_estimate,
    demand_pattern,
    lead_time_figures,
    plan_item,
)
from .stockout import held_demand, held_estimate
from .unmet import fold_unmet, fold_unmet_events

logger = logging.getLogger(__name__)
ZERO = Decimal("0")
Q3, Q4 = Decimal("0.001"), Decimal("0.0001")
CHUNK_SIZE = 1000
#: Below ADI_CUTOFF (1.32): which items ship their demand days (_demand_stats).
EVENTS_ADI_FLOOR = 1.3


@dataclass
class GenerationResult:
    items: int = 0
    created: int = 0
    kept: int = 0
    superseded: int = 0

    def add(self, other: GenerationResult) -> None:
        self.items += other.items
        self.created += other.created
        self.kept += other.kept
        self.superseded += other.superseded


def planning_params(parameters: PolicyParameters | None = None) -> PlanningParams:
    p = parameters or PolicyParameters.current()
    return PlanningParams(
        delivery_interval_days={
            "A": p.delivery_interval_a_days,
            "B": p.delivery_interval_b_days,
            "C": p.delivery_interval_c_days,
        },
        min_safety_time_days={
            "A": p.min_safety_time_a_days,
            "B": p.min_safety_time_b_days,
            "C": p.min_safety_time_c_days,
        },
        service_targets={
            abc: Decimal(p.service_target(abc)).normalize() for abc in ("A", "B", "C")
        },
        demand_window_days=p.demand_window_days,
        planning_horizon_days=p.planning_horizon_days,
    )


def item_id_ranges(
    chunk_size: int = CHUNK_SIZE,
    *,
    first_id: int | None = None,
    last_id: int | None = None,
) -> list[tuple[int, int]]:
    """Chunks of active items (with ids in [first_id, last_id]) as (first id,
    last id) ranges of ``chunk_size`` items.

    Ranges keep every per-chunk query a cheap index range scan (no long ``IN``
    lists) and can be handed to Celery workers as two integers."""
    items = Item.objects.active()
    if first_id is not None:
        items = items.filter(pk__gte=first_id)
    if last_id is not None:
        items = items.filter(pk__lte=last_id)
    ids = list(items.order_by("pk").values_list("pk", flat=True))
    return [
        (ids[start], ids[min(start + chunk_size, len(ids)) - 1])
        for start in range(0, len(ids), chunk_size)
    ]


def task_ranges(
    ranges: Sequence[tuple[int, int]], *, chunks: int
) -> list[tuple[int, int]]:
    """Consecutive chunk ranges joined ``chunks`` at a time, as (first id, last
    id): one Celery task each, which plans them in chunks again."""
    step = max(chunks, 1)
    return [
        (ranges[start][0], ranges[min(start + step, len(ranges)) - 1][1])
        for start in range(0, len(ranges), step)
    ]


def suggestions_generate(
    *,
    today: date | None = None,
    chunk_size: int = CHUNK_SIZE,
    first_id: int | None = None,
    last_id: int | None = None,
) -> GenerationResult:
    """Regenerate suggestions for every active item (with an id in [first_id,
    last_id]), chunk by chunk (``suggestions_generate_ranges``)."""
    return suggestions_generate_ranges(
        item_id_ranges(chunk_size, first_id=first_id, last_id=last_id),
        today=today or timezone.localdate(),
    )


# --- reading a chunk ---


def _window_start(today: date, days: int) -> datetime:
    """Local midnight ``days`` site dates before ``today``."""
    return site_midnight(today - timedelta(days=days))


def _consumed_earlier(*, window_start: datetime) -> Exists:
    """For the chunk's item query: whether the item was consumed on or before
    the window start. One index probe per item on the issue index
    (``move_issue_item_at``); the first consumption of an item new to the
    window comes with its demand (``_demand_sql``: its first demand day)."""
    return Exists(
        StockMovement.objects.filter(
            item_id=OuterRef("pk"),
            kind=MovementKind.ISSUE,
            occurred_at__lte=window_start,
        ).order_by()
    )


def _demand_sql(
    *, first_id: int, last_id: int, today: date, window_days: int
) -> tuple[str, list]:
    """The query of ``_demand_stats``: per item, its window's daily demand sums
    and, for items that may be sporadic, their demand days."""
    window_start, end = _window_start(today, window_days), _window_start(today, 0)
    start_day = today - timedelta(days=window_days)
    since, since_params = days_since_sql("m.occurred_at", start_day)
    # Per day (its number of days since the window's first day): its demand.
    # A day is wholly on one side of a local midnight, so the last 14 / 28 days
    # are the days with ``since`` ≥ window − 14 / 28, summed per day, not per row.
    # Quantities are summed as doubles (they are read as floats anyway): the
    # server's numeric sums cost it a third of the query.
    quantity = "CAST(m.quantity AS DOUBLE PRECISION)"
    day_columns = f"{since} AS since, SUM({quantity}) AS qty"
    day_params = since_params
    recent = f"t.since >= {int(window_days - SENSING_RECENT_DAYS)}"
    sensing = f"t.since >= {int(window_days - SENSING_DAYS)}"
    days_with = "COUNT(CASE WHEN t.qty <> 0 THEN 1 END)"
    # Two lists in no order, sorted by _listed_events (an ordered aggregate
    # costs PostgreSQL a sort per item, 12 ms of a chunk's 40, and the server's
    # share of a chunk is as long as Python's): PostgreSQL arrays, SQLite text.
    listed_days = values_agg_sql("t.since", where="t.qty <> 0")
    listed_quantities = values_agg_sql("-t.qty", where="t.qty <> 0")
    sums = f"""SUM(t.qty) AS total, SUM(t.qty * t.qty) AS squares,
              {days_with} AS days_with,
              SUM(CASE WHEN {recent} THEN t.qty END) AS r14,
              SUM(CASE WHEN {sensing} THEN t.qty END) AS r28,
              SUM(CASE WHEN {sensing} THEN t.qty * t.qty END) AS r28sq,
              MIN(t.since) AS first_since,
              CASE WHEN %s >= %s * {days_with} THEN {listed_days} END AS days,
              CASE WHEN %s >= %s * {days_with} THEN {listed_quantities} END
                  AS quantities"""
    sums_params = [window_days, EVENTS_ADI_FLOOR] * 2
    issues = f"""{StockMovement._meta.db_table} m
                 WHERE m.kind = %s AND m.occurred_at >= %s AND m.occurred_at < %s"""
    issues_params = [
        MovementKind.ISSUE, datetime_param(window_start), datetime_param(end)
    ]  # fmt: skip
    if is_postgresql():
        # Per item (LATERAL), a range scan of the issue index for exactly its
        # window: no filtering of the chunk's older issues, and small groups.
        # ORDER BY: a dozen rows sorted and grouped cost less than a hash table
        # set up a thousand times.
        sql = f"""
            SELECT i.id, s.total, s.squares, s.days_with, s.r14, s.r28, s.r28sq,
                   s.first_since, s.days, s.quantities
              FROM {Item._meta.db_table} i
             CROSS JOIN LATERAL (
                   SELECT {sums}
                     FROM (SELECT {day_columns}
                             FROM {issues} AND m.item_id = i.id
                            GROUP BY 1 ORDER BY 1) t
             ) s
             WHERE i.id BETWEEN %s AND %s AND i.active AND s.total IS NOT NULL
        """
        params = [*sums_params, *day_params, *issues_params, first_id, last_id]
    else:
        sql = f"""
            SELECT t.item_id, {sums}
              FROM (SELECT m.item_id, {day_columns}
                      FROM {issues} AND m.item_id BETWEEN %s AND %s
                     GROUP BY 1, 2) t
          GROUP BY t.item_id
        """
        params = [*sums_params, *day_params, *issues_params, first_id, last_id]
    return sql, params


def _demand_stats(
    rows: list,
    *,
    today: date,
    window_days: int,
    unmet_days: list[UnmetDay] = (),
    established: frozenset[int] | set[int] = frozenset(),
) -> dict[int, DemandStats]:
    """The window's demand sums per item (``planning.DemandStats``), from daily
    demand: issued quantities plus recorded unmet demand (``unmet_days``, folded
    in by ``unmet.fold_unmet``): Σq, Σq², the days with demand, and the last 14
    and 28 days' sums (demand sensing); and, for the items whose pattern is
    intermittent or lumpy, their demand days (Croston), listed as text by the
    same query. One query.

    Days without demand count as zero, but days before the item's first demand
    do not (a new item's window starts there, at least 7 days): the query gives
    each item's first day with an issue, which starts the window of an item not
    in ``established`` (the items consumed before the window). ``rows``: those
    of the query ``_demand_sql``.
    """
    start_day = today - timedelta(days=window_days)
    # issues are negative in the ledger: demand is their opposite
    sums = {}
    listed: dict[int, tuple[str, str]] = {}
    first_issue: dict[int, date] = {}  # of the items new to the window
    for (
        item_id, total, squares, days_with, r14, r28, r28sq, first_since, days,
        quantities,
    ) in rows:  # fmt: skip
        sums[item_id] = [
            -float(total), float(squares), int(days_with), -float(r14 or 0),
            -float(r28 or 0), float(r28sq or 0),
        ]  # fmt: skip
        if days:
            listed[item_id] = (days, quantities)
        if item_id not in established:
            first_issue[item_id] = start_day + timedelta(days=int(first_since))
    first_unmet = fold_unmet(
        sums,
        unmet_days,
        recent_since=today - timedelta(days=SENSING_RECENT_DAYS),
        sensing_since=today - timedelta(days=SENSING_DAYS),
    )
    stats: dict[int, DemandStats] = {}
    sporadic: list[int] = []
    for item_id, (total, squares, days_with, r14, r28, r28sq) in sums.items():
        days = window_days
        first = first_issue.get(item_id)
        if first is not None:
            days = max((today - first).days, 7)
        if item_id in first_unmet and item_id not in established:
            # new to the window: it starts at the first demand, issued or unmet
            start = first_unmet[item_id]
            if first is not None:
                start = min(start, first)
            days = max((today - start).days, 7)
        item_stats = stats[item_id] = DemandStats(
            days=days,
            total=total,
            squares=squares,
            demand_days=days_with,
            recent_total=r14,
            sensing_total=r28,
            sensing_squares=r28sq,
        )
        pattern = demand_pattern(
            days=days,
            demand_days=item_stats.demand_days,
            total=item_stats.total,
            squares=item_stats.squares,
        )
        if pattern in SPORADIC:
            sporadic.append(item_id)
    if sporadic:
        chosen = set(sporadic)
        events: dict[int, list[tuple[int, float]]] = {}
        for item_id in sporadic:
            # since the window's first day → offset in the item's own window
            shift = stats[item_id].days - window_days
            days, quantities = listed.get(item_id, ("", ""))
            events[item_id] = _listed_events(days, quantities, shift=shift)
        fold_unmet_events(
            events,
            unmet_days,
            offset=lambda item_id, day: (
                stats[item_id].days - (today - day).days if item_id in chosen else None
            ),
        )
        for item_id, days in events.items():
            stats[item_id].events = tuple(days) or None
    return stats


def _listed_events(days, quantities, *, shift: int) -> list[tuple[int, float]]:
    """Demand days listed by ``_demand_stats`` in no order — two lists
    (PostgreSQL) or text ("10,3", "5.000,2.000") — as (offset in the item's
    window, quantity), oldest first."""
    if not days:
        return []
    offsets = listed_values(days)
    if shift:
        offsets = [offset + shift for offset in offsets]
    return sorted(zip(offsets, listed_values(quantities, float), strict=True))


def _d4(value: float) -> Decimal:
    return Decimal(f"{value:.4f}")


@dataclass(frozen=True, slots=True)
class Chunk:
    """The items one read covers: an id range, whose queries are compiled once
    per process and rerun with new values (``db.send_query``), or a list of
    ids (the portal's forecast, a few items: built each time)."""

    first_id: int = 0
    last_id: int = 0
    ids: tuple[int, ...] | None = None

    def send(self, key: str, build, *, field: str = "item_id", **values) -> Sent:
        """``build(<the chunk's filter on field>, **values)``, sent (db.send_query)."""
        if self.ids is not None:
            return send_queryset(build(Q(**{f"{field}__in": self.ids}), **values))

        def ranged(first_id, last_id, **rest):
            within = Q(**{f"{field}__gte": first_id, f"{field}__lte": last_id})
            return build(within, **rest)

        return send_query(
            key, ranged, first_id=self.first_id, last_id=self.last_id, **values
        )


def _on_order_send(chunk: Chunk) -> Sent:
    return chunk.send(
        "generation.on_order",
        lambda within: (
            DeliveryLine.objects.with_expected()
            .filter(within, delivery__status__in=ON_ORDER_STATUSES)
            .values("item_id")
            .annotate(open=Sum("expected_open"))
            .values_list("item_id", "open")
        ),
    )


def _on_order(sent: Sent) -> dict[int, Decimal]:
    """Per item, what is still coming on drafts and open orders: the line's
    ``expected_open`` (``DeliveryLine.objects.with_expected``: what the supplier
    confirmed, else what was ordered, less what was accepted; rejected parts are
    still owed, DESIGN §5, a line the supplier rejected holds nothing)."""
    rows = sent.rows()
    return {item_id: Decimal(str(qty)) for item_id, qty in rows if qty}


def _sources_send(chunk: Chunk) -> Sent:
    """The query of ``_sources``, sent."""
    high_risk = (
        SupplierScore.objects.high_risk()
        .filter(supplier_id=OuterRef("supplier_id"))
        .order_by()
    )
    by_priority = {
        "partition_by": F("item_id"),
        "order_by": [F("priority").asc(), F("pk").asc()],
    }

    def query(within):
        return (
            SupplierItem.objects.filter(within, active=True, supplier__active=True)
            .annotate(
                high_risk=Exists(high_risk),
                rank=Window(RowNumber(), **by_priority),
                primary_high_risk=Window(FirstValue("high_risk"), **by_priority),
                count=Window(Count("pk"), partition_by=F("item_id")),
            )
            # the primary, and only when its supplier is high risk the others
            # that ``planning.choose_source`` can choose: not high risk
            .filter(Q(rank=1) | Q(primary_high_risk=True, high_risk=False))
            .order_by("item_id", "priority", "pk")
            .values_list(
                "pk",
                "item_id",
                "supplier_id",
                "supplier__code",
                "priority",
                "quoted_lead_time_days",
                "min_order_qty",
                "order_multiple",
                "high_risk",
                "count",
                "supplier__order_weekday",
            )
        )

    return chunk.send("generation.sources", query)


def _sources(
    rows: list, lead_times, *, values: bool = False
) -> dict[int, tuple[list[SourceFigures], int]]:
    """Per item, the sources a plan can choose from, primary first, and the
    number of active sources. A plan orders from the primary unless its supplier is
    high risk (``planning.choose_source``), so the other sources are read only for
    those items, and only those whose supplier is not high risk. One query.
    ``lead_times``: ``lead_time_stats`` of the chunk, with ``values`` the lead
    times themselves (``values=True`` there too).
    ``rows``: those of the query ``_sources_send`` sent."""
    sources: dict[int, tuple[list[SourceFigures], int]] = {}
    unmeasured = (0, None, None)
    for (
        pk, item_id, supplier_id, code, priority, quoted, moq, multiple, risky, count,
        weekday,
    ) in rows:  # fmt: skip
        clipped = 0
        if values:  # the lead times themselves: outliers treated (DESIGN §7)
            n, mean, std, clipped = lead_time_figures(
                lead_times.get((supplier_id, item_id), ())
            )
        else:
            n, mean, std = lead_times.get((supplier_id, item_id), unmeasured)
        source = SourceFigures(
            pk,
            supplier_id,
            code,
            priority,
            quoted,
            moq,
            multiple,
            n,
            _d4(mean) if n else None,  # 1–2 deliveries blend with the quote
            _d4(std) if n else None,
            risky,
            clipped,
            weekday,
        )
        if item_id in sources:
            sources[item_id][0].append(source)
        else:
            sources[item_id] = ([source], count)
    return sources


def _open_send(chunk: Chunk, *, today: date, accepted_days: int = 0) -> Sent:
    """The query of ``_open_and_snoozed``, sent."""
    accepted_since = site_midnight(today - timedelta(days=accepted_days))

    def query(within, today, accepted_since):
        return (
            Suggestion.objects.filter(within)
            .filter(
                Q(status=SuggestionStatus.OPEN)
                | Q(status=SuggestionStatus.DISMISSED, snoozed_until__gt=today)
                | Q(status=SuggestionStatus.ACCEPTED, decided_at__gte=accepted_since)
            )
            .order_by()
            .values_list(
                "pk",
                "item_id",
                "source_id",
                "quantity",
                "order_by",
                "policy",
                "status",
                "decided_at",
            )
        )

    return chunk.send(
        "generation.open_and_snoozed",
        query,
        today=today,
        accepted_since=accepted_since,
    )


def _open_and_snoozed(
    sent: Sent,
) -> tuple[dict[int, tuple], set[int], dict[int, date]]:
    """The chunk's open suggestions by item, the items snoozed by a dismissal,
    and the site date of each item's latest suggestion accepted in the last
    ``accepted_days`` days (``cadence.covered_until_order_date``), from the
    query ``_open_send`` sent."""
    open_by_item, snoozed, accepted = {}, set(), {}
    for row in sent.rows():
        if row[6] == SuggestionStatus.OPEN:
            open_by_item[row[1]] = row[:6]
        elif row[6] == SuggestionStatus.DISMISSED:
            snoozed.add(row[1])
        elif row[7] is not None:
            day = site_date(row[7])
            if row[1] not in accepted or day > accepted[row[1]]:
                accepted[row[1]] = day
    return open_by_item, snoozed, accepted


# --- one chunk ---


@dataclass(frozen=True, slots=True)
class PlanningRow:
    """One item as generation plans it: its figures, the figures last stored on
    the item (for the pages) and, when the item is out of stock and its demand
    is held at the stored rate (``stockout.held_demand``), the note saying so."""

    figures: ItemFigures
    stored_daily_demand: Decimal
    stored_daily_demand_std: Decimal
    stored_reorder_point: Decimal
    held: str = ""


def _id_runs(ids: Sequence[int], gap: int = 200) -> list[tuple[int, int]]:
    """Sorted ids as [first, last] ranges that skip gaps wider than ``gap``, so
    the range queries read few other items."""
    runs: list[tuple[int, int]] = []
    for pk in sorted(ids):
        if runs and pk - runs[-1][1] <= gap:
            runs[-1] = (runs[-1][0], pk)
        else:
            runs.append((pk, pk))
    return runs


def _items_query(within: Q, *, window_start: datetime):
    """The chunk's active items with what planning reads of them, and whether
    they were consumed before the window (``_consumed_earlier``)."""
    return (
        Item.objects.filter(within, active=True)
        .annotate(consumed_earlier=_consumed_earlier(window_start=window_start))
        .order_by("pk")
        .values_list(
            "pk",
            "sku",
            "unit",
            "abc_class",
            "policy",
            "policy_override",
            "on_hand",
            "annual_demand",
            "shelf_life_days",
            "safety_time_days",
            "avg_daily_demand",
            "daily_demand_std",
            "reorder_point",
            "consumed_earlier",
        )
    )


@dataclass(slots=True)
class ChunkReads:
    """Every query that planning a chunk reads, sent (``_send_reads``) and not
    yet read. Inside ``db.pipeline`` the server runs them while Python works on
    something else: the chunk before (``suggestions_generate_ranges``)."""

    bounds: tuple[int, int]  # the first and last item id
    items: Sent
    planned: PlannedSent
    sources: Sent
    on_order: Sent
    lead_times: Sent
    unmet: list[Sent]  # one per run
    demand: list[Sent]  # one per run
    suggestions: Sent | None = None  # generation's: open and snoozed

    def close(self) -> None:
        """Drop what will not be read (after a failure)."""
        planned = self.planned
        sent = [self.items, self.sources, self.on_order, self.lead_times]
        sent += [*self.unmet, *self.demand, planned.lines, planned.bom, planned.issued]
        for one in [*sent, self.suggestions]:
            if one is not None:
                one.close()


def _send_reads(
    chunk: Chunk,
    runs: list[tuple[int, int]],
    *,
    today: date,
    params: PlanningParams,
    suggestions: bool = False,
) -> ChunkReads:
    """Send the chunk's queries (``ChunkReads``); ``suggestions``: its open,
    snoozed and recently accepted suggestions too, for generation."""
    window_days = params.demand_window_days
    window_start, end = _window_start(today, window_days), _window_start(today, 0)
    if chunk.ids is not None:
        ids = list(chunk.ids)
        planned = planned_demand_open(today=today, item_ids=ids, pending=True)
        lead_times = lead_time_stats(ids, values=True, pending=True)
    else:
        bounds = {"first_id": chunk.first_id, "last_id": chunk.last_id}
        planned = planned_demand_open(today=today, **bounds, pending=True)
        lead_times = lead_time_stats(**bounds, values=True, pending=True)
    return ChunkReads(
        bounds=(
            (chunk.first_id, chunk.last_id)
            if chunk.ids is None
            else (min(chunk.ids), max(chunk.ids))
        ),
        items=chunk.send(
            "generation.items",
            _items_query,
            field="pk",
            window_start=window_start,
        ),
        planned=planned,
        sources=_sources_send(chunk),
        on_order=_on_order_send(chunk),
        lead_times=lead_times,
        # recorded unmet demand is demand too (DESIGN §7)
        unmet=[
            unmet_demand_days(
                first_id=first,
                last_id=last,
                since=window_start,
                until=end,
                pending=True,
            )
            for first, last in runs
        ],
        demand=[
            send(
                *_demand_sql(
                    first_id=first, last_id=last, today=today, window_days=window_days
                )
            )
            for first, last in runs
        ],
        suggestions=(
            _open_send(
                chunk,
                today=today,
                accepted_days=max(params.delivery_interval_days.values()),
            )
            if suggestions
            else None
        ),
    )


def planning_figures(
    *,
    today: date,
    params: PlanningParams,
    first_id: int | None = None,
    last_id: int | None = None,
    item_ids: Sequence[int] | None = None,
) -> list[PlanningRow]:
    """The planning figures of the active items with ids in [first_id, last_id],
    or of ``item_ids``, exactly as suggestion generation plans them: on hand,
    on order (``_on_order``), the demand estimate over the window with recorded
    unmet demand (DESIGN §7; held while out of stock; the planned annual demand
    of an item never consumed), sources with lead times, planned demand. In id
    order; a fixed number of queries for a range (ids: the demand queries once
    per run of close ids), sent together (``db.pipeline``)."""
    if item_ids is not None:
        if not item_ids:
            return []
        ids = sorted(set(item_ids))
        chunk, runs = Chunk(ids=tuple(ids)), _id_runs(ids)
    else:
        chunk, runs = Chunk(first_id, last_id), [(first_id, last_id)]
    with pipeline():
        reads = _send_reads(chunk, runs, today=today, params=params)
    return _planning_rows(reads, today=today, params=params)


def _planning_rows(
    reads: ChunkReads, *, today: date, params: PlanningParams
) -> list[PlanningRow]:
    """``planning_figures`` from the chunk's reads, sent before."""
    window_days = params.demand_window_days
    items = reads.items.rows()
    # OpenPlannedLine has the attributes of a PlannedDay: no copy; an item's
    # lines read lazily (PlannedRecords) are parsed by plan_item as it needs.
    planned = planned_demand_read(reads.planned, lazy=True)
    on_order = _on_order(reads.on_order)
    established = {row[0] for row in items if row[-1]}
    demand: dict = {}  # planning.DemandStats per item
    unmet_items: set[int] = set()
    for unmet_sent, demand_sent in zip(reads.unmet, reads.demand, strict=True):
        unmet_days = unmet_demand_days_read(unmet_sent)
        unmet_items.update(row.item_id for row in unmet_days)
        demand.update(
            _demand_stats(
                demand_sent.rows(),
                today=today,
                window_days=window_days,
                unmet_days=unmet_days,
                established=established,
            )
        )
    lead_times = lead_time_stats_read(reads.lead_times, values=True)
    sources = _sources(reads.sources.rows(), lead_times, values=True)
    rows = []
    no_demand = DemandEstimate(ZERO, ZERO)
    no_sources = ((), 0)
    for (
        pk, sku, unit, abc_class, policy, override, on_hand, annual_demand,
        shelf_life, safety_time, stored_d, stored_sd, stored_rop,
        consumed_earlier,
    ) in items:  # fmt: skip
        # consumed before or in the window (the demand query has its issues)
        if consumed_earlier or pk in demand or pk in unmet_items:
            item_stats = demand.get(pk)
            estimate = no_demand if item_stats is None else demand_estimate(item_stats)
        else:  # never consumed: the planned annual demand
            estimate = DemandEstimate((annual_demand / 365).quantize(Q4), ZERO)
        d, sd = estimate.daily_demand, estimate.daily_demand_std
        # Out of stock, no issue can show demand: keep the last rate (stockout.py)
        d, sd, held = held_demand(
            on_hand=on_hand, d=d, sd=sd, stored_d=stored_d, stored_sd=stored_sd
        )
        if held:
            estimate = held_estimate(estimate, d=d, sd=sd)
        choices, count = sources.get(pk, no_sources)
        figures = ItemFigures(
            item_id=pk,
            sku=sku,
            unit=unit,
            abc_class=abc_class or "C",
            policy=override or policy,
            on_hand=on_hand,
            on_order=on_order.get(pk, ZERO),
            daily_demand=d,
            daily_demand_std=sd,
            sources=tuple(choices),
            shelf_life_days=shelf_life,
            safety_time_days=safety_time,
            source_count=count,
            planned=_planned(planned.get(pk)),
            demand_pattern=estimate.pattern,
            demand=estimate,
            demand_size=estimate.size,
            demand_interval=estimate.interval,
            demand_size_cv2=estimate.size_cv2,
        )
        rows.append(PlanningRow(figures, stored_d, stored_sd, stored_rop, held))
    return rows


def _planned(lines) -> tuple | PlannedRecords:
    if lines is None:
        return ()
    return lines if type(lines) is PlannedRecords else tuple(lines)


# --- generation ---


def suggestions_generate_chunk(
    *,
    first_id: int,
    last_id: int,
    today: date,
    params: PlanningParams | None = None,
) -> GenerationResult:
    """Plan the active items with ids in [first_id, last_id]: store their planning
    figures and make their open suggestions match the plan. A constant number of
    queries per chunk, whatever its size."""
    return suggestions_generate_ranges(
        [(first_id, last_id)], today=today, params=params
    )


def suggestions_generate_ranges(
    ranges: Sequence[tuple[int, int]],
    *,
    today: date,
    params: PlanningParams | None = None,
) -> GenerationResult:
    """Plan the chunks ``ranges`` (id ranges, ``item_id_ranges``) one after the
    other, as ``suggestions_generate_chunk`` plans one.

    On PostgreSQL the database's work runs while Python plans: as chunk k is
    planned, the writes of chunk k−1 (one transaction, ``db.sent_transaction``)
    and the reads of chunk k+1 are already on the server (one ``db.pipeline``).
    Nothing read ahead depends on what the chunks before write (their own
    items' suggestions and figures). A chunk that fails is rolled back and
    logged, and the others go on; the first failure is raised at the end."""
    run = _Run(today=today, params=params or planning_params())
    following: ChunkReads | None = None
    for k, bounds in enumerate(ranges):
        after = ranges[k + 1] if k + 1 < len(ranges) else None
        with gc_paused():  # short-lived objects only (inventory_site.memory)
            following = run.chunk(bounds, reads=following, after=after)
    return run.finish()


class _Run:
    """The state of ``suggestions_generate_ranges``: the chunk planned but not
    yet written, what was written, the first failure."""

    def __init__(self, *, today: date, params: PlanningParams):
        self.today, self.params = today, params
        self.result = GenerationResult()
        self.pending: ChunkChanges | None = None  # planned, not yet written
        self.failure: Exception | None = None

    def chunk(
        self,
        bounds: tuple[int, int],
        *,
        reads: ChunkReads | None,
        after: tuple[int, int] | None,
    ) -> ChunkReads | None:
        """Plan the chunk ``bounds`` (its reads sent before, or none), sending
        the writes of the one before and the reads of the one ``after``.
        Returns those reads."""
        sent = following = None
        try:
            if reads is None:
                with pipeline():
                    reads = _generation_reads(*bounds, self.today, self.params)
            with pipeline():
                if self.pending is not None:
                    # made here: it is ours even if a failure surfaces inside
                    sent = SentTransaction()
                    _chunk_send(self.pending, sent)
                if after is not None:
                    following = _generation_reads(*after, self.today, self.params)
                changes = _chunk_changes(reads, today=self.today, params=self.params)
        except Exception:
            # Whatever failed — the writes before, the reads after, this plan —
            # each is done again on its own, so the failure lands where it is.
            pipeline_recover(sent)
            for unread in (reads, following):
                if unread is not None:
                    unread.close()
            self._settle(sent)
            self._attempt(bounds)
            return None
        self._settle(sent)
        self.pending = changes
        return following

    def finish(self) -> GenerationResult:
        self._settle(None)
        if self.failure is not None:
            raise self.failure
        return self.result

    def _settle(self, sent: SentTransaction | None) -> None:
        """The pending chunk is written: by ``sent``, or now if that failed."""
        changes, self.pending = self.pending, None
        if changes is None:
            return
        if sent is not None and sent.committed():
            self.result.add(changes.result())
            return
        try:
            with transaction.atomic():
                _chunk_write_statements(changes)
        except Exception as error:
            self._failed(changes.bounds, error)
        else:
            self.result.add(changes.result())

    def _attempt(self, bounds: tuple[int, int]) -> None:
        """Plan the chunk again, with nothing else in flight."""
        reads = None
        try:
            with pipeline():
                reads = _generation_reads(*bounds, self.today, self.params)
            self.pending = _chunk_changes(reads, today=self.today, params=self.params)
        except Exception as error:
            pipeline_recover()
            if reads is not None:
                reads.close()
            self._failed(bounds, error)

    def _failed(self, bounds: tuple[int, int], error: Exception) -> None:
        logger.exception("Suggestions for items %s–%s failed.", *bounds)
        self.failure = self.failure or error


def _generation_reads(
    first_id: int, last_id: int, today: date, params: PlanningParams
) -> ChunkReads:
    return _send_reads(
        Chunk(first_id, last_id),
        [(first_id, last_id)],
        today=today,
        params=params,
        suggestions=True,
    )


@dataclass
class ChunkChanges:
    """What generation writes for one chunk (``_chunk_send``)."""

    bounds: tuple[int, int]
    items: int
    kept: int
    stale: list[int]  # open suggestions superseded
    new: list[tuple]  # SUGGESTION_COLUMNS rows
    figures: list[tuple]  # (item id, d, σd, reorder point) that changed
    now: datetime

    def result(self) -> GenerationResult:
        return GenerationResult(
            items=self.items,
            created=len(self.new),
            kept=self.kept,
            superseded=len(self.stale),
        )


def _chunk_changes(
    reads: ChunkReads, *, today: date, params: PlanningParams
) -> ChunkChanges:
    """Plan the chunk read by ``reads``: what to write (no query but those of
    planned demand for products with a bill of materials)."""
    rows = _planning_rows(reads, today=today, params=params)
    open_by_item, snoozed, accepted_on = _open_and_snoozed(reads.suggestions)

    plans: dict[int, Plan] = {}
    changed_figures = []
    for row in rows:
        figures, held = row.figures, row.held
        pk, sku = figures.item_id, figures.sku
        d, sd = figures.daily_demand, figures.daily_demand_std
        try:
            plan = plan_item(figures, params=params, today=today)
        except OverflowError:  # a date beyond year 9999
            plan = None
        if plan is None or not _plan_fits(plan):
            logger.warning(
                "%s: planning figures beyond what can be stored; no suggestion.", sku
            )
            continue
        rop = plan.reorder_point.quantize(Q3)
        stored = (
            row.stored_daily_demand,
            row.stored_daily_demand_std,
            row.stored_reorder_point,
        )
        if (d, sd, rop) != stored:
            changed_figures.append((pk, d, sd, rop))
        if plan.quantity is None or pk in snoozed:
            continue
        # Ordered in its cycle, covered until a later order-by date: not yet
        if covered_until_order_date(
            order_by=plan.order_by,
            today=today,
            on_order=figures.on_order,
            accepted_on=accepted_on.get(pk),
            interval_days=plan.delivery_interval_days,
        ):
            continue
        if held:
            plan.notes = (held, *plan.notes)
        plans[pk] = plan

    now = timezone.now()
    kept, stale = 0, []
    for item_id, current in open_by_item.items():
        planned = plans.get(item_id)
        if planned is not None and _same(current, planned):
            kept += 1
            del plans[item_id]
        else:
            stale.append(current[0])
    return ChunkChanges(
        bounds=reads.bounds,
        items=len(rows),
        kept=kept,
        stale=stale,
        new=[_suggestion_row(plan, now=now) for plan in plans.values()],
        figures=changed_figures,
        now=now,
    )


def _chunk_send(changes: ChunkChanges, sent: SentTransaction) -> None:
    """One chunk's writes as one transaction, sent (``db.sent_transaction``)."""
    with sent_transaction(sent):
        _chunk_write_statements(changes)


def _chunk_write_statements(changes: ChunkChanges) -> None:
    """Supersede, insert, store figures: statements that need no result back.
    Their commit does not wait for the disk (``db.commit_unwaited``): the next
    run recomputes whatever a server crash might lose."""
    commit_unwaited()
    if changes.stale:
        Suggestion.objects.filter(
            pk__in=changes.stale, status=SuggestionStatus.OPEN
        ).update(status=SuggestionStatus.SUPERSEDED, decided_at=changes.now)
    insert_rows(Suggestion, SUGGESTION_COLUMNS, changes.new)
    items_store_planning_figures(rows=changes.figures, planned_at=changes.now)


#: Plan figure → the suggestion column that stores it (inventory_site.limits).
_PLAN_COLUMNS = {
    "quantity": "quantity",
    "daily_demand": "avg_daily_demand",
    "daily_demand_std": "daily_demand_std",
    "lead_time_days": "lead_time_days",
    "lead_time_std_days": "lead_time_std_days",
    "on_hand": "on_hand",
    "on_order": "on_order",
    "inventory_position": "inventory_position",
    "reorder_point": "reorder_point",
    "order_up_to": "order_up_to",
}
_PLAN_LIMITS = {
    figure: column_max(Suggestion, column) for figure, column in _PLAN_COLUMNS.items()
}
_D_LIMIT, _SD_LIMIT, _ROP_LIMIT = (
    _PLAN_LIMITS[figure]
    for figure in ("daily_demand", "daily_demand_std", "reorder_point")
)
_SMALLINT = 32767


def _plan_fits(plan: Plan) -> bool:
    """Every figure of the plan fits its column: one item with absurd figures
    (huge demand times a long lead time, or many huge open orders) gets no
    suggestion instead of failing the run for every item. Nothing to order:
    only the item's own figures are set (the rest are the plan's defaults)."""
    if plan.quantity is None:
        return (
            abs(plan.daily_demand) <= _D_LIMIT
            and abs(plan.daily_demand_std) <= _SD_LIMIT
            and abs(plan.reorder_point) <= _ROP_LIMIT
        )
    for figure, limit in _PLAN_LIMITS.items():
        value = getattr(plan, figure)
        if value is not None and abs(value) > limit:
            return False
    return max(plan.safety_time_days, plan.delivery_interval_days) <= _SMALLINT


def _same(current: tuple, plan: Plan) -> bool:
    _, _, source_id, quantity, order_by, policy = current
    return (source_id, quantity, order_by, policy) == (
        plan.source.source_id,
        plan.quantity,
        plan.order_by,
        plan.policy,
    )


#: The columns generation writes; the others take the model's defaults (status
#: open, nothing decided). Rows, not model instances (``db.insert_rows``): a
#: first run after a production schedule arrives writes tens of thousands.
SUGGESTION_COLUMNS = (
    "item_id", "source_id", "supplier_id", "policy", "quantity", "order_by",
    "expected_arrival", "reason", "avg_daily_demand", "daily_demand_std",
    "lead_time_days", "lead_time_std_days", "lead_time_samples",
    "safety_time_days", "delivery_interval_days", "on_hand", "on_order",
    "inventory_position", "reorder_point", "order_up_to", "single_source_risk",
    "switched_source", "problem", "created_at",
)  # fmt: skip
Q2 = Decimal("0.01")


def _suggestion_row(plan: Plan, *, now: datetime) -> tuple:
    """One new suggestion, in ``SUGGESTION_COLUMNS`` order."""
    return (
        plan.item_id, plan.source.source_id, plan.source.supplier_id, plan.policy,
        plan.quantity, plan.order_by, plan.expected_arrival, plan.reason,
        plan.daily_demand.quantize(Q4), plan.daily_demand_std.quantize(Q4),
        plan.lead_time_days.quantize(Q2), plan.lead_time_std_days.quantize(Q2),
        plan.source.lead_time_samples, plan.safety_time_days,
        plan.delivery_interval_days, plan.on_hand.quantize(Q3),
        plan.on_order.quantize(Q3), plan.inventory_position.quantize(Q3),
        plan.reorder_point.quantize(Q3), plan.order_up_to.quantize(Q3),
        plan.single_source_risk, plan.switched_source, plan.problem[:300], now,
    )  # fmt: skip
