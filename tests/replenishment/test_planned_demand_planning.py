"""Planned demand in the arithmetic (DESIGN §8), hand-computed (no database).

The item: d = 10/day, lead time 5 d quoted, jit class A → safety time 1 d,
interval 7 d: ROP = 10·6 = 60, S = 10·13 = 130; protection window 6 days,
cover window 13 days."""

from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import example, given
from hypothesis import strategies as st

from replenishment.planning import (
    ItemFigures,
    PlannedDay,
    PlanningParams,
    SourceFigures,
    plan_item,
)

TODAY = date(2026, 12, 1)
PARAMS = PlanningParams()


def figures(**kwargs) -> ItemFigures:
    values = {
        "item_id": 1,
        "sku": "GEAR-1",
        "abc_class": "A",
        "policy": "jit",
        "on_hand": D("200"),
        "on_order": D("0"),
        "daily_demand": D("10"),
        "daily_demand_std": D("0"),
        "sources": (
            SourceFigures(
                source_id=1,
                supplier_id=1,
                supplier_code="ACME",
                priority=1,
                quoted_lead_time_days=5,
            ),
        ),
    }
    values.update(kwargs)
    return ItemFigures(**values)


def on(days: int) -> date:
    return TODAY + timedelta(days=days)


def test_without_planned_demand_nothing_is_due():
    # IP 200 − 7 days · 10 = 130 > ROP 60
    assert plan_item(figures(), params=PARAMS, today=TODAY).quantity is None


def test_a_big_planned_spike_orders_in_time_for_it():
    spike = PlannedDay(on(10), D("500"), "firm", "PO-4471")
    plan = plan_item(figures(planned=(spike,)), params=PARAMS, today=TODAY)
    # extra(10) = 500 − 10 = 490. Day k: position 200 − 10k; trigger 60 + 490
    # once day 10 is inside [k, k+6), i.e. from k = 5: 150 ≤ 550 → order on day 5.
    # target(5) = 130 + 490 (day 10 inside [5, 18)) = 620 → Q = 620 − 150 = 470.
    assert plan.order_by == on(5)
    assert plan.quantity == D("470")
    assert plan.expected_arrival == on(10)  # arrives on the day it is needed
    assert "planned demand: 500 planned on 11 Dec for PO-4471" in plan.reason


def test_a_line_beyond_the_crossing_moves_the_quantity_not_the_order_day():
    """The order day with planned demand is the day the projection crosses the
    trigger, as the closed form has it without (a line further ahead used to
    move it a day later, to the first day that starts below the trigger)."""
    # Without lines: ⌊(IP − ROP)/d⌋ = ⌊(125 − 60)/10⌋ = ⌊6.5⌋ = day 6,
    # Q = S − IP(6) = 130 − 65 = 65.
    alone = plan_item(figures(on_hand=D("125")), params=PARAMS, today=TODAY)
    assert (alone.order_by, alone.quantity) == (on(6), D("65"))
    # 30 planned on day 17: extra 20, outside every trigger window up to day 11
    # ([k, k+6)), inside the cover of day 6 ([6, 19)). Position 125 − 10k:
    # day 7 is the first at or below the trigger (55 ≤ 60); it fell below
    # during day 6 (55 < that day's trigger, 60) → order on day 6, as without;
    # target(6) = 130 + 20 = 150 → Q = 150 − 65 = 85.
    line = PlannedDay(on(17), D("30"), "firm", "SO-9")
    plan = plan_item(
        figures(on_hand=D("125"), planned=(line,)), params=PARAMS, today=TODAY
    )
    assert (plan.order_by, plan.quantity) == (on(6), D("85"))


def test_a_new_item_with_only_a_firm_line_gets_a_suggestion():
    line = PlannedDay(on(8), D("100"), "firm", "SO-1")
    plan = plan_item(
        figures(on_hand=D("0"), daily_demand=D("0"), planned=(line,)),
        params=PARAMS,
        today=TODAY,
    )
    # d = 0: position 0 stays 0; trigger(k) = 100 once day 8 is in [k, k+6):
    # k = 3 (0 < 100, a real shortfall). target(3) = 100 → Q = 100.
    assert (plan.order_by, plan.quantity) == (on(3), D("100"))
    assert "100 planned on 09 Dec for SO-1" in plan.reason


