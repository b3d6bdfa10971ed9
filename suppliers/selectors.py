"""Read-side questions about suppliers and deliveries."""

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Avg, Count, F, Q, Sum
from django.utils import timezone

from inventory_site.dates import lead_time_days, site_date
from inventory_site.db import (
    Sent,
    in_list,
    is_postgresql,
    lead_time_days_sql,
    listed_values,
    local_date_sql,
    send,
    values_agg_sql,
)
from inventory_site.limits import column_max
from inventory_site.stats import std_from_moments
from items.models import Item

from .models import (
    HIGH_RISK,
    ON_ORDER_STATUSES,
    OPEN_DELIVERY_STATUSES,
    Delivery,
    DeliveryLine,
    DeliveryStatus,
    LineResponse,
    RiskLevel,
    Supplier,
    SupplierItem,
    SupplierScore,
)
from .risk import assess_risk

_LEAD_TIME_STORED_MAX = column_max(SupplierScore, "dependency_lead_time_days")

ZERO = Decimal("0")
ONE = Decimal("1")


def supplier_overview() -> dict:
    """Headline supplier and delivery figures in two small queries (the open
    deliveries come from a partial index, not a scan of the history)."""
    today = timezone.localdate()
    figures = Supplier.objects.aggregate(
        suppliers=Count("pk", filter=Q(active=True)),
    )
    is_open = Q(status__in=OPEN_DELIVERY_STATUSES)
    figures.update(
        Delivery.objects.on_order().aggregate(
            open_deliveries=Count("pk", filter=is_open),
            late_deliveries=Count("pk", filter=is_open & Q(promised_date__lt=today)),
            draft_deliveries=Count("pk", filter=Q(status=DeliveryStatus.DRAFT)),
        )
    )
    return figures


@dataclass(frozen=True)
class ScoreFigures:
    supplier_id: int
    deliveries_count: int = 0
    on_time_rate: Decimal | None = None
    fill_rate: Decimal | None = None
    defect_rate: Decimal | None = None
    lead_time_mean_days: Decimal | None = None
    lead_time_std_days: Decimal | None = None
    lead_time_cv: Decimal | None = None
    single_source_exposure: Decimal = Decimal("0")
    exposure_share: Decimal = Decimal("0")
    dependency_lead_time_days: Decimal | None = None
    performance_score: Decimal = Decimal("0")
    performance_level: str = RiskLevel.LOW
    dependency_score: Decimal = Decimal("0")
    dependency_level: str = RiskLevel.LOW
    risk_score: Decimal = Decimal("0")
    risk_level: str = RiskLevel.LOW
    history_sufficient: bool = False
    confirm_hours_median: Decimal | None = None
    orders_answered: int = 0
    orders_unanswered: int = 0


MIN_DELIVERIES = 3
SCORE_WINDOW_DAYS = 365


def _dec(value, places: str = "0.0001") -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal(places))


@dataclass(frozen=True)
class ConfirmTimes:
    """How quickly a supplier answers its orders."""

    hours_median: Decimal | None = None
    answered: int = 0
    unanswered: int = 0


NO_ANSWERS = ConfirmTimes()


def supplier_confirm_times(
    *, since: datetime, supplier_ids: list[int] | None = None
) -> dict[int, ConfirmTimes]:
    """Per supplier, over the orders placed since ``since`` (not cancelled
    unanswered ones): the median hours from placing the order (``ordered_at``)
    to the supplier's first answer (``first_response_at``: a line confirmed,
    changed or rejected, or a ship notice), how many orders it answered and how
    many it has not. Two queries."""
    placed = Delivery.objects.filter(ordered_at__gte=since, ordered_at__isnull=False)
    if supplier_ids is not None:
        placed = placed.filter(supplier_id__in=supplier_ids)
    hours: dict[int, list[float]] = defaultdict(list)
    for supplier_id, ordered_at, answered_at in placed.filter(
        first_response_at__isnull=False
    ).values_list("supplier_id", "ordered_at", "first_response_at"):
        hours[supplier_id].append(
            max((answered_at - ordered_at).total_seconds() / 3600, 0.0)
        )
    unanswered = dict(
        placed.filter(first_response_at__isnull=True)
        .exclude(status=DeliveryStatus.CANCELLED)
        .values("supplier_id")
        .annotate(n=Count("pk"))
        .values_list("supplier_id", "n")
    )
    return {
        supplier_id: ConfirmTimes(
            hours_median=(
                Decimal(str(statistics.median(hours[supplier_id]))).quantize(
                    Decimal("0.1")
                )
                if hours[supplier_id]
                else None
            ),
            answered=len(hours[supplier_id]),
            unanswered=unanswered.get(supplier_id, 0),
        )
        for supplier_id in hours.keys() | unanswered.keys()
    }


