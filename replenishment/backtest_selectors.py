"""The backtest's reads: one chunk of items' history as ``backtest.ItemHistory``.

Per chunk of item ids a fixed number of set-based queries, whatever its size:

1. the active items (with their first consumption and first unmet demand ever,
   an index probe each);
2. their ledger per site-local day from the start of the first demand window on
   (issued, net movement, receipts) — on PostgreSQL folded into one row per item
   with arrays, so a year of 10,000 items is 10,000 rows, not millions;
2b. their recorded unmet demand per site-local day over the same days: the
   demand of a day is what the ledger issued plus what was recorded as unmet
   (DESIGN §6, §7);
3. their sources (primary first, as suggestion generation reads them);
4. the received deliveries of those sources, with their lead times in whole
   site-calendar days (``inventory_site.db.lead_time_days_sql``);
5. the delivery lines ordered in the period (the "actual" orders).

Quantities come back as integer thousandths (the ledger keeps 3 decimal places),
so the replay's sums are exact. Stock at the start of the period = on hand now −
every movement since the start (including today's).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db import connection
from django.db.models import OuterRef, Q, Subquery

from inventory_site.dates import site_date, site_midnight
from inventory_site.db import (
    bigint_type,
    datetime_param,
    days_since_sql,
    is_postgresql,
    lead_time_days_sql,
)
from inventory_site.memory import gc_paused
from items.models import Item, MovementKind, StockMovement, UnmetDemand
from items.selectors import unmet_demand_by_day
from suppliers.models import Delivery, DeliveryLine, DeliveryStatus

from .backtest import ItemHistory
from .generation import Chunk, _sources, _sources_send
from .planning import choose_source

CHUNK_SIZE = 1000


def backtest_item_ranges(
    *, skus: list[str] | None = None, chunk_size: int = CHUNK_SIZE
) -> list[tuple[int, int]]:
    """(first id, last id) ranges of ``chunk_size`` active items (only ``skus``
    when given)."""
    items = Item.objects.active()
    if skus:
        items = items.filter(sku__in=skus)
    ids = list(items.order_by("pk").values_list("pk", flat=True))
    return [
        (ids[start], ids[min(start + chunk_size, len(ids)) - 1])
        for start in range(0, len(ids), chunk_size)
    ]


def _ledger(*, first_id, last_id, start, since) -> dict[int, tuple]:
    """Per item: ([day], [quantity in thousandths], [kind]) of its movements
    from ``since`` on, days counted from ``start`` in the site calendar; kind is
    1 for an issue, 2 for a receipt, 0 otherwise. On PostgreSQL one row per item
    (arrays, in index order: no grouping of millions of rows by day, which
    spills to disk); the caller adds them up per day."""
    table = StockMovement._meta.db_table
    day, day_params = days_since_sql("m.occurred_at", start)
    kind = "CASE m.kind WHEN %s THEN 1 WHEN %s THEN 2 ELSE 0 END"
    kind_params = [MovementKind.ISSUE, MovementKind.RECEIPT]
    where = "m.item_id BETWEEN %s AND %s AND m.occurred_at >= %s"
    where_params = [first_id, last_id, datetime_param(since)]
    result: dict[int, tuple] = {}
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute(
                f"""SELECT m.item_id, array_agg({day}),
                           array_agg(CAST(m.quantity * 1000 AS BIGINT)),
                           array_agg({kind})
                      FROM {table} m WHERE {where} GROUP BY m.item_id""",
                [*day_params, *kind_params, *where_params],
            )
            for item_id, days, quantities, kinds in cursor.fetchall():
                result[item_id] = (days, quantities, kinds)
        else:
            cursor.execute(
                f"""SELECT m.item_id, {day}, CAST(ROUND(m.quantity * 1000) AS INTEGER),
                           {kind}
                      FROM {table} m WHERE {where}""",
                [*day_params, *kind_params, *where_params],
            )
            grouped = defaultdict(lambda: ([], [], []))
            for item_id, d, quantity, code in cursor.fetchall():
                lists = grouped[item_id]
                lists[0].append(d)
                lists[1].append(quantity)
                lists[2].append(code)
            result = dict(grouped)
    return result


def _received(*, first_id, last_id, start, days) -> tuple[dict, dict]:
    """(supplier, item) → [(received day, lead-time days)] in order of receipt:
    the received deliveries that lead-time statistics use; and item →
    [(received day, accepted thousandths)] of those ordered before the period and
    received in it (what was on order at the start)."""
    lead, lead_params = lead_time_days_sql("d.ordered_at", "d.received_at")
    day, day_params = days_since_sql("d.received_at", start)
    cast = bigint_type()
    sql = f"""
        SELECT d.supplier_id, l.item_id, {day}, {lead},
               CAST(ROUND((l.quantity_received - l.quantity_rejected) * 1000) AS {cast})
          FROM {DeliveryLine._meta.db_table} l
          JOIN {Delivery._meta.db_table} d ON d.id = l.delivery_id
         WHERE l.item_id BETWEEN %s AND %s
           AND d.status = %s AND d.ordered_at IS NOT NULL
           AND d.received_at IS NOT NULL AND l.quantity_received > 0
         ORDER BY d.received_at, d.id
    """
    params = [*day_params, *lead_params, first_id, last_id, DeliveryStatus.RECEIVED]
    result: dict[tuple[int, int], list] = defaultdict(list)
    pipeline: dict[int, list] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for supplier_id, item_id, received, lead_time, accepted in cursor.fetchall():
            result[(supplier_id, item_id)].append((received, int(lead_time)))
            if received - lead_time < 0 <= received < days and accepted > 0:
                pipeline[item_id].append((received, accepted))
    return result, pipeline


def backtest_histories(
    *,
    first_id: int,
    last_id: int,
    today: date,
    days: int,
    window: int,
    skus: list[str] | None = None,
) -> list[ItemHistory]:
    """The history of the active items with ids in [first_id, last_id] over the
    ``days`` site dates before ``today`` (and the demand window before them)."""
    with gc_paused():  # a year of rows, short-lived (inventory_site.memory)
        return _histories(
            first_id=first_id,
            last_id=last_id,
            today=today,
            days=days,
            window=window,
            skus=skus,
        )


def _histories(*, first_id, last_id, today, days, window, skus) -> list[ItemHistory]:
    start = today - timedelta(days=days)
    since = site_midnight(start - timedelta(days=window))
    chunk = Q(item_id__gte=first_id, item_id__lte=last_id)
    first_issue = (
        StockMovement.objects.filter(item_id=OuterRef("pk"), kind=MovementKind.ISSUE)
        .order_by("occurred_at")
        .values("occurred_at")[:1]
    )
    first_unmet = (
        UnmetDemand.objects.filter(item_id=OuterRef("pk"))
        .order_by("occurred_at")
        .values("occurred_at")[:1]
    )
    items = Item.objects.filter(pk__gte=first_id, pk__lte=last_id, active=True)
    if skus:
        items = items.filter(sku__in=skus)
    rows = list(
        items.annotate(
            first_issue=Subquery(first_issue), first_unmet=Subquery(first_unmet)
        )
        .order_by("pk")
        .values_list(
            "pk",
            "sku",
            "unit",
            "abc_class",
            "xyz_class",
            "policy",
            "policy_override",
            "on_hand",
            "unit_cost",
            "annual_demand",
            "shelf_life_days",
            "safety_time_days",
            "first_issue",
            "first_unmet",
        )
    )
    ledger = _ledger(first_id=first_id, last_id=last_id, start=start, since=since)
    unmet_days = unmet_demand_by_day(
        first_id=first_id, last_id=last_id, since=since, until=site_midnight(today)
    )
    sources = _sources(_sources_send(Chunk(first_id, last_id)).rows(), {})
    received, pipeline = _received(
        first_id=first_id, last_id=last_id, start=start, days=days
    )
    ordered: dict[int, list[int]] = defaultdict(list)
    for item_id, delivery_id in DeliveryLine.objects.filter(
        chunk,
        delivery__ordered_at__gte=site_midnight(start),
        delivery__ordered_at__lt=site_midnight(today),
    ).values_list("item_id", "delivery_id"):
        ordered[item_id].append(delivery_id)

    histories = []
    empty = ((), (), ())
    for (
        pk, sku, unit, abc_class, xyz_class, policy, override, on_hand, unit_cost,
        annual_demand, shelf_life, safety_time, first, first_unmet,
    ) in rows:  # fmt: skip
        issued: defaultdict[int, int] = defaultdict(int)
        net: defaultdict[int, int] = defaultdict(int)
        other: defaultdict[int, int] = defaultdict(int)
        receipt_days: set[int] = set()
        after = 0  # moved since the start (today's movements too)
        for d, quantity, code in zip(*ledger.get(pk, empty), strict=True):
            if code == 1:
                issued[d] -= quantity
            if d >= 0:
                after += quantity
                if d < days:
                    net[d] += quantity
                    if code == 2 and quantity > 0:
                        receipt_days.add(d)
                    elif code == 0:
                        other[d] += quantity
        for d in [d for d in issued if d >= days]:
            del issued[d]  # today's issues are after the period
        # Demand that found no stock counts as demand of its day.
        unmet: dict[int, int] = {}
        for local_day, quantity in unmet_days.get(pk, {}).items():
            d = (local_day - start).days
            unmet[d] = round(quantity * 1000)
            issued[d] += unmet[d]
        if first_unmet is not None and (first is None or first_unmet < first):
            first = first_unmet
        choices, count = sources.get(pk, ((), 0))
        chosen, _ = choose_source(tuple(choices))
        deliveries = ()
        if chosen is not None:
            deliveries = tuple(received.get((chosen.supplier_id, pk), ()))
        first_day = None if first is None else (site_date(first) - start).days
        histories.append(
            ItemHistory(
                item_id=pk,
                sku=sku,
                abc_class=abc_class or "C",
                xyz_class=xyz_class,
                policy=override or policy,
                unit_cost=float(unit_cost),
                annual_demand=annual_demand,
                start_on_hand=round(on_hand * 1000) - after,
                issued=dict(issued),
                unmet=unmet,
                first_issue_day=first_day,
                sources=() if chosen is None else (chosen,),
                source_count=count,
                deliveries=deliveries,
                pipeline=tuple(pipeline.get(pk, ())),
                net=dict(net),
                other={d: q for d, q in other.items() if q},
                receipt_days=frozenset(receipt_days),
                actual_orders=tuple(ordered.get(pk, ())),
                shelf_life_days=shelf_life,
                safety_time_days=safety_time,
                unit=unit,
            )
        )
    return histories