def test_stock_that_covers_the_line_orders_nothing_for_a_new_item():
    line = PlannedDay(on(8), D("100"), "firm", "SO-1")
    plan = plan_item(
        figures(on_hand=D("100"), daily_demand=D("0"), planned=(line,)),
        params=PARAMS,
        today=TODAY,
    )
    assert plan.quantity is None  # 100 on hand is exactly what is needed


def test_forecast_lines_count_only_beyond_the_lead_time():
    inside = PlannedDay(on(5), D("500"), "forecast")  # day 5 = within L = 5
    assert (
        plan_item(figures(planned=(inside,)), params=PARAMS, today=TODAY).quantity
        is None
    )
    beyond = PlannedDay(on(10), D("500"), "forecast")
    plan = plan_item(figures(planned=(beyond,)), params=PARAMS, today=TODAY)
    assert (plan.order_by, plan.quantity) == (on(5), D("470"))
    assert "(forecast)" in plan.reason
    # a firm line inside the lead time does count
    firm = PlannedDay(on(5), D("500"), "firm")
    assert plan_item(figures(planned=(firm,)), params=PARAMS, today=TODAY).quantity


def test_planned_demand_below_the_statistical_demand_changes_nothing():
    small = tuple(PlannedDay(on(k), D("8"), "firm") for k in range(20))
    with_small = plan_item(figures(planned=small), params=PARAMS, today=TODAY)
    without = plan_item(figures(), params=PARAMS, today=TODAY)
    assert (with_small.quantity, with_small.order_by) == (
        without.quantity,
        without.order_by,
    )


def test_past_lines_are_ignored():
    past = PlannedDay(on(-1), D("5000"), "firm")
    assert (
        plan_item(figures(planned=(past,)), params=PARAMS, today=TODAY).quantity is None
    )


@given(
    on_hand=st.integers(min_value=0, max_value=400),
    d=st.integers(min_value=1, max_value=30),
)
def test_no_planned_lines_is_the_closed_form(on_hand, d):
    """The day loop with an empty extra equals the closed form: a line equal to
    d every day must not change the plan."""
    base = figures(on_hand=D(on_hand), daily_demand=D(d))
    same = figures(
        on_hand=D(on_hand),
        daily_demand=D(d),
        planned=tuple(PlannedDay(on(k), D(d), "firm") for k in range(40)),
    )
    a = plan_item(base, params=PARAMS, today=TODAY)
    b = plan_item(same, params=PARAMS, today=TODAY)
    assert (a.quantity, a.order_by) == (b.quantity, b.order_by)


_LINES = st.lists(
    st.tuples(
        st.integers(min_value=-3, max_value=20),  # day offset from today
        st.integers(min_value=1, max_value=40),  # quantity
        st.sampled_from(["firm", "planned", "forecast"]),
    ),
    max_size=12,
)