def supplier_scores_compute(*, today: date | None = None) -> dict[int, ScoreFigures]:
    """Performance and risk (``suppliers.risk``) of every supplier over the
    trailing 365 days of received deliveries, in five aggregate queries, and how
    quickly it answers the orders placed in those days
    (``supplier_confirm_times``; not part of the risk formula)."""
    today = today or timezone.localdate()
    since = timezone.make_aware(
        datetime.combine(today - timedelta(days=SCORE_WINDOW_DAYS), time.min)
    )
    local_received, received_params = local_date_sql("d.received_at")
    lead_time, lead_time_params = lead_time_days_sql("d.ordered_at", "d.received_at")
    # Lead times are whole site-calendar days (inventory_site.dates), computed
    # once per delivery in the inner query.
    delivery_sql = f"""
        SELECT d.supplier_id,
               COUNT(*),
               SUM(CASE WHEN d.promised_date IS NOT NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN d.promised_date IS NOT NULL
                         AND d.received_day <= d.promised_date THEN 1 ELSE 0 END),
               AVG(1.0 * d.lt),
               AVG(1.0 * d.lt * d.lt),
               SUM(CASE WHEN d.ordered_at IS NOT NULL THEN 1 ELSE 0 END)
          FROM (SELECT d.supplier_id, d.promised_date, d.ordered_at,
                       {local_received} AS received_day, {lead_time} AS lt
                  FROM {Delivery._meta.db_table} d
                 WHERE d.status = %s AND d.received_at >= %s) d
      GROUP BY d.supplier_id
    """
    line_sql = f"""
        SELECT d.supplier_id, SUM(l.quantity_ordered),
               SUM(CASE WHEN l.quantity_short > 0
                        THEN l.quantity_ordered - l.quantity_short
                        WHEN l.quantity_received < l.quantity_ordered
                        THEN l.quantity_received
                        ELSE l.quantity_ordered END),
               SUM(l.quantity_rejected), SUM(l.quantity_received)
          FROM {DeliveryLine._meta.db_table} l
          JOIN {Delivery._meta.db_table} d ON d.id = l.delivery_id
         WHERE d.status = %s AND d.received_at >= %s
      GROUP BY d.supplier_id
    """
    with connection.cursor() as cursor:
        since_db = connection.ops.adapt_datetimefield_value(since)
        cursor.execute(
            delivery_sql,
            [*received_params, *lead_time_params, DeliveryStatus.RECEIVED, since_db],
        )
        deliveries = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute(line_sql, [DeliveryStatus.RECEIVED, since_db])
        lines = {row[0]: row[1:] for row in cursor.fetchall()}
    confirm_times = supplier_confirm_times(since=since)

    a_items = Item.objects.filter(active=True, abc_class="A")
    total_a_value = a_items.aggregate(total=Sum("annual_value"))["total"] or ZERO
    single_sourced = a_items.annotate(
        n_sources=Count(
            "sources", filter=Q(sources__active=True, sources__supplier__active=True)
        )
    ).filter(n_sources=1)
    exposure: dict[int, Decimal] = defaultdict(Decimal)
    for supplier_id, value in SupplierItem.objects.filter(
        active=True, supplier__active=True, item__in=single_sourced
    ).values_list("supplier_id", "item__annual_value"):
        exposure[supplier_id] += value or ZERO

    quoted = dict(
        SupplierItem.objects.filter(active=True)
        .values("supplier_id")
        .annotate(mean=Avg("quoted_lead_time_days"))
        .values_list("supplier_id", "mean")
    )

    scores = {}
    for supplier_id in Supplier.objects.values_list("pk", flat=True):
        count, promised, on_time, lt_mean, lt_sq, with_order = deliveries.get(
            supplier_id, (0, 0, 0, None, None, 0)
        )
        ordered, filled, rejected, received = lines.get(
            supplier_id, (None, None, None, None)
        )
        on_time_rate = _dec(Decimal(on_time) / promised) if promised else None
        # Filled: what was delivered of the order, at most the ordered quantity per
        # line; a line closed short counts ordered − its recorded shortfall.
        fill_rate = (
            _dec(Decimal(str(filled)) / Decimal(str(ordered))) if ordered else None
        )
        defect_rate = (
            _dec(Decimal(str(rejected)) / Decimal(str(received))) if received else None
        )
        lt_std = lt_cv = None
        if lt_mean is not None and with_order:
            n = with_order
            variance = max(float(lt_sq) - float(lt_mean) ** 2, 0.0)
            if n > 1:
                variance *= n / (n - 1)
            lt_std = variance**0.5
            lt_cv = lt_std / float(lt_mean) if lt_mean else None
        share = (
            (exposure[supplier_id] / total_a_value).quantize(Decimal("0.0001"))
            if total_a_value
            else ZERO
        )
        answers = confirm_times.get(supplier_id, NO_ANSWERS)
        # dependency: the measured lead time, else the mean quoted one
        lead_time = _dec(lt_mean, "0.01")
        if lead_time is None and quoted.get(supplier_id) is not None:
            lead_time = _dec(quoted[supplier_id], "0.01")
        if lead_time is not None and lead_time > _LEAD_TIME_STORED_MAX:
            # an absurd quote (years of lead time): stored at the column's
            # capacity; the score saturates long before it
            lead_time = _LEAD_TIME_STORED_MAX
        risk = assess_risk(
            on_time_rate=on_time_rate,
            defect_rate=defect_rate,
            lead_time_cv=_dec(lt_cv),
            exposure_share=share,
            lead_time_days=lead_time,
        )
        scores[supplier_id] = ScoreFigures(
            supplier_id=supplier_id,
            deliveries_count=count,
            on_time_rate=on_time_rate,
            fill_rate=fill_rate,
            defect_rate=defect_rate,
            lead_time_mean_days=_dec(lt_mean, "0.01"),
            lead_time_std_days=_dec(lt_std, "0.01"),
            lead_time_cv=_dec(lt_cv),
            single_source_exposure=exposure[supplier_id].quantize(Decimal("0.0001")),
            exposure_share=share,
            dependency_lead_time_days=lead_time,
            performance_score=risk.performance_score,
            performance_level=risk.performance_level,
            dependency_score=risk.dependency_score,
            dependency_level=risk.dependency_level,
            risk_score=risk.risk_score,
            risk_level=risk.risk_level,
            history_sufficient=count >= MIN_DELIVERIES,
            confirm_hours_median=answers.hours_median,
            orders_answered=answers.answered,
            orders_unanswered=answers.unanswered,
        )
    return scores


