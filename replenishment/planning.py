"""The replenishment arithmetic of DESIGN §3.4, on plain values (no database).

``plan_item`` takes one item's figures (demand, stock, sources with their measured
lead times) and returns the planning figures to store on the item and, when the
projected inventory position falls to the trigger within the planning horizon, a
suggestion with its inputs and a readable reason. All arithmetic is ``Decimal``.

Every policy orders *up to* a target one delivery interval above its trigger:

- jit: trigger ROP = d·(L+ST), target S = d·(L+ST+T); Q = S − IP at the order date,
  which is d·T when ordering right at the crossing (a small batch).
- reorder_point: SS = z·√(L·σd² + d²·σL²), ROP = d·L + SS; Q = max(d·T, ROP + d·T −
  IP at the order date) — d·T at the crossing, more when stock is already short.
- min_max: min = d·(L+ST), max = min + d·T_C; Q = max − IP at the order date.

A supplier with a weekly order day adds the review period R = 7 days to the
protection interval (trigger + d·R) and orders on that weekday only
(``cadence.py``).

Then Q is raised to the minimum order quantity, rounded up to the order multiple and
capped by shelf life (d × shelf-life days, never below the minimum order).

**Planned demand** (DESIGN §8: production schedules, customer orders). For each
future day, expected demand e(t) = max(d, planned demand of day t); firm and
planned lines count from today, forecast lines only beyond the lead time (inside
it the supplier could not deliver for them anyway, and they are least certain).
With extra(t) = e(t) − d, the order day k (0 = today, at most the horizon) is the
first with position(k) ≤ trigger(k), where

    position(k) = IP − d·k − Σ extra(t) for t in [0, k)
    trigger(k)  = ROP + Σ extra(t) for t in [k, k + ⌈protection⌉)
    target(k)   = S + Σ extra(t) for t in [k, k + ⌈protection + T⌉)

and protection is L + ST (jit, min_max) or L (reorder_point). Q = target(k) −
position(k). Without planned demand this is exactly the closed form above, which
is what runs then. An item with d = 0 orders only for a real shortfall
(position < trigger), and its reason names the planned line that drove it.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from . import cadence

ZERO = Decimal("0")
ONE = Decimal("1")
MEASURED_MIN_SAMPLES = 3


@dataclass(slots=True)
class PlanningParams:
    delivery_interval_days: dict[str, int] = field(
        default_factory=lambda: {"A": 7, "B": 14, "C": 60}
    )
    min_safety_time_days: dict[str, int] = field(
        default_factory=lambda: {"A": 1, "B": 2, "C": 3}
    )
    z: Decimal = Decimal("1.65")
    demand_window_days: int = 90
    planning_horizon_days: int = 7

    def interval(self, abc_class: str) -> int:
        return self.delivery_interval_days.get(
            abc_class, self.delivery_interval_days["C"]
        )

    def min_safety_time(self, abc_class: str) -> int:
        return self.min_safety_time_days.get(abc_class, self.min_safety_time_days["C"])


@dataclass(slots=True)
class SourceFigures:
    source_id: int
    supplier_id: int
    supplier_code: str
    priority: int
    quoted_lead_time_days: int
    min_order_qty: Decimal = ZERO
    order_multiple: Decimal = ONE
    lead_time_samples: int = 0
    lead_time_mean_days: Decimal | None = None
    lead_time_std_days: Decimal | None = None
    supplier_high_risk: bool = False
    # The supplier's weekly order day (0 = Monday), None = any day (cadence.py).
    order_weekday: int | None = None

    @property
    def measured(self) -> bool:
        return (
            self.lead_time_samples >= MEASURED_MIN_SAMPLES
            and self.lead_time_mean_days is not None
        )

    @property
    def lead_time(self) -> tuple[Decimal, Decimal]:
        """(L, σL): measured when there are enough deliveries, else quoted."""
        if self.measured:
            return self.lead_time_mean_days, self.lead_time_std_days or ZERO
        return Decimal(self.quoted_lead_time_days), ZERO


@dataclass(slots=True, frozen=True)
class PlannedDay:
    """Known future demand of one item on one day (firm, planned or forecast)."""

    day: date
    quantity: Decimal
    status: str = "firm"
    reference: str = ""


@dataclass(slots=True)
class ItemFigures:
    item_id: int
    sku: str
    abc_class: str
    policy: str
    on_hand: Decimal
    on_order: Decimal
    daily_demand: Decimal
    daily_demand_std: Decimal
    sources: tuple[SourceFigures, ...]
    unit: str = "ea"
    shelf_life_days: int | None = None
    safety_time_days: int | None = None
    # Active sources in all, when ``sources`` holds only those a plan can choose
    # (the primary, and the others only when its supplier is high risk).
    source_count: int | None = None
    # Open planned demand from today on (past lines and what was already issued
    # against a reference are left out by the reader).
    planned: tuple[PlannedDay, ...] = ()


@dataclass(slots=True)
class Plan:
    """What to order (``quantity`` is None when nothing is due) and why."""

    item_id: int
    daily_demand: Decimal
    daily_demand_std: Decimal
    reorder_point: Decimal
    quantity: Decimal | None = None
    source: SourceFigures | None = None
    policy: str = ""
    order_by: date | None = None
    expected_arrival: date | None = None
    lead_time_days: Decimal = ZERO
    lead_time_std_days: Decimal = ZERO
    safety_time_days: int = 0
    delivery_interval_days: int = 0
    on_hand: Decimal = ZERO
    on_order: Decimal = ZERO
    inventory_position: Decimal = ZERO
    order_up_to: Decimal = ZERO
    single_source_risk: bool = False
    switched_source: bool = False
    unit: str = "ea"
    notes: tuple[str, ...] = ()
    primary_supplier_code: str = ""
    planned_driver: PlannedDay | None = None
    review_period_days: int = 0  # weekly order day: R in the trigger (cadence.py)

    @property
    def reason(self) -> str:
        """The readable why, e.g. "10/day, lead time 5 d measured over 6 deliveries,
        safety time 1 d, … → order 72 ea by 28 Nov; 70 rounded up to the pack of 12".
        Built on demand: regenerating unchanged suggestions never formats it."""
        if self.quantity is None:
            return ""
        d, source = self.daily_demand, self.source
        lead, samples = fmt(self.lead_time_days), source.lead_time_samples
        if source.measured:
            lead_text = f"lead time {lead} d measured over {samples} deliveries"
        else:
            lead_text = f"lead time {lead} d quoted" + (
                f" (only {source.lead_time_samples} deliveries measured)"
                if source.lead_time_samples
                else ""
            )
        parts = [
            f"{fmt(d)}/day",
            lead_text,
            f"safety time {self.safety_time_days} d",
            f"on hand {fmt(self.on_hand, 3)} + on order {fmt(self.on_order, 3)}",
        ]
        trigger, target = self.reorder_point, self.order_up_to
        if self.policy == "reorder_point":
            safety_stock = trigger - d * (self.lead_time_days + self.review_period_days)
            parts.append(
                f"reorder point {fmt(trigger)} (safety stock {fmt(safety_stock)})"
            )
        elif self.policy == "min_max":
            parts.append(f"min {fmt(trigger)}, max {fmt(target)}")
        else:
            parts.append(f"reorder point {fmt(trigger)}, order up to {fmt(target)}")
        reason = (
            ", ".join(parts)
            + f" → order {fmt(self.quantity, 3)} {self.unit} by {self.order_by:%d %b}"
        )
        if self.planned_driver is not None:
            line = self.planned_driver
            driver = f"{fmt(line.quantity, 3)} planned on {line.day:%d %b}"
            if line.reference:
                driver += f" for {line.reference}"
            if line.status != "firm":
                driver += f" ({line.status})"
            reason += "; planned demand: " + driver
        if self.notes:
            reason += "; " + "; ".join(self.notes)
        if self.switched_source:
            reason += (
                f". Ordered from {source.supplier_code} instead of the primary "
                f"{self.primary_supplier_code}, whose supplier risk is high"
            )
        if self.single_source_risk:
            reason += ". Single-source risk: an A item with only one source"
        return reason + "."


def ceil(value: Decimal) -> Decimal:
    return value.to_integral_value(rounding=ROUND_CEILING)


def floor(value: Decimal) -> Decimal:
    return value.to_integral_value(rounding=ROUND_FLOOR)


def fmt(value: Decimal, places: int = 1) -> str:
    """12 → "12", 2.50 → "2.5", 0.333 → "0.3"."""
    quantum = Decimal(1).scaleb(-places)
    text = f"{value.quantize(quantum):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def choose_source(
    sources: tuple[SourceFigures, ...],
) -> tuple[SourceFigures | None, bool]:
    """The primary source, unless its supplier is high risk and another source
    (whose supplier is not) exists. Returns (source, switched)."""
    if not sources:
        return None, False
    primary = sources[0]
    if primary.supplier_high_risk:
        for alternative in sources[1:]:
            if not alternative.supplier_high_risk:
                return alternative, True
    return primary, False


def round_quantity(
    raw: Decimal,
    *,
    min_order_qty: Decimal,
    order_multiple: Decimal,
    daily_demand: Decimal,
    shelf_life_days: int | None,
) -> tuple[Decimal, list[str]]:
    """Raise to the MOQ, round up to the multiple, cap by shelf life.

    The result is always a positive multiple of ``order_multiple`` and at least
    ``min_order_qty``; the notes say what changed the batch.
    """
    notes: list[str] = []
    multiple = order_multiple if order_multiple > 0 else ONE
    smallest = max(ceil(min_order_qty / multiple) * multiple, multiple)
    quantity = max(raw, min_order_qty)
    if min_order_qty > raw:
        notes.append(f"raised to the minimum order of {fmt(min_order_qty, 3)}")
    rounded = max(ceil(quantity / multiple) * multiple, smallest)
    if rounded != quantity and multiple != ONE:
        notes.append(f"{fmt(quantity)} rounded up to the pack of {fmt(multiple, 3)}")
    if shelf_life_days:
        cap = daily_demand * shelf_life_days
        if rounded > cap:
            capped = max(floor(cap / multiple) * multiple, smallest)
            if capped < rounded:
                notes.append(
                    f"capped at {fmt(capped, 3)} by the shelf life of "
                    f"{shelf_life_days} d"
                )
                rounded = capped
            if rounded > cap:
                notes.append(
                    f"the minimum order exceeds the {fmt(cap)} used within shelf life"
                )
    return rounded, notes


def counted_planned(
    planned: tuple[PlannedDay, ...], *, today: date, lead_time: Decimal
) -> dict[int, list[PlannedDay]]:
    """The planned lines that count, by day offset from today: firm and planned
    lines from today on, forecast lines only beyond the lead time."""
    beyond = int(ceil(lead_time))
    start = today.toordinal()
    counted: dict[int, list[PlannedDay]] = {}
    for line in planned:
        offset = line.day.toordinal() - start
        if offset < 0 or (offset <= beyond and line.status == "forecast"):
            continue
        if offset in counted:
            counted[offset].append(line)
        else:
            counted[offset] = [line]
    return counted


class _Extra:
    """Planned demand above d, by day offset: extra(t) = max(planned(t) − d, 0),
    with prefix sums so a window's total is two binary searches."""

    __slots__ = ("lines", "offsets", "prefix")

    def __init__(self, counted: dict[int, list[PlannedDay]], d: Decimal):
        self.lines = counted
        self.offsets: list[int] = []
        self.prefix: list[Decimal] = [ZERO]
        for offset in sorted(counted):
            lines = counted[offset]
            total = (
                lines[0].quantity
                if len(lines) == 1
                else sum((line.quantity for line in lines), ZERO)
            )
            if total > d:
                self.offsets.append(offset)
                self.prefix.append(self.prefix[-1] + total - d)

    def __bool__(self) -> bool:
        return bool(self.offsets)

    def between(self, start: int, end: int) -> Decimal:
        """Σ extra(t) for start ≤ t < end."""
        return (
            self.prefix[bisect_left(self.offsets, end)]
            - self.prefix[bisect_left(self.offsets, start)]
        )

    def driver(self, start: int, end: int) -> PlannedDay | None:
        """The biggest counted line in [start, end): what the reason names."""
        first, last = bisect_left(self.offsets, start), bisect_left(self.offsets, end)
        inside = [
            line for offset in self.offsets[first:last] for line in self.lines[offset]
        ]
        return max(
            inside,
            key=lambda line: (line.quantity, -line.day.toordinal()),
            default=None,
        )


