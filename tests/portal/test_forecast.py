"""The supplier forecast as a pure function: zones at the lead-time boundaries,
the engine run forward, open orders, lines that changed between revisions."""

from datetime import date, timedelta
from decimal import Decimal as D

from portal.forecast import (
    FIRM,
    FORECAST,
    TRADEOFF,
    ForecastItem,
    OpenOrder,
    forecast_lines,
    lines_changes,
    project_orders,
    zone,
)
from replenishment.planning import ItemFigures, PlanningParams, SourceFigures, plan_item

MONDAY = date(2026, 3, 9)
WEDNESDAY = date(2026, 3, 11)
PARAMS = PlanningParams()


def source(
    supplier_id=1, *, lead=5, priority=1, moq=D("0"), multiple=D("1"), risky=False
):
    return SourceFigures(
        source_id=supplier_id * 10,
        supplier_id=supplier_id,
        supplier_code=f"S{supplier_id}",
        priority=priority,
        quoted_lead_time_days=lead,
        min_order_qty=moq,
        order_multiple=multiple,
        supplier_high_risk=risky,
    )


def figures(*sources, on_hand=D("100"), on_order=D("0"), d=D("10"), policy="jit"):
    return ItemFigures(
        item_id=1,
        sku="BOLT",
        abc_class="A",
        policy=policy,
        on_hand=on_hand,
        on_order=on_order,
        daily_demand=d,
        daily_demand_std=D("0"),
        sources=sources or (source(),),
    )


def test_zone_boundaries_at_the_lead_time_and_twice_it():
    # Weeks start 0, 7, 14, 21 days after a Monday "today".
    weeks = [MONDAY + timedelta(days=7 * n) for n in range(4)]
    assert [zone(w, today=MONDAY, lead_time_days=7) for w in weeks] == [
        FIRM, TRADEOFF, FORECAST, FORECAST,
    ]  # fmt: skip
    assert [zone(w, today=MONDAY, lead_time_days=8) for w in weeks] == [
        FIRM, FIRM, TRADEOFF, FORECAST,
    ]  # fmt: skip
    # Exactly at L → trade-off; one day before → firm; 2L → forecast.
    assert zone(MONDAY + timedelta(days=4), today=MONDAY, lead_time_days=5) == FIRM
    assert zone(MONDAY + timedelta(days=5), today=MONDAY, lead_time_days=5) == TRADEOFF
    assert zone(MONDAY + timedelta(days=9), today=MONDAY, lead_time_days=5) == TRADEOFF
    assert zone(MONDAY + timedelta(days=10), today=MONDAY, lead_time_days=5) == FORECAST
    # The current week started before today: always firm.
    assert zone(MONDAY, today=WEDNESDAY, lead_time_days=0) == FIRM


def test_the_first_projected_order_is_todays_plan_and_later_ones_follow():
    item = figures()
    plan = plan_item(item, params=PARAMS, today=WEDNESDAY)
    orders = project_orders(
        item, params=PARAMS, today=WEDNESDAY, until=WEDNESDAY + timedelta(days=30)
    )
    # d=10, L=5, ST=1, T=7: ROP 60, S 130; on hand 100 → order 70 in 4 days,
    # then every 7 days (the position is back at S after each order).
    assert (orders[0].order_by, orders[0].quantity) == (plan.order_by, plan.quantity)
    assert [(o.order_by - WEDNESDAY).days for o in orders] == [4, 11, 18, 25]
    assert all(o.quantity == D("70") for o in orders)
    assert orders[0].arrival == plan.expected_arrival


def test_later_projected_orders_are_what_the_engine_suggests_that_day():
    item = figures(source(moq=D("50"), multiple=D("12")))
    until = WEDNESDAY + timedelta(days=60)
    orders = project_orders(item, params=PARAMS, today=WEDNESDAY, until=until)
    assert len(orders) >= 4
    # Replay: stock falls by d a day, orders arrive after the lead time; on each
    # order-by date the engine, run on those figures, suggests that very order.
    on_hand, on_order, arrivals = item.on_hand, D("0"), []
    day = WEDNESDAY
    for order in orders:
        while day < order.order_by:
            on_hand -= item.daily_demand
            day += timedelta(days=1)
            for a in [a for a in arrivals if a[0] <= day]:
                arrivals.remove(a)
                on_hand, on_order = on_hand + a[1], on_order - a[1]
        plan = plan_item(
            ItemFigures(**{**_fields(item), "on_hand": on_hand, "on_order": on_order}),
            params=PARAMS,
            today=day,
        )
        assert (plan.order_by, plan.quantity) == (order.order_by, order.quantity)
        assert plan.quantity % 12 == 0
        arrivals.append((plan.expected_arrival, plan.quantity))
        on_order += plan.quantity


