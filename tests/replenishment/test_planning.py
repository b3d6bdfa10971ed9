"""The arithmetic of DESIGN §3.4 on hand-computed cases (no database)."""

from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from replenishment.planning import (
    ItemFigures,
    PlanningParams,
    plan_item,
    round_quantity,
)
from tests.replenishment import figures

TODAY = date(2026, 11, 24)
PARAMS = PlanningParams()


source = figures.source


def item(**kwargs) -> ItemFigures:
    return figures.item(**{"daily_demand_std": D("2"), **kwargs})


def test_jit_orders_a_small_batch_at_the_crossing_rounded_to_the_pack():
    # Issue 17: class A's 98 % target gives z = 2.05, and σd = 2 enters jit.
    # d = 10, σd = 2, L = 5 (measured, σL 0.5), ST = max(1, ⌈2.05·0.5⌉) = 2, T(A) = 7
    # ROP = 10·(5+2) + 2.05·2·√7 = 70 + 10.848 = 80.848; S = 80.848 + 70 = 150.848
    # IP after the 7-day horizon = 100 − 70 = 30 ≤ 80.848 → due
    # crossing after ⌊(100 − 80.848)/10⌋ = 1 day → order by 25 Nov, IP then = 90
    # Q = 150.848 − 90 = 60.848 → pack of 12 → 72; arrival 25 Nov + 5 = 30 Nov
    measured = source(
        order_multiple=D("12"),
        lead_time_samples=6,
        lead_time_mean_days=D("5"),
        lead_time_std_days=D("0.5"),
    )
    plan = plan_item(item(sources=(measured,)), params=PARAMS, today=TODAY)
    assert plan.reorder_point.quantize(D("0.001")) == D("80.848")
    assert plan.order_up_to.quantize(D("0.001")) == D("150.848")
    assert plan.quantity == D("72")
    assert plan.order_by == date(2026, 11, 25)
    assert plan.expected_arrival == date(2026, 11, 30)
    assert plan.safety_time_days == 2  # ceil(2.05 × 0.5) = 2
    assert plan.reason.startswith(
        "10/day, lead time 5 d measured over 6 deliveries, safety time 2 d"
    )
    assert "order 72 ea by 25 Nov" in plan.reason
    assert "60.8 rounded up to the pack of 12" in plan.reason


def test_measured_lead_time_variability_lengthens_safety_time():
    # σd = 0 (this test is about σL). z(A) = 2.05 (issue 17):
    # σL = 1 → ST = max(1, ceil(2.05·1)) = 3; ROP = 10·(5+3) = 80; S = 150
    # crossing after (100 − 80)/10 = 2 days; Q = 150 − 80 = 70
    plan = plan_item(
        item(daily_demand_std=D("0"),
             sources=(source(lead_time_samples=3, lead_time_mean_days=D("5"),
                             lead_time_std_days=D("1")),)),
        params=PARAMS,
        today=TODAY,
    )  # fmt: skip
    assert plan.safety_time_days == 3
    assert plan.reorder_point == D("80")
    assert plan.quantity == D("70")
    assert plan.order_by == TODAY + timedelta(days=2)


def test_two_deliveries_blend_with_the_quote():
    # Issue 17: 1–2 deliveries are no longer ignored. Two of 9 days and the
    # quote 5 standing in for the third: L = (9 + 9 + 5)/3 = 7.6667,
    # σL = √(((9 − 7.667)²·2 + (5 − 7.667)²)/2) = √5.333 = 2.3094,
    # ST = max(1, ⌈2.05·2.3094⌉) = ⌈4.73⌉ = 5; σd = 0: ROP = 10·12.6667 = 126.667
    plan = plan_item(
        item(daily_demand_std=D("0"),
             sources=(source(lead_time_samples=2, lead_time_mean_days=D("9"),
                             lead_time_std_days=D("0")),)),
        params=PARAMS,
        today=TODAY,
    )  # fmt: skip
    assert plan.lead_time_days == D("7.6667")
    assert plan.lead_time_std_days == D("2.3094")
    assert plan.safety_time_days == 5
    assert plan.reorder_point == D("126.667")
    assert (
        "lead time 7.7 d from 2 deliveries (9 d) blended with the quoted 5 d"
        in plan.reason
    )