def plan_item(item: ItemFigures, *, params: PlanningParams, today: date) -> Plan:
    d, sd = item.daily_demand, item.daily_demand_std
    source, switched = choose_source(item.sources)
    no_plan = Plan(
        item_id=item.item_id, daily_demand=d, daily_demand_std=sd, reorder_point=ZERO
    )
    if source is None:
        return no_plan
    lead_time, lead_time_std = source.lead_time
    extra = _Extra(
        counted_planned(item.planned, today=today, lead_time=lead_time)
        if item.planned
        else {},
        max(d, ZERO),
    )
    if d <= 0 and not extra:
        return no_plan
    d = max(d, ZERO)

    z = params.z
    min_safety = (
        item.safety_time_days
        if item.safety_time_days is not None
        else params.min_safety_time(item.abc_class)
    )
    safety_time = max(min_safety, int(ceil(z * lead_time_std)))
    interval = params.interval(item.abc_class)

    if item.policy == "reorder_point":
        safety_stock = z * (lead_time * sd * sd + d * d * lead_time_std**2).sqrt()
        trigger = d * lead_time + safety_stock
        protection = lead_time
    else:
        if item.policy == "min_max":
            interval = params.interval("C")
        trigger = d * (lead_time + safety_time)
        protection = lead_time + safety_time
    # Weekly order day (cadence.py): the review period joins the protection.
    weekday = source.order_weekday
    review = cadence.review_period_days(weekday)
    if review:
        trigger += d * review
        protection += review
    target = trigger + d * interval

    position = item.on_hand + item.on_order
    plan = Plan(
        item_id=item.item_id, daily_demand=d, daily_demand_std=sd, reorder_point=trigger
    )
    horizon = params.planning_horizon_days
    protect_days = int(ceil(protection))
    cover_days = int(ceil(protection + interval))
    driver = None
    if not extra:
        if position - d * horizon > trigger:
            return plan
        days_until = max(int(floor((position - trigger) / d)), 0)
        days_until = cadence.next_order_offset(today, days_until, weekday)
        if days_until > horizon:
            return plan
        position_then = position - d * days_until
        target_then = target
    else:
        plan.reorder_point = trigger + extra.between(0, protect_days)
        # The lowest position in the horizon above the highest trigger in it:
        # no crossing (one check instead of the day loop, for most items).
        lowest = position - d * horizon - extra.between(0, horizon)
        if lowest > trigger + extra.between(0, horizon + protect_days):
            return plan
        for days_until in range(horizon + 1):
            if review and not cadence.is_order_day(
                today + timedelta(days=days_until), weekday
            ):
                continue
            position_then = position - d * days_until - extra.between(0, days_until)
            trigger_then = trigger + extra.between(
                days_until, days_until + protect_days
            )
            if position_then < trigger_then or (
                d > 0 and position_then <= trigger_then
            ):
                break
        else:
            return plan
        target_then = target + extra.between(days_until, days_until + cover_days)
        driver = extra.driver(days_until, days_until + cover_days)
    order_by = today + timedelta(days=days_until)
    raw = target_then - position_then
    if item.policy == "reorder_point":
        raw = max(raw, d * interval)
    raw = max(raw, d)
    usable = d
    if item.shelf_life_days and extra:
        shelf = item.shelf_life_days
        usable = d + extra.between(days_until, days_until + shelf) / shelf
    quantity, notes = round_quantity(
        raw,
        min_order_qty=source.min_order_qty,
        order_multiple=source.order_multiple,
        daily_demand=usable,
        shelf_life_days=item.shelf_life_days,
    )
    if review:
        notes.insert(0, cadence.review_note(weekday))
    arrival = order_by + timedelta(days=int(ceil(lead_time)))
    count = len(item.sources) if item.source_count is None else item.source_count
    single_source = item.abc_class == "A" and count == 1

    return Plan(
        item_id=item.item_id,
        daily_demand=d,
        daily_demand_std=sd,
        reorder_point=plan.reorder_point,
        quantity=quantity,
        source=source,
        policy=item.policy,
        order_by=order_by,
        expected_arrival=arrival,
        lead_time_days=lead_time,
        lead_time_std_days=lead_time_std,
        safety_time_days=safety_time,
        delivery_interval_days=interval,
        on_hand=item.on_hand,
        on_order=item.on_order,
        inventory_position=position,
        order_up_to=target_then,
        single_source_risk=single_source,
        switched_source=switched,
        unit=item.unit,
        notes=tuple(notes),
        primary_supplier_code=item.sources[0].supplier_code,
        planned_driver=driver,
        review_period_days=review,
    )
