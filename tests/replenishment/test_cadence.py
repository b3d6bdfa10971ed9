"""Due, not early, never nagging (issue 17, item 5): the weekly order day and
the covered-until rule, on hand-computed cases (no database).

σd = 0 throughout, so the demand-variability term of the trigger is 0 and the
arithmetic below is only d, L, ST, T and the review period R."""

import random
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from replenishment.backtest import ItemHistory, replay_item
from replenishment.cadence import (
    covered_until_order_date,
    is_order_day,
    next_order_offset,
    review_period_days,
)
from replenishment.planning import (
    ItemFigures,
    PlannedDay,
    PlanningParams,
    plan_item,
)
from tests.replenishment import figures

WEDNESDAY = date(2026, 12, 2)
MONDAY = date(2026, 12, 7)
PARAMS = PlanningParams()  # A: T 7, ST 1; horizon 7


source = figures.source


def item(**kwargs) -> ItemFigures:
    return figures.item(**{"on_hand": D("150"), **kwargs})


def test_the_dates_used_here():
    assert WEDNESDAY.weekday() == 2 and MONDAY.weekday() == 0


def test_next_order_offset_counts_to_the_weekday():
    assert next_order_offset(WEDNESDAY, 0, None) == 0
    assert next_order_offset(WEDNESDAY, 3, None) == 3
    # Wednesday + 0 → Monday is 5 days out; + 2 (Friday) → still that Monday
    assert next_order_offset(WEDNESDAY, 0, 0) == 5
    assert next_order_offset(WEDNESDAY, 2, 0) == 5
    assert next_order_offset(WEDNESDAY, 0, 2) == 0  # today is the order day
    assert next_order_offset(WEDNESDAY, 1, 2) == 7  # just missed it
    assert review_period_days(None) == 0 and review_period_days(4) == 7
    assert is_order_day(MONDAY, 0) and not is_order_day(WEDNESDAY, 0)
    assert is_order_day(WEDNESDAY, None)


def test_order_day_adds_the_review_period_and_orders_on_that_day():
    # d = 10, L = 5 quoted, ST = 1, T = 7, R = 7 (Mondays)
    # trigger = 10·(5 + 1 + 7) = 130; order up to 130 + 10·7 = 200
    # IP 150 on Wednesday crosses 130 after ⌊(150 − 130)/10⌋ = 2 days (Friday);
    # the first Monday on or after Friday is 5 days out: order by Mon 7 Dec,
    # IP then 150 − 50 = 100, Q = 200 − 100 = 100; arrival 7 Dec + 5 = 12 Dec
    plan = plan_item(
        item(sources=(source(order_weekday=0),)), params=PARAMS, today=WEDNESDAY
    )
    assert plan.reorder_point == D("130")
    assert plan.order_up_to == D("200")
    assert plan.order_by == MONDAY
    assert plan.quantity == D("100")
    assert plan.expected_arrival == date(2026, 12, 12)
    assert "ordered on Mondays: 7 d to the next order day added" in plan.reason


def test_without_an_order_day_the_same_item_is_not_due_this_week():
    # trigger = 10·(5 + 1) = 60; IP after the horizon = 150 − 70 = 80 > 60
    plan = plan_item(item(), params=PARAMS, today=WEDNESDAY)
    assert plan.quantity is None
    assert plan.reorder_point == D("60")


def test_below_the_trigger_already_still_waits_for_the_order_day():
    # IP 125 ≤ 130 today (Wednesday): the supplier takes orders on Mondays only,
    # so order by Monday with IP then 125 − 50 = 75: Q = 200 − 75 = 125
    plan = plan_item(
        item(on_hand=D("125"), sources=(source(order_weekday=0),)),
        params=PARAMS,
        today=WEDNESDAY,
    )
    assert (plan.order_by, plan.quantity) == (MONDAY, D("125"))


def test_an_order_day_beyond_the_horizon_waits_for_a_later_night():
    # horizon 3 days: Monday is 5 days out, so nothing is suggested on Wednesday
    params = replace(PlanningParams(), planning_horizon_days=3)
    plan = plan_item(
        item(on_hand=D("125"), sources=(source(order_weekday=0),)),
        params=params,
        today=WEDNESDAY,
    )
    assert plan.quantity is None


def test_reorder_point_policy_adds_the_review_period_too():
    # reorder_point: SS = z·√(L·σd² + d²·σL²) = 0 (σd = σL = 0); ROP = d·L = 50,
    # + d·R = 70 → 120; IP 150 crosses after ⌊30/10⌋ = 3 days (Saturday) → Monday
    # (5 days out): IP then 100, Q = max(120 + 10·7 − 100, d·T = 70) = 90
    plan = plan_item(
        item(policy="reorder_point", sources=(source(order_weekday=0),)),
        params=PARAMS,
        today=WEDNESDAY,
    )
    assert plan.reorder_point == D("120")
    assert (plan.order_by, plan.quantity) == (MONDAY, D("90"))
    assert "(safety stock 0," in plan.reason  # R is not safety stock