def test_reorder_point_uses_statistical_safety_stock_and_moq():
    # B item: d = 4, σd = 2, L = 9, σL = 2 (measured over 4), T(B) = 14
    # z = 1.88 (class B's 97 % target, issue 17; it was 1.65)
    # SS = 1.88·√(9·2² + 4²·2²) = 1.88·√100 = 18.8; ROP = 4·9 + 18.8 = 54.8
    # IP = 60: after 7 days 32 ≤ 54.8 → due; crossing after floor(5.2/4) = 1 day
    # Q = max(4·14 = 56, 54.8 + 56 − 56 = 54.8) = 56 → MOQ 100 → 100
    plan = plan_item(
        item(abc_class="B", policy="reorder_point", on_hand=D("60"),
             daily_demand=D("4"), daily_demand_std=D("2"),
             sources=(source(min_order_qty=D("100"), lead_time_samples=4,
                             lead_time_mean_days=D("9"), lead_time_std_days=D("2")),)),
        params=PARAMS,
        today=TODAY,
    )  # fmt: skip
    assert plan.reorder_point == D("54.8")
    assert plan.order_by == TODAY + timedelta(days=1)
    assert plan.quantity == D("100")
    assert "raised to the minimum order of 100" in plan.reason
    assert "safety stock 18.8, z 1.88 for the 97 % target of class B" in plan.reason


def test_min_max_for_c_items_capped_by_shelf_life():
    # C item: d = 2, σd = 0, L = 10 quoted, ST = 3 (C minimum), T(C) = 60
    # min = 2·(10+3) = 26; max = 26 + 2·60 = 146; IP = 30
    # crossing after (30 − 26)/2 = 2 days; Q = 146 − 26 = 120 → pack of 25 → 125
    # shelf life 50 d: 2·50 = 100 usable, less what is still on hand when the
    # order arrives (issue 17): 26 − 2·10 = 6 → cap 94 → 75 (whole packs of 25)
    plan = plan_item(
        item(abc_class="C", policy="min_max", on_hand=D("30"), daily_demand=D("2"),
             daily_demand_std=D("0"), shelf_life_days=50,
             sources=(source(quoted_lead_time_days=10, order_multiple=D("25")),)),
        params=PARAMS,
        today=TODAY,
    )  # fmt: skip
    assert (plan.reorder_point, plan.order_up_to) == (D("26"), D("146"))
    assert plan.order_by == TODAY + timedelta(days=2)
    assert plan.quantity == D("75")
    assert (
        "capped at 75 by the shelf life of 50 d with 6 still on hand at arrival"
        in plan.reason
    )
    assert plan.problem == ""


def test_stock_on_order_counts_in_the_inventory_position():
    # (σd = 0 here: issue 17 makes σd part of the jit trigger)
    # on hand 20 alone is due today; with 150 on order IP = 170, 170 − 70 > 60
    short = plan_item(
        item(on_hand=D("20"), daily_demand_std=D("0")), params=PARAMS, today=TODAY
    )
    assert short.quantity == D("110") and short.order_by == TODAY
    covered = plan_item(
        item(on_hand=D("20"), on_order=D("150"), daily_demand_std=D("0")),
        params=PARAMS,
        today=TODAY,
    )
    assert covered.quantity is None
    assert covered.reorder_point == D("60")


def test_no_demand_no_suggestion():
    plan = plan_item(
        item(on_hand=D("0"), daily_demand=D("0")), params=PARAMS, today=TODAY
    )
    assert plan.quantity is None


def test_already_below_the_trigger_orders_today_and_makes_up_the_shortfall():
    # IP = 0 → order today; Q = S − 0 = 130 (σd = 0, see above)
    plan = plan_item(
        item(on_hand=D("0"), daily_demand_std=D("0")), params=PARAMS, today=TODAY
    )
    assert plan.order_by == TODAY
    assert plan.quantity == D("130")


def test_high_risk_primary_fails_over_to_the_secondary():
    primary = source(source_id=1, supplier_id=1, supplier_code="LATE",
                     supplier_high_risk=True)  # fmt: skip
    secondary = source(source_id=2, supplier_id=2, supplier_code="GOOD", priority=2)
    plan = plan_item(item(sources=(primary, secondary)), params=PARAMS, today=TODAY)
    assert plan.source.supplier_code == "GOOD"
    assert plan.switched_source
    assert "instead of the primary LATE, whose supplier risk is high" in plan.reason
    assert not plan.single_source_risk


def test_high_risk_primary_without_alternative_stays_and_a_items_are_flagged():
    only = source(supplier_high_risk=True)
    plan = plan_item(item(sources=(only,)), params=PARAMS, today=TODAY)
    assert plan.source == only
    assert not plan.switched_source
    assert plan.single_source_risk
    assert "Single-source risk" in plan.reason


