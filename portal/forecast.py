"""The forecast a supplier sees (DESIGN §9), on plain values (no database).

For each item this supplier is the chosen source of (``planning.choose_source``:
the primary, or the next source when the primary's supplier is high risk), the
planning engine is run forward day by day from today, on projected figures, with
the very ``plan_item`` the nightly suggestions use:

- the inventory position falls by d per day (demand unchanged), or by the
  planned demand of a day where that is more (DESIGN §8, when the figures carry
  ``planned`` lines);
- on the day a plan says "order by", its quantity is ordered (it joins
  ``on_order`` and moves to ``on_hand`` on its expected arrival);
- the next plans are made on that position, and so on for 13 weeks.

So the first projected order is the open suggestion the engine makes today, and
each later one is the suggestion it will make when that day comes, given
unchanged demand, lead time and parameters. A projected order is counted in the
ISO week (Monday, site calendar) of its **order-by date**: what we expect to order
from the supplier that week. Open orders (ordered or partly received deliveries
of this supplier) are counted in the week of their expected arrival (ship notice,
else confirmed date, else promised date); a late or undated one in this week.

Zones, with L = the lead time in whole days (⌈L⌉ of the chosen source, measured
or quoted, as the plan uses it) and ``days`` = week start − today:

- ``firm``: ordered, or days < L (the week starts inside the lead time, so this
  week, whose start is ≤ today, is always firm);
- ``tradeoff``: L ≤ days < 2L;
- ``forecast``: days ≥ 2L.

A week that holds both an open order and a projected order of an item is one
line: the sum, ``firm`` because part of it is ordered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from inventory_site.dates import week_start
from replenishment.planning import (
    ItemFigures,
    PlanningParams,
    ceil,
    choose_source,
    plan_item,
)

ZERO = Decimal("0")
WEEKS = 13
MAX_STEPS = 10_000
FIRM, TRADEOFF, FORECAST = "firm", "tradeoff", "forecast"


@dataclass(frozen=True, slots=True)
class OpenOrder:
    """An ordered line still open: ``quantity`` expected on ``arrival``."""

    quantity: Decimal
    arrival: date | None


@dataclass(frozen=True, slots=True)
class ForecastItem:
    figures: ItemFigures
    supplier_sku: str = ""
    open_orders: tuple[OpenOrder, ...] = ()


@dataclass(frozen=True, slots=True)
class ProjectedOrder:
    order_by: date
    arrival: date
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class ForecastLine:
    sku: str
    supplier_sku: str
    week_start: date
    quantity: Decimal
    zone: str

    def as_json(self) -> dict:
        return {
            "sku": self.sku,
            "supplier_sku": self.supplier_sku,
            "week_start": self.week_start.isoformat(),
            "quantity": f"{self.quantity.normalize():f}",
            "zone": self.zone,
        }


def zone(week: date, *, today: date, lead_time_days: int) -> str:
    """The zone of a week without open orders (see the module rules)."""
    days = (week - today).days
    if days < lead_time_days:
        return FIRM
    if days < 2 * lead_time_days:
        return TRADEOFF
    return FORECAST


def lead_time_days(figures: ItemFigures) -> int:
    source, _ = choose_source(figures.sources)
    if source is None:
        return 0
    return int(ceil(source.lead_time[0]))


def project_orders(
    figures: ItemFigures, *, params: PlanningParams, today: date, until: date
) -> list[ProjectedOrder]:
    """The orders the engine will suggest from ``today`` to ``until`` (order-by
    dates), each placed on its order-by date (see the module docstring)."""
    d = figures.daily_demand
    orders: list[ProjectedOrder] = []
    planned = _planned_by_day(figures)
    if (d <= 0 and not planned) or not figures.sources:
        return orders

    def demand(first: date, days: int) -> Decimal:
        """Stock used over ``days`` days from ``first``: d a day, or the planned
        demand of a day when that is more (DESIGN §8, as plan_item expects)."""
        if not planned:
            return d * days
        return sum(
            (max(d, planned.get(first + timedelta(days=n), ZERO)) for n in range(days)),
            ZERO,
        )

    on_hand, on_order = figures.on_hand, figures.on_order
    arriving: list[ProjectedOrder] = []  # projected, ordered, not yet arrived
    day = today
    for _ in range(MAX_STEPS):  # a plan orders at least d: this always ends
        if day > until:
            break
        plan = plan_item(
            replace(figures, on_hand=on_hand, on_order=on_order),
            params=params,
            today=day,
        )
        if plan.quantity is None:
            step = 1
        else:
            if plan.order_by > until:
                break
            step = (plan.order_by - day).days
        # Move to the order-by date (or the next day): demand, then arrivals.
        on_hand -= demand(day, step)
        day += timedelta(days=step)
        for order in [o for o in arriving if o.arrival <= day]:
            arriving.remove(order)
            on_order -= order.quantity
            on_hand += order.quantity
        if plan.quantity is not None:
            order = ProjectedOrder(plan.order_by, plan.expected_arrival, plan.quantity)
            orders.append(order)
            if order.arrival <= day:
                on_hand += order.quantity
            else:
                arriving.append(order)
                on_order += order.quantity
    return orders


def _planned_by_day(figures: ItemFigures) -> dict[date, Decimal]:
    """Planned demand per day, when the engine has it (``ItemFigures.planned``,
    DESIGN §8); every status counts as stock that will be used that day."""
    by_day: dict[date, Decimal] = {}
    for line in getattr(figures, "planned", ()):
        by_day[line.day] = by_day.get(line.day, ZERO) + line.quantity
    return by_day


def forecast_lines(
    items: Iterable[ForecastItem],
    *,
    supplier_id: int,
    params: PlanningParams,
    today: date,
    weeks: int = WEEKS,
) -> list[ForecastLine]:
    """The supplier's forecast lines, by SKU then week, weeks with nothing to
    order left out."""
    first = week_start(today)
    last = first + timedelta(days=7 * weeks - 1)
    lines: list[ForecastLine] = []
    for item in items:
        figures = item.figures
        ordered: dict[date, Decimal] = {}
        for open_order in item.open_orders:
            arrival = open_order.arrival or first
            week = max(week_start(arrival), first)
            if week <= last and open_order.quantity > 0:
                ordered[week] = ordered.get(week, ZERO) + open_order.quantity
        planned: dict[date, Decimal] = {}
        source, _ = choose_source(figures.sources)
        if source is not None and source.supplier_id == supplier_id:
            for order in project_orders(
                figures, params=params, today=today, until=last
            ):
                week = week_start(order.order_by)
                planned[week] = planned.get(week, ZERO) + order.quantity
        lead = lead_time_days(figures)
        for week in sorted(ordered.keys() | planned.keys()):
            quantity = ordered.get(week, ZERO) + planned.get(week, ZERO)
            tag = (
                FIRM
                if week in ordered
                else zone(week, today=today, lead_time_days=lead)
            )
            lines.append(
                ForecastLine(figures.sku, item.supplier_sku, week, quantity, tag)
            )
    lines.sort(key=lambda line: (line.sku, line.week_start))
    return lines


def lines_changes(previous: Sequence[dict], current: Sequence[dict]) -> list[dict]:
    """What changed between two revisions' JSON lines, keyed by (sku, week):
    ``{"sku", "week_start", "before", "after", "zone_before", "zone_after"}``,
    with ``before``/``after`` None for a line that appeared or went away."""
    old = {(line["sku"], line["week_start"]): line for line in previous}
    new = {(line["sku"], line["week_start"]): line for line in current}
    changes = []
    for key in sorted(old.keys() | new.keys()):
        before, after = old.get(key), new.get(key)
        if before is not None and after is not None:
            same_quantity = Decimal(before["quantity"]) == Decimal(after["quantity"])
            if same_quantity and before["zone"] == after["zone"]:
                continue
        changes.append(
            {
                "sku": key[0],
                "week_start": key[1],
                "before": before["quantity"] if before else None,
                "after": after["quantity"] if after else None,
                "zone_before": before["zone"] if before else None,
                "zone_after": after["zone"] if after else None,
            }
        )
    return changes