def test_planned_demand_with_an_order_day_orders_on_that_day():
    # 200 firm on Friday 4 Dec (offset 2): extra = 200 − 10 = 190 that day.
    # Only Monday (offset 5) is looked at: position = 300 − 10·5 − 190 = 60;
    # trigger = 130 + extra in [5, 18) = 130 → 60 ≤ 130: order by Monday;
    # target = 200 + extra in [5, 25) = 200 → Q = 200 − 60 = 140
    planned = (PlannedDay(date(2026, 12, 4), D("200"), "firm", "SO-1"),)
    plan = plan_item(
        item(on_hand=D("300"), planned=planned, sources=(source(order_weekday=0),)),
        params=PARAMS,
        today=WEDNESDAY,
    )
    assert (plan.order_by, plan.quantity) == (MONDAY, D("140"))


def test_accepting_exactly_the_suggestion_is_covered_until_the_next_order_date():
    """The A-item case of the issue: accepting a due jit suggestion at exactly
    the suggested quantity must not make the next batch appear right away."""
    # d = 10, L = 5, ST = 1, T = 7: ROP = 60, S = 130. IP 60 → due today, Q = 70
    due = plan_item(item(on_hand=D("60")), params=PARAMS, today=WEDNESDAY)
    assert (due.order_by, due.quantity) == (WEDNESDAY, D("70"))
    # accepted: on hand 60 + on order 70 = 130 = S. The projection reaches ROP
    # on the horizon's last day: after ⌊(130 − 60)/10⌋ = 7 days
    after = plan_item(
        item(on_hand=D("60"), on_order=D("70")), params=PARAMS, today=WEDNESDAY
    )
    assert after.order_by == WEDNESDAY + timedelta(days=7)
    assert covered_until_order_date(
        order_by=after.order_by, today=WEDNESDAY, on_order=D("70")
    )
    # a week later the order arrived (day 5) and 70 were used: on hand 60,
    # nothing on order → due that day, and suggested then
    week_later = WEDNESDAY + timedelta(days=7)
    again = plan_item(item(on_hand=D("60")), params=PARAMS, today=week_later)
    assert (again.order_by, again.quantity) == (week_later, D("70"))
    assert not covered_until_order_date(
        order_by=again.order_by, today=week_later, on_order=D("0")
    )


@pytest.mark.parametrize(
    "order_by_offset,on_order,accepted_ago,covered",
    [
        (0, D("70"), 0, False),  # due today: nothing covers it
        (3, D("0"), None, False),  # nothing ordered: shown ahead, as before
        (3, D("5"), None, True),  # on order
        (3, D("0"), 6, True),  # accepted 6 days ago, T = 7: arrived, still covered
        (3, D("0"), 7, False),  # accepted one interval ago: a new cycle
        (None, D("5"), 0, False),  # nothing planned
    ],
)
def test_covered_rule(order_by_offset, on_order, accepted_ago, covered):
    order_by = (
        None if order_by_offset is None else WEDNESDAY + timedelta(order_by_offset)
    )
    accepted_on = None if accepted_ago is None else WEDNESDAY - timedelta(accepted_ago)
    assert (
        covered_until_order_date(
            order_by=order_by,
            today=WEDNESDAY,
            on_order=on_order,
            accepted_on=accepted_on,
            interval_days=7,
        )
        is covered
    )


def _history(rng: random.Random, item_id: int) -> ItemHistory:
    policy = rng.choice(["jit", "reorder_point", "min_max"])
    return ItemHistory(
        item_id=item_id,
        sku=f"R-{item_id}",
        abc_class=rng.choice("ABC"),
        xyz_class="X",
        policy=policy,
        unit_cost=1.0,
        annual_demand=D("0"),
        start_on_hand=rng.randint(0, 300) * 1000,
        issued={
            t: rng.randint(1, 40) * 500 for t in range(-90, 120) if rng.random() < 0.6
        },
        first_issue_day=-200,
        sources=(
            source(
                quoted_lead_time_days=rng.randint(1, 9),
                order_weekday=rng.randint(0, 6),
            ),
        ),
        source_count=1,
    )


def test_backtest_screen_agrees_with_plan_item_on_order_days():
    rng = random.Random(17)
    start = date(2026, 1, 5)
    ordered = 0
    for item_id in range(60):
        h = _history(rng, item_id)
        kwargs = {"days": 120, "start": start, "params": PARAMS, "seed": 1}
        fast = replay_item(h, **kwargs, with_series=True)
        slow = replay_item(h, **kwargs, with_series=True, screen=False)
        assert fast.runs["policy"] == slow.runs["policy"], h.sku
        assert fast.series == slow.series
        weekday = h.sources[0].order_weekday
        mask = fast.runs["policy"].order_days.get(1, 0)
        days = [t for t in range(120) if mask >> t & 1]
        assert all((start + timedelta(t)).weekday() == weekday for t in days), h.sku
        ordered += len(days)
    assert ordered > 100  # the replays did order, on their suppliers' days