def test_single_source_risk_counts_sources_not_given_to_the_plan():
    # the generator passes only the primary when its supplier is not high risk,
    # with the number of active sources beside it
    plan = plan_item(item(source_count=2), params=PARAMS, today=TODAY)
    assert not plan.single_source_risk
    plan = plan_item(item(source_count=1), params=PARAMS, today=TODAY)
    assert plan.single_source_risk


def test_item_safety_time_override_replaces_the_class_minimum():
    plan = plan_item(
        item(safety_time_days=4, daily_demand_std=D("0")), params=PARAMS, today=TODAY
    )
    # ROP = 10·(5+4) = 90 (σd = 0, see above)
    assert plan.safety_time_days == 4
    assert plan.reorder_point == D("90")


quantities = st.decimals(min_value=D("0.001"), max_value=D("100000"), places=3)


@given(
    raw=quantities,
    moq=st.decimals(min_value=D("0"), max_value=D("1000"), places=3),
    multiple=st.decimals(min_value=D("0.5"), max_value=D("500"), places=1),
    demand=st.decimals(min_value=D("0.01"), max_value=D("1000"), places=2),
    shelf_life=st.one_of(st.none(), st.integers(min_value=1, max_value=400)),
)
def test_rounded_quantity_is_a_multiple_and_at_least_the_moq(
    raw, moq, multiple, demand, shelf_life
):
    quantity, _ = round_quantity(
        raw,
        min_order_qty=moq,
        order_multiple=multiple,
        daily_demand=demand,
        shelf_life_days=shelf_life,
    )
    assert quantity > 0
    assert quantity >= moq
    assert quantity % multiple == 0


@given(
    on_hand=st.decimals(min_value=D("0"), max_value=D("5000"), places=3),
    on_order=st.decimals(min_value=D("0"), max_value=D("5000"), places=3),
    demand=st.decimals(min_value=D("0.01"), max_value=D("500"), places=2),
    deviation=st.decimals(min_value=D("0"), max_value=D("100"), places=2),
    lead=st.integers(min_value=0, max_value=60),
    abc=st.sampled_from("ABC"),
    policy=st.sampled_from(["jit", "reorder_point", "min_max"]),
    moq=st.decimals(min_value=D("0"), max_value=D("500"), places=0),
    multiple=st.sampled_from([D("1"), D("6"), D("12"), D("25"), D("0.5")]),
)
def test_suggestions_are_never_in_the_past_and_respect_moq_and_multiple(
    on_hand, on_order, demand, deviation, lead, abc, policy, moq, multiple
):
    plan = plan_item(
        item(abc_class=abc, policy=policy, on_hand=on_hand, on_order=on_order,
             daily_demand=demand, daily_demand_std=deviation,
             sources=(source(quoted_lead_time_days=lead, min_order_qty=moq,
                             order_multiple=multiple),)),
        params=PARAMS,
        today=TODAY,
    )  # fmt: skip
    if plan.quantity is None:
        assert on_hand + on_order - demand * 7 > plan.reorder_point
        return
    assert plan.order_by >= TODAY
    assert plan.quantity >= moq
    assert plan.quantity % multiple == 0
    assert plan.expected_arrival >= plan.order_by


@given(
    st.decimals(min_value=D("-1e9"), max_value=D("1e9"), allow_nan=False, places=4),
    st.integers(min_value=0, max_value=3),
)
def test_fmt_rounds_half_to_even_and_drops_trailing_zeros(value, places):
    """fmt formats with the format spec; it must agree with quantize."""
    from replenishment.planning import fmt

    text = f"{value.quantize(D(1).scaleb(-places)):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    assert fmt(value, places) == text
    assert fmt(D("2.25")) == "2.2" and fmt(D("2.35")) == "2.4"
    assert fmt(D("12.00")) == "12" and fmt(D("0.333")) == "0.3"


@given(st.lists(st.floats(min_value=0, max_value=400), min_size=1, max_size=15))
def test_median_of_sorted_lead_times_is_the_statistics_median(values):
    from statistics import median

    from replenishment.planning import _median

    assert _median(sorted(values)) == median(values)


def test_day_month_is_strftime_in_english_for_every_day():
    from replenishment.planning import day_month

    day = date(2028, 1, 1)
    while day.year == 2028:
        assert day_month(day) == f"{day:%d %b}"
        day += timedelta(days=1)