LEAD_TIME_DELIVERIES = 10


def lead_time_stats(
    item_ids: list[int] | None = None,
    *,
    first_id: int | None = None,
    last_id: int | None = None,
    values: bool = False,
    pending: bool = False,
) -> dict[tuple[int, int], tuple] | Sent:
    """(samples, mean, sample std) of the observed lead time in days per
    (supplier, item), over each source's last 10 received deliveries, for the given
    items or the id range [first_id, last_id]. One query.

    ``values=True``: the lead times themselves instead (a tuple of whole days per
    source, one row per source: aggregated to text in the query), for a caller
    that treats outliers on its own (planning, DESIGN §7). ``pending=True``: the
    query sent (``db.send``), read with ``lead_time_stats_read``."""
    if item_ids is not None and not item_ids:
        items_sql, params = "1 = 0", []  # no items: no rows
    elif item_ids is not None:
        placeholders, params = in_list(item_ids)
        items_sql = f"l.item_id IN {placeholders}"
    else:
        items_sql, params = "l.item_id BETWEEN %s AND %s", [first_id, last_id]
    days, days_params = lead_time_days_sql("d.ordered_at", "d.received_at")
    # On PostgreSQL, LATERAL … OFFSET 0 keeps the plan on the delivery primary key
    # for the chunk's lines instead of hashing the whole delivery table on every
    # chunk; SQLite (no LATERAL) joins as usual.
    if is_postgresql():
        join, correlate, offset, on = (
            "CROSS JOIN LATERAL",
            "d.id = l.delivery_id AND",
            "OFFSET 0",
            "",
        )
    else:
        join, correlate, offset, on = "JOIN", "", "", "ON d.id = l.delivery_id"
    if values:
        listed = values_agg_sql("lt")
        columns = f"{listed}, NULL, NULL"
    else:
        columns = (
            "COUNT(*), CAST(AVG(lt) AS DOUBLE PRECISION), "
            "CAST(AVG(lt * lt) AS DOUBLE PRECISION)"
        )
    sql = f"""
        SELECT supplier_id, item_id, {columns}
          FROM (
            SELECT d.supplier_id, l.item_id, {days} AS lt,
                   ROW_NUMBER() OVER (
                       PARTITION BY d.supplier_id, l.item_id
                       ORDER BY d.received_at DESC, d.id DESC
                   ) AS rn
              FROM {DeliveryLine._meta.db_table} l
             {join} (
                   SELECT d.id, d.supplier_id, d.ordered_at, d.received_at
                     FROM {Delivery._meta.db_table} d
                    WHERE {correlate} d.status = %s
                      AND d.ordered_at IS NOT NULL
                      AND d.received_at IS NOT NULL
                   {offset}
             ) d {on}
             WHERE {items_sql}
               AND l.quantity_received > 0
        ) t
        WHERE rn <= %s
        GROUP BY supplier_id, item_id
    """
    sent = send(
        sql, [*days_params, DeliveryStatus.RECEIVED, *params, LEAD_TIME_DELIVERIES]
    )
    return sent if pending else lead_time_stats_read(sent, values=values)


