"""Read-side questions about items and stock."""

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache, partial
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

from django.db import connection
from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from inventory_site.db import (
    Sent,
    datetime_param,
    is_postgresql,
    local_date_sql,
    send,
    send_query,
    send_queryset,
)

from .models import (
    BELOW_REORDER_POINT,
    STOCKED_OUT,
    BillOfMaterialsLine,
    Item,
    MovementKind,
    PlannedDemand,
    StockMovement,
    UnmetDemand,
)


def stock_overview() -> dict:
    """Headline stock figures, the JIT pilot against the rest included, in one
    scan of the items."""
    money = DecimalField(max_digits=30, decimal_places=7)
    value = F("on_hand") * F("unit_cost")
    cover = F("on_hand") / F("avg_daily_demand")
    has_demand = Q(avg_daily_demand__gt=0)
    figures = Item.objects.active().aggregate(
        items=Count("pk"),
        with_demand=Count("pk", filter=has_demand),
        stock_value=Coalesce(Sum(value, output_field=money), Decimal("0")),
        stockouts=Count("pk", filter=STOCKED_OUT),
        below_reorder_point=Count("pk", filter=BELOW_REORDER_POINT),
        class_a=Count("pk", filter=Q(abc_class="A")),
        class_b=Count("pk", filter=Q(abc_class="B")),
        class_c=Count("pk", filter=Q(abc_class="C")),
        pilot=Count("pk", filter=Q(jit_pilot=True)),
        pilot_value=Coalesce(
            Sum(value, filter=Q(jit_pilot=True), output_field=money), Decimal("0")
        ),
        pilot_stockouts=Count("pk", filter=STOCKED_OUT & Q(jit_pilot=True)),
        pilot_demand=Count("pk", filter=has_demand & Q(jit_pilot=True)),
        pilot_cover=Sum(
            cover, filter=has_demand & Q(jit_pilot=True), output_field=money
        ),
        cover=Sum(cover, filter=has_demand, output_field=money),
    )
    return figures


def pilot_comparison(stock: dict | None = None) -> dict[bool, dict]:
    """Stock value, average days of cover and stockouts: pilot against the rest,
    from the figures of ``stock_overview`` (no extra query when given)."""
    f = stock or stock_overview()

    def average(total, count):
        return Decimal(total) / count if count and total is not None else None

    rest_cover = None
    if f["cover"] is not None:
        rest_cover = Decimal(f["cover"]) - Decimal(f["pilot_cover"] or 0)
    return {
        True: {
            "items": f["pilot"],
            "stock_value": f["pilot_value"],
            "stockouts": f["pilot_stockouts"],
            "avg_days_of_cover": average(f["pilot_cover"], f["pilot_demand"]),
        },
        False: {
            "items": f["items"] - f["pilot"],
            "stock_value": f["stock_value"] - f["pilot_value"],
            "stockouts": f["stockouts"] - f["pilot_stockouts"],
            "avg_days_of_cover": average(
                rest_cover, f["with_demand"] - f["pilot_demand"]
            ),
        },
    }


def items_for_list():
    """Items with stock value and days of cover, for the list page."""
    return Item.objects.with_stock_value().with_days_of_cover()


PARETO_LEVELS = (10, 20, 30, 40, 50, 60, 70, 80, 85, 90, 95, 98, 100)


def abc_pareto_points() -> list[tuple[float, float]]:
    """(share of items %, cumulative share of annual value %) from the shares the
    classification stored; one aggregate query, no sort."""
    counts = Item.objects.active().aggregate(
        total=Count("pk", filter=Q(abc_cumulative_share__isnull=False)),
        **{
            f"le{level}": Count("pk", filter=Q(abc_cumulative_share__lte=level))
            for level in PARETO_LEVELS
        },
    )
    total = counts.pop("total")
    if not total:
        return []
    return [
        (counts[f"le{level}"] * 100 / total, float(level)) for level in PARETO_LEVELS
    ]