@given(
    _LINES,
    st.integers(min_value=0, max_value=8),
    st.integers(0, 15),
    st.one_of(st.none(), st.integers(0, 22)),
)
def test_extra_demand_is_planned_minus_d_on_each_counted_day(lines, beyond, d, until):
    """_Extra against the rule written out: per day from today on (before
    ``until``, when given), the firm and planned lines (forecast ones only beyond
    ``beyond`` days) summed, less d where positive; the driver is the biggest
    line of the window (earliest on a tie). Lines in any order."""
    from replenishment.planning import PlannedDay, _Extra

    today = date(2026, 12, 1)
    planned = tuple(
        PlannedDay(today + timedelta(days=offset), D(qty), status)
        for offset, qty, status in lines
    )
    extra = _Extra(planned, today=today, beyond=beyond, d=D(d), until=until)
    counted = [
        line
        for line in planned
        if 0 <= (line.day - today).days < (99 if until is None else until)
        and not (line.status == "forecast" and (line.day - today).days <= beyond)
    ]
    per_day = {}
    for line in counted:
        per_day.setdefault((line.day - today).days, []).append(line)
    above = {t: sum(x.quantity for x in ls) - d for t, ls in per_day.items()}
    above = {t: v for t, v in above.items() if v > 0}
    assert bool(extra) == bool(above)
    for start in range(0, 22):
        for end in range(start, 23):
            assert extra.between(start, end) == sum(
                (v for t, v in above.items() if start <= t < end), D(0)
            )
            inside = [x for t in above if start <= t < end for x in per_day[t]]
            best = max(
                inside,
                key=lambda x: (x.quantity, -x.day.toordinal()),
                default=None,
            )
            found = extra.driver(start, end)
            assert (found and (found.quantity, found.day)) == (
                best and (best.quantity, best.day)
            )


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=150),  # day offset from today
            st.integers(min_value=1, max_value=400),
            st.sampled_from(["firm", "planned", "forecast"]),
        ),
        min_size=1,
        max_size=15,
    ),
    st.sampled_from(["A", "B", "C"]),
    st.sampled_from(["jit", "reorder_point", "min_max"]),
    st.sampled_from(["", "intermittent"]),
    st.integers(0, 30),  # quoted lead time
    st.lists(st.integers(0, 60), max_size=6),  # measured lead times
    st.one_of(st.none(), st.integers(1, 90)),  # shelf life
    st.one_of(st.none(), st.integers(0, 6)),  # weekly order day
    st.integers(0, 30),  # d
    st.integers(0, 3000),  # on hand
)
@example(  # a line just beyond the reach: the day loop and the closed form agree
    [(15, 2, "firm")], "A", "jit", "", 0, [], None, None, 1, 2
)
@example(  # a line on the reach's last day, which the plan looks at: ordered on
    # the weekly order day at the end of the horizon, it is in the cover
    [(150, 205, "planned")], "B", "min_max", "", 27, [37, 57, 15], None, 1, 29, 2649,
)  # fmt: skip
def test_lines_beyond_the_plans_reach_change_nothing(
    lines, abc, policy, pattern, quote, measured, shelf, weekday, d, on_hand
):
    """plan_item reads planned lines only up to the furthest day it looks at
    (the horizon plus the cover, or the lead time plus the shelf life): the plan
    is the same as with every line counted."""
    from unittest import mock

    from replenishment import planning
    from replenishment.planning import lead_time_figures

    n, mean, std, clipped = lead_time_figures(measured)
    source = SourceFigures(
        source_id=1,
        supplier_id=1,
        supplier_code="ACME",
        priority=1,
        quoted_lead_time_days=quote,
        min_order_qty=D("5"),
        order_multiple=D("5"),
        lead_time_samples=n,
        lead_time_mean_days=D(f"{mean:.4f}") if n else None,
        lead_time_std_days=D(f"{std:.4f}") if n else None,
        lead_time_clipped=clipped,
        order_weekday=weekday,
    )
    item = figures(
        abc_class=abc,
        policy=policy,
        daily_demand=D(d),
        daily_demand_std=D(d) / 3,
        on_hand=D(on_hand),
        sources=(source,),
        shelf_life_days=shelf,
        demand_pattern=pattern,
        demand_size=D(d * 4) if pattern else None,
        planned=tuple(
            PlannedDay(on(offset), D(qty), status)
            for offset, qty, status in sorted(lines)
        ),
    )
    plan = plan_item(item, params=PARAMS, today=TODAY)
    everything = planning._Extra

    def uncut(*args, until=None, **kwargs):
        return everything(*args, **kwargs)

    with mock.patch.object(planning, "_Extra", uncut):
        expected = plan_item(item, params=PARAMS, today=TODAY)
    assert plan == expected
    assert plan.reason == expected.reason