def lead_time_stats_read(sent: Sent, *, values: bool = False) -> dict:
    """The result of ``lead_time_stats(…, pending=True)``."""
    rows = sent.rows()
    if values:
        return {
            (supplier_id, item_id): tuple(listed_values(listed))
            for supplier_id, item_id, listed, _, _ in rows
        }
    result = {}
    for supplier_id, item_id, n, mean, mean_sq in rows:
        mean, mean_sq = float(mean), float(mean_sq)
        result[(supplier_id, item_id)] = (n, mean, std_from_moments(mean, mean_sq, n=n))
    return result


def suppliers_riskiest(*, limit: int | None = None, level: str = ""):
    """Suppliers with their stored score, riskiest first; ``level`` keeps one
    risk level (high as the dashboard counts it: with sufficient history)."""
    queryset = (
        Supplier.objects.filter(active=True)
        .select_related("score")
        .order_by(F("score__risk_score").desc(nulls_last=True), "code")
    )
    if level in RiskLevel.values:
        queryset = queryset.filter(score__risk_level=level)
        if level == RiskLevel.HIGH:
            queryset = queryset.filter(score__history_sufficient=True)
    return queryset[:limit] if limit else queryset


def supplier_risk_counts() -> dict:
    return SupplierScore.objects.filter(supplier__active=True).aggregate(
        high=Count("pk", filter=HIGH_RISK),
        insufficient=Count("pk", filter=Q(history_sufficient=False)),
    )