def median_days_of_cover(count: int | None = None) -> Decimal | None:
    """Median days of cover over items with demand (one sorted query)."""
    with_demand = Item.objects.active().filter(avg_daily_demand__gt=0)
    if count is None:
        count = with_demand.count()
    if not count:
        return None
    row = (
        with_demand.with_days_of_cover()
        .order_by("days_of_cover")
        .values_list("days_of_cover", flat=True)[count // 2 : count // 2 + 1]
    )
    value = next(iter(row), None)
    return None if value is None else Decimal(value).quantize(Decimal("0.1"))


def stock_history(item: Item, *, days: int = 90) -> list[tuple[date, float]]:
    """On hand at the end of each of the last ``days`` days, rebuilt backwards
    from today's stock and the daily net movements (one query)."""
    today = timezone.localdate()
    start = today - timedelta(days=days)
    since = timezone.make_aware(datetime.combine(start + timedelta(days=1), time.min))
    net = dict(
        StockMovement.objects.filter(item=item, occurred_at__gte=since)
        .annotate(day=TruncDate("occurred_at"))
        .values("day")
        .annotate(total=Sum("quantity"))
        .values_list("day", "total")
    )
    level = float(item.on_hand)
    points = []
    for offset in range(days + 1):
        day = today - timedelta(days=offset)
        points.append((day, level))
        level -= float(net.get(day, 0) or 0)
    points.reverse()
    return points


def item_movements(item: Item, *, limit: int = 20):
    return item.movements.select_related("created_by").order_by("-occurred_at", "-pk")[
        :limit
    ]


def item_class_history(item: Item, *, limit: int = 10):
    return item.class_changes.order_by("-changed_at", "-pk")[:limit]


def ledger_drift(*, limit: int | None = None) -> list[tuple[str, Decimal, Decimal]]:
    """Items whose ``on_hand`` differs from the sum of their movements:
    [(sku, on_hand, ledger sum)], in one aggregate query. Sums are compared to the
    ledger's 3 decimal places (SQLite adds decimals as floats)."""
    rows = (
        Item.objects.annotate(
            ledger=Coalesce(
                Sum("movements__quantity"),
                Decimal("0"),
                output_field=DecimalField(max_digits=30, decimal_places=3),
            )
        )
        .values_list("sku", "on_hand", "ledger")
        .order_by("sku")
    )
    quantum = Decimal("0.001")
    drift = []
    for sku, on_hand, ledger in rows.iterator(chunk_size=10_000):
        ledger = Decimal(str(ledger)).quantize(quantum)
        if on_hand.quantize(quantum) != ledger:
            drift.append((sku, on_hand, ledger))
            if limit and len(drift) >= limit:
                break
    return drift


def median_unit_cost() -> Decimal | None:
    """The median unit cost of the active items that have one (> 0); None for
    an empty catalogue. Two queries (a count, then one row at an offset)."""
    costs = Item.objects.filter(active=True, unit_cost__gt=0)
    count = costs.count()
    if not count:
        return None
    ordered = costs.order_by("unit_cost").values_list("unit_cost", flat=True)
    if count % 2:
        return ordered[count // 2]
    low, high = ordered[count // 2 - 1 : count // 2 + 1]
    return (low + high) / 2


# --- planned demand (DESIGN §8) ---

PLANNED_LOOKBACK_DAYS = 90  # past lines still read to allocate issues to them
PLANNED_LOOKAHEAD_DAYS = 366


class OpenPlannedLine(NamedTuple):
    """What is still expected of a planned-demand line (direct, or exploded from
    a product's line through its bill of materials). Planning reads its ``day``,
    ``quantity``, ``status`` and ``reference`` as a ``PlannedDay``."""

    item_id: int
    day: date
    quantity: Decimal
    status: str
    reference: str
    product_sku: str = ""  # set when exploded from a product


#: A row of (item_id, day, quantity, status, reference, product_sku) as an
#: ``OpenPlannedLine`` without a Python call per line (10,000 lines per chunk).
_open_line = partial(tuple.__new__, OpenPlannedLine)


def _allocate_issued(
    lines: list[OpenPlannedLine], issued: dict[tuple[int, str], Decimal]
) -> list[OpenPlannedLine]:
    """Take what was issued against each reference off its lines, earliest
    first (``issued`` is consumed)."""
    left = []
    for line in lines:
        key = (line.item_id, line.reference)
        quantity = line.quantity
        if line.reference and issued.get(key):
            used = min(issued[key], quantity)
            issued[key] -= used
            quantity -= used
        if quantity > 0:
            left.append(
                line
                if quantity == line.quantity
                else OpenPlannedLine(
                    line.item_id,
                    line.day,
                    quantity,
                    line.status,
                    line.reference,
                    line.product_sku,
                )  # fmt: skip
            )
    return left


class PlannedRecords:
    """One item's planned lines as the range read sends them on PostgreSQL
    (``_RECORDS_SQL``): one text, a record per line in date order —
    "days from today,quantity,status,reference", the reference %-escaped —,
    separated by ``RECORD_SEPARATOR``. A chunk's 10,000 lines cost Python a
    tuple each to fetch and another to build, yet a plan looks only at the days
    up to its cover (``planning.plan_item``): ``before`` parses only those.
    Iterating gives every line from today on."""

    __slots__ = ("item_id", "today", "text")

    def __init__(self, item_id: int, today: date, text: str):
        self.item_id, self.today, self.text = item_id, today, text

    def before(self, days: int) -> list[OpenPlannedLine]:
        """The lines from today on dated before ``days`` days from today."""
        return self._lines(days, past=False)

    def any_ahead(self) -> bool:
        """Whether a line is dated today or later (the last is the latest)."""
        return not self.text.startswith("-", self.text.rfind(RECORD_SEPARATOR) + 1)

    def all_lines(self) -> list[OpenPlannedLine]:
        """Every line, the past ones too (for issues to use them up)."""
        return self._lines(sys.maxsize, past=True)

    def _lines(self, days: int, *, past: bool) -> list[OpenPlannedLine]:
        item_id, today, lines = self.item_id, self.today, []
        ahead = _days_ahead(today)
        known = len(ahead)
        for record in self.text.split(RECORD_SEPARATOR):
            offset, quantity, status, reference = record.split(",", 3)
            offset = int(offset)
            if offset >= days:
                break
            if 0 <= offset < known:
                day = ahead[offset]
            elif offset < 0 and not past:
                continue
            else:  # past, or beyond the usual lookahead
                day = today + timedelta(days=offset)
            if "%" in reference:
                reference = reference.replace("%1E", RECORD_SEPARATOR)
                reference = reference.replace("%25", "%")
            lines.append(
                _open_line((item_id, day, Decimal(quantity), status, reference, ""))
            )
        return lines

    def __iter__(self):
        return iter(self.before(sys.maxsize))

    def __repr__(self) -> str:
        return f"PlannedRecords({self.item_id}, {self.text!r})"


RECORD_SEPARATOR = "\x1e"


@lru_cache(maxsize=4)
def _days_ahead(today: date) -> tuple[date, ...]:
    """today, today + 1 day, …, to the lookahead's last day: a line's date from
    its offset without a timedelta each (a third of the cost of a record)."""
    return tuple(today + timedelta(days=k) for k in range(PLANNED_LOOKAHEAD_DAYS + 1))


def _planned_lines(within: Q, today: date, since: date, until: date):
    """Planned-demand lines up to ``until`` as ``OpenPlannedLine`` rows, by item
    and date: from today on, and back to ``since`` for lines with a reference
    (an issue booked against it may use them up)."""
    return (
        PlannedDemand.objects.filter(
            within,
            Q(date__gte=today) | (Q(date__gte=since) & ~Q(reference="")),
            date__lte=until,
        )
        .order_by("item_id", "date")
        .annotate(product_sku=Value(""))
        .values_list(
            "item_id", "date", "quantity", "status", "reference", "product_sku"
        )
    )


def _bom_lines(within: Q):
    """Bill-of-materials lines whose component is among the items."""
    return (
        BillOfMaterialsLine.objects.filter(within)
        .order_by()
        .values_list(
            "product_id",
            "component_id",
            "quantity",
            "product__sku",
            "product__production_lead_time_days",
        )
    )


@dataclass(frozen=True, slots=True)
class PlannedSent:
    """``planned_demand_open(…, pending=True)``: its queries, sent."""

    today: date
    until: date
    lines: Sent
    bom: Sent
    issued: Sent
    records: bool = False  # lines as one text per item (PlannedRecords)


def planned_demand_open(
    *,
    today: date,
    first_id: int | None = None,
    last_id: int | None = None,
    item_ids: Iterable[int] | None = None,
    days_ahead: int = PLANNED_LOOKAHEAD_DAYS,
    pending: bool = False,
) -> dict[int, list[OpenPlannedLine]] | PlannedSent:
    """Open planned demand from today on, per item, for an id range or a list.

    - A product's line explodes into its components' lines (one level), on the
      product's date minus its production lead time (today at the earliest: a
      component that was needed yesterday is needed now), quantity × per unit.
    - Issues booked with a line's reference use the lines of that item and
      reference up, earliest first (past lines included), so a planned issue
      that has happened never counts twice.
    - Lines dated before today are then left out: they happened or they didn't.

    Three queries, whatever the number of items (the BOM one is empty without
    bills of materials; a fourth explodes products' lines when there are BOMs).
    On PostgreSQL an id range's lines come as one text per item
    (``PlannedRecords``). ``pending=True``: the queries sent (``db.send``), read
    with ``planned_demand_read``.
    """
    since = today - timedelta(days=PLANNED_LOOKBACK_DAYS)
    until = today + timedelta(days=days_ahead)
    if item_ids is None and first_id is None:
        first_id, last_id = 0, 2**63 - 1  # every item
    if item_ids is not None:
        ids = list(item_ids)
        lines = send_queryset(_planned_lines(Q(item_id__in=ids), today, since, until))
        bom = send_queryset(_bom_lines(Q(component_id__in=ids)))
        issued = send_queryset(_referenced_issues(Q(item_id__in=ids)))
        records = False
    else:
        records = is_postgresql()
        if records:  # a text per item (PlannedRecords)
            values = [today, first_id, last_id, until, today, since]
            lines = send(_RECORDS_SQL, values)
        else:  # compiled once per process (db.send_query), as the next two
            lines = send_query(
                "planned_demand_open.lines",
                lambda first_id, last_id, today, since, until: _planned_lines(
                    Q(item_id__gte=first_id, item_id__lte=last_id), today, since,
                    until,
                ),
                first_id=first_id, last_id=last_id, today=today, since=since,
                until=until,
            )  # fmt: skip

        def ranged(key, query, field="item_id"):
            def build(first_id, last_id):
                return query(Q(**{f"{field}__gte": first_id, f"{field}__lte": last_id}))

            return send_query(key, build, first_id=first_id, last_id=last_id)

        bom = ranged("planned_demand_open.bom", _bom_lines, field="component_id")
        issued = ranged("planned_demand_open.issued", _referenced_issues)
    sent = PlannedSent(today, until, lines, bom, issued, records)
    return sent if pending else planned_demand_read(sent)


#: The lines of an id range, as ``PlannedRecords`` texts (PostgreSQL).
_RECORDS_SQL = f"""
    SELECT item_id,
           string_agg(concat_ws(',', date - %s::date, quantity, status,
                                replace(replace(reference, '%%', '%%25'),
                                        E'\\x1e', '%%1E')),
                      E'\\x1e' ORDER BY date)
      FROM {PlannedDemand._meta.db_table}
     WHERE item_id BETWEEN %s AND %s AND date <= %s
       AND (date >= %s OR (date >= %s AND reference <> ''))
     GROUP BY item_id
"""


def planned_demand_read(
    sent: PlannedSent, *, lazy: bool = False
) -> dict[int, list[OpenPlannedLine] | PlannedRecords]:
    """The result of ``planned_demand_open(…, pending=True)``: per item its
    open lines from today on, in date order. ``lazy``: an id range's items as
    ``PlannedRecords`` where nothing was issued against their references (for
    planning, which parses only the days it looks at)."""
    today, until = sent.today, sent.until
    by_item: dict[int, list[OpenPlannedLine] | PlannedRecords] = {}
    if sent.records:
        for item_id, text in sent.lines.rows():
            by_item[item_id] = PlannedRecords(item_id, today, text)
    else:
        rows = map(_open_line, sent.lines.rows())
        for item_id, lines in groupby(rows, itemgetter(0)):
            by_item[item_id] = list(lines)
    bom = sent.bom.rows()
    # Every referenced issue of the items, from the partial reference index (no
    # list of references to send: a chunk can name thousands).
    issued: dict[tuple[int, str], Decimal] = {
        (item_id, reference): -total for item_id, reference, total in sent.issued.rows()
    }
    if bom:
        uses: dict[int, list[tuple]] = {}
        for product_id, component_id, per_unit, sku, lead in bom:
            uses.setdefault(product_id, []).append((component_id, per_unit, sku, lead))
        exploded: set[int] = set()
        for product_id, day, quantity, status, reference in (
            PlannedDemand.objects.filter(
                item_id__in=list(uses), date__gte=today, date__lte=until
            )
            .order_by()
            .values_list("item_id", "date", "quantity", "status", "reference")
        ):
            for component_id, per_unit, sku, lead in uses[product_id]:
                need = max(day - timedelta(days=lead or 0), today)
                own = by_item.get(component_id)
                if type(own) is PlannedRecords:
                    by_item[component_id] = own.all_lines()
                by_item.setdefault(component_id, []).append(
                    OpenPlannedLine(
                        component_id, need, quantity * per_unit, status, reference, sku
                    )
                )
                exploded.add(component_id)
        for component_id in exploded:
            by_item[component_id].sort(key=lambda line: line.day)
    used_up = {item_id for item_id, _ in issued}
    result: dict[int, list[OpenPlannedLine] | PlannedRecords] = {}
    for item_id, lines in by_item.items():
        if type(lines) is PlannedRecords:
            if item_id in used_up:
                lines = lines.all_lines()
            elif not lines.any_ahead():
                continue
            elif lazy:
                result[item_id] = lines
                continue
            else:
                lines = list(lines)
        if item_id in used_up:
            lines = _allocate_issued(lines, issued)
        if lines and lines[0].day < today:
            lines = [line for line in lines if line.day >= today]
        if lines:
            result[item_id] = lines
    return result


def _referenced_issues(within: Q):
    """Per item and reference, the quantity issued against it (negative)."""
    return (
        StockMovement.objects.filter(within, kind=MovementKind.ISSUE)
        .exclude(reference="")
        .order_by()
        .values_list("item_id", "reference")
        .annotate(total=Sum("quantity"))
    )


# --- unmet demand (DESIGN §7) ---


def _as_date(value) -> date:
    """A local date from SQL: a ``date`` on PostgreSQL, ISO text on SQLite."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _d3(value) -> Decimal:
    """A SQL sum as the ledger's 3 places (SQLite sums decimals as floats)."""
    return Decimal(str(value)).quantize(Decimal("0.001"))


class UnmetDay(NamedTuple):
    """One item's unmet demand on one site-local day, and what the ledger issued
    that day (both positive)."""

    item_id: int
    day: date
    unmet: Decimal
    issued: Decimal


def unmet_demand_days(
    *,
    first_id: int,
    last_id: int,
    since: datetime,
    until: datetime,
    pending: bool = False,
) -> list[UnmetDay] | Sent:
    """Unmet demand per item and site-local day in [since, until) for the items
    with ids in [first_id, last_id], each with the quantity issued that day.

    One aggregated query for the whole id range (the unmet-demand index, then the
    issue index only for the few items that have unmet demand): the planning
    reader adds these days to its daily issue sums without re-reading them.
    ``pending=True``: the query sent (``db.send``), read with
    ``unmet_demand_days_read``."""
    unmet_table = UnmetDemand._meta.db_table
    movement_table = StockMovement._meta.db_table
    u_day, u_params = local_date_sql("u.occurred_at")
    m_day, m_params = local_date_sql("m.occurred_at")
    window = (
        "BETWEEN %s AND %s AND {alias}.occurred_at >= %s AND {alias}.occurred_at < %s"
    )
    bounds = [first_id, last_id, datetime_param(since), datetime_param(until)]
    sql = f"""
        SELECT u.item_id, u.day, u.unmet, COALESCE(i.issued, 0)
          FROM (SELECT u.item_id, {u_day} AS day, SUM(u.quantity) AS unmet
                  FROM {unmet_table} u
                 WHERE u.item_id {window.format(alias="u")}
                 GROUP BY 1, 2) u
          LEFT JOIN (
                SELECT m.item_id, {m_day} AS day, -SUM(m.quantity) AS issued
                  FROM {movement_table} m
                 WHERE m.kind = %s AND m.item_id {window.format(alias="m")}
                   AND m.item_id IN (
                       SELECT w.item_id FROM {unmet_table} w
                        WHERE w.item_id {window.format(alias="w")})
                 GROUP BY 1, 2) i
            ON i.item_id = u.item_id AND i.day = u.day
         ORDER BY u.item_id, u.day
    """
    params = [*u_params, *bounds, *m_params, MovementKind.ISSUE, *bounds, *bounds]
    sent = send(sql, params)
    return sent if pending else unmet_demand_days_read(sent)


def unmet_demand_days_read(sent: Sent) -> list[UnmetDay]:
    """The result of ``unmet_demand_days(…, pending=True)``."""
    return [
        UnmetDay(item_id, _as_date(day), _d3(unmet), _d3(issued))
        for item_id, day, unmet, issued in sent.rows()
    ]


def unmet_demand_by_day(
    *, first_id: int, last_id: int, since: datetime, until: datetime | None = None
) -> dict[int, dict[date, Decimal]]:
    """Per item, its unmet demand per site-local day from ``since`` (to ``until``),
    for the items with ids in [first_id, last_id]. One query."""
    day, day_params = local_date_sql("u.occurred_at")
    sql = f"""
        SELECT u.item_id, {day}, SUM(u.quantity)
          FROM {UnmetDemand._meta.db_table} u
         WHERE u.item_id BETWEEN %s AND %s AND u.occurred_at >= %s
               {"AND u.occurred_at < %s" if until is not None else ""}
         GROUP BY 1, 2
    """
    params = [*day_params, first_id, last_id, datetime_param(since)]
    params += [datetime_param(until)] if until is not None else []
    result: dict[int, dict[date, Decimal]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for item_id, local_day, quantity in cursor.fetchall():
            result.setdefault(item_id, {})[_as_date(local_day)] = _d3(quantity)
    return result


def item_unmet_demand(item: Item, *, limit: int = 10):
    """An item's latest unmet demand records (the item page)."""
    return UnmetDemand.objects.filter(item=item).select_related("created_by")[:limit]