def _fields(item: ItemFigures) -> dict:
    return {name: getattr(item, name) for name in item.__dataclass_fields__}


def test_no_demand_or_no_source_projects_nothing():
    until = WEDNESDAY + timedelta(days=90)
    for item in (
        figures(d=D("0")),
        ItemFigures(**{**_fields(figures()), "sources": ()}),
    ):
        assert project_orders(item, params=PARAMS, today=WEDNESDAY, until=until) == []


def test_lines_per_week_with_open_orders_firm_and_zones_by_lead_time():
    item = ForecastItem(
        figures=figures(source(lead=10), on_order=D("40")),
        supplier_sku="X-1",
        open_orders=(
            OpenOrder(D("40"), WEDNESDAY + timedelta(days=20)),  # week of 30 Mar
            OpenOrder(D("5"), WEDNESDAY - timedelta(days=3)),  # late: this week
        ),
    )
    lines = forecast_lines([item], supplier_id=1, params=PARAMS, today=WEDNESDAY)
    weeks = {line.week_start: line for line in lines}
    assert weeks[MONDAY].zone == FIRM and weeks[MONDAY].quantity >= D("5")
    ordered_week = weeks[date(2026, 3, 30)]
    assert ordered_week.zone == FIRM  # 19 days ahead but ordered
    assert ordered_week.quantity >= D("40")
    assert all(line.week_start < MONDAY + timedelta(weeks=13) for line in lines)
    # L = 10: weeks starting ≥ 10 days ahead are trade-off, ≥ 20 forecast.
    for line in lines:
        if line.week_start == ordered_week.week_start or line.week_start == MONDAY:
            continue
        ahead = (line.week_start - WEDNESDAY).days
        expected = FIRM if ahead < 10 else TRADEOFF if ahead < 20 else FORECAST
        assert line.zone == expected
    assert {line.supplier_sku for line in lines} == {"X-1"}
    assert lines[0].as_json().keys() == {
        "sku", "supplier_sku", "week_start", "quantity", "zone",
    }  # fmt: skip


def test_a_supplier_that_is_not_the_chosen_source_gets_only_its_open_orders():
    primary, secondary = source(1), source(2, priority=2)
    item = ForecastItem(
        figures=figures(primary, secondary),
        open_orders=(OpenOrder(D("8"), WEDNESDAY + timedelta(days=2)),),
    )
    lines = forecast_lines([item], supplier_id=2, params=PARAMS, today=WEDNESDAY)
    assert [(line.week_start, line.quantity, line.zone) for line in lines] == [
        (MONDAY, D("8"), FIRM)
    ]
    # The primary's supplier is high risk: the second source is chosen.
    risky = ForecastItem(figures=figures(source(1, risky=True), secondary))
    assert forecast_lines([risky], supplier_id=2, params=PARAMS, today=WEDNESDAY)
    assert not forecast_lines([risky], supplier_id=1, params=PARAMS, today=WEDNESDAY)


def test_changes_between_revisions():
    before = [
        {"sku": "A", "week_start": "2026-03-09", "quantity": "10", "zone": "firm"},
        {"sku": "B", "week_start": "2026-03-16", "quantity": "5", "zone": "tradeoff"},
        {"sku": "C", "week_start": "2026-03-16", "quantity": "1", "zone": "forecast"},
    ]
    after = [
        {"sku": "A", "week_start": "2026-03-09", "quantity": "10.000", "zone": "firm"},
        {"sku": "B", "week_start": "2026-03-16", "quantity": "7", "zone": "tradeoff"},
        {"sku": "D", "week_start": "2026-03-23", "quantity": "2", "zone": "forecast"},
    ]
    changes = lines_changes(before, after)
    assert [(c["sku"], c["before"], c["after"]) for c in changes] == [
        ("B", "5", "7"),
        ("C", "1", None),
        ("D", None, "2"),
    ]