def orders_per_week_by_pilot(*, weeks: int = 4) -> dict[bool, Decimal]:
    """Delivery lines ordered per week over the last ``weeks``, pilot items
    against the rest."""
    since = timezone.now() - timedelta(weeks=weeks)
    rows = (
        DeliveryLine.objects.filter(delivery__ordered_at__gte=since)
        .values("item__jit_pilot")
        .annotate(lines=Count("pk"))
        .values_list("item__jit_pilot", "lines")
    )
    return {pilot: Decimal(lines) / weeks for pilot, lines in rows}


def item_sources(item: Item) -> list[dict]:
    """The item's sources, primary first, with quoted and measured lead time."""
    stats = lead_time_stats([item.pk])
    sources = []
    for source in (
        SupplierItem.objects.filter(item=item)
        .select_related("supplier", "supplier__score")
        .order_by("priority", "pk")
    ):
        n, mean, std = stats.get((source.supplier_id, item.pk), (0, None, None))
        sources.append(
            {
                "source": source,
                "score": getattr(source.supplier, "score", None),
                "samples": n,
                "measured_mean": mean,
                "measured_std": std,
            }
        )
    return sources


def item_on_order(item: Item, *, today: date | None = None) -> list[DeliveryLine]:
    """What is on order for the item: lines of drafts (to order), ordered and
    partly received deliveries still expecting something, soonest expected
    first (``DeliveryLine.objects.with_expected``). Each line gets ``is_late``
    (open and promised before today) and ``arrival_known`` (ordered, and
    expected today or later: the day it can be counted on)."""
    today = today or timezone.localdate()
    lines = list(
        DeliveryLine.objects.with_expected()
        .filter(
            item=item,
            delivery__status__in=ON_ORDER_STATUSES,
            quantity_ordered__gt=F("quantity_received") - F("quantity_rejected"),
        )
        .select_related("delivery", "delivery__supplier")
        .order_by(F("expected_arrival").asc(nulls_last=True), "pk")[:20]
    )
    for line in lines:
        line.is_late = line.delivery.is_late(today)
        line.arrival_known = bool(
            not line.delivery.is_draft
            and line.expected_arrival is not None
            and line.expected_arrival >= today
            and line.expected_open > 0
        )
    return lines


def delivery_lines_expected(delivery: Delivery) -> list[DeliveryLine]:
    """The delivery's lines with the supplier's answers and when each is
    expected (``with_expected``), in line order."""
    return list(
        DeliveryLine.objects.with_expected()
        .filter(delivery=delivery)
        .select_related("item", "delivery")
        .order_by("pk")
    )


def lines_changed_by_supplier(*, limit: int = 20) -> tuple[int, list[DeliveryLine]]:
    """Lines of open orders that the supplier changed or rejected. Every ordered
    line is in the firm zone (DESIGN §9), so each needs the buyer: expedite,
    re-plan or order elsewhere. (count, the first ``limit``, soonest promised
    first)."""
    lines = DeliveryLine.objects.filter(
        delivery__status__in=OPEN_DELIVERY_STATUSES,
        response__in=(LineResponse.CHANGE, LineResponse.REJECT),
    )
    first = list(
        lines.with_expected()
        .select_related("delivery", "delivery__supplier", "item")
        .order_by(F("delivery__promised_date").asc(nulls_last=True), "pk")[:limit]
    )
    count = len(first) if len(first) < limit else lines.count()
    return count, first


def supplier_lead_times(supplier: Supplier, *, limit: int = 50) -> list:
    """(received date, actual days, promised days) of recent received deliveries."""
    rows = (
        Delivery.objects.filter(
            supplier=supplier,
            status=DeliveryStatus.RECEIVED,
            ordered_at__isnull=False,
            received_at__isnull=False,
        )
        .order_by("-received_at")
        .values_list("ordered_at", "received_at", "promised_date")[:limit]
    )
    points = []
    for ordered_at, received_at, promised in reversed(list(rows)):
        ordered_day = site_date(ordered_at)
        actual = lead_time_days(ordered_at, received_at)
        promised_days = (promised - ordered_day).days if promised else None
        points.append((site_date(received_at), actual, promised_days))
    return points
