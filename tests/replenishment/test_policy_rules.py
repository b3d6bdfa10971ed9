"""The rules of issue 17 (DESIGN §7) in the planning arithmetic, by hand."""

import random
from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from replenishment.planning import (
    DemandStats,
    ItemFigures,
    PlanningParams,
    _gamma_p,
    croston,
    demand_estimate,
    demand_pattern,
    gamma_quantile,
    intermittent_quantile,
    lead_time_figures,
    plan_item,
    z_for_target,
)
from tests.replenishment import figures

TODAY = date(2026, 11, 24)
PARAMS = PlanningParams()


source = figures.source


def item(**kwargs) -> ItemFigures:
    return figures.item(**{"source_count": 2, **kwargs})


# --- 1. service targets per class ---


def test_service_targets_give_each_class_its_z():
    # Φ⁻¹(0.98) = 2.054 → 2.05; Φ⁻¹(0.97) = 1.881 → 1.88; Φ⁻¹(0.95) = 1.645 → 1.64
    assert [PARAMS.z_for(c) for c in "ABC"] == [D("2.05"), D("1.88"), D("1.64")]
    assert z_for_target(D("0.99")) == D("2.33")
    # a what-if z is one factor for every class, and its level Φ(2) = 0.9772
    what_if = PlanningParams(z=D("2"))
    assert [what_if.z_for(c) for c in "ABC"] == [D("2")] * 3
    assert what_if.service_target("C") == D("0.9772")


def test_jit_trigger_adds_demand_variability():
    # A: d = 10, σd = 3, L = 5, ST = 1 → L + ST = 6
    # ROP = 10·6 + 2.05·3·√6 = 60 + 6.15·2.44949 = 60 + 15.064 = 75.064
    plan = plan_item(item(daily_demand_std=D("3")), params=PARAMS, today=TODAY)
    assert plan.reorder_point.quantize(D("0.001")) == D("75.064")
    assert plan.order_up_to.quantize(D("0.001")) == D("145.064")  # + d·T = 70
    assert "jit reorder point 75.1 (60 over 6 d + 15.1 for demand variability" in (
        plan.reason
    )
    assert "z 2.05 for the 98 % target of class A" in plan.reason


def test_a_higher_target_raises_the_trigger():
    # B at 97 %: z 1.88, ST = 2 → ROP = 10·7 + 1.88·3·√7 = 70 + 14.922 = 84.922
    # B at 99 %: z 2.33 → 70 + 2.33·3·√7 = 70 + 18.494 = 88.494
    b_item = item(abc_class="B", daily_demand_std=D("3"))
    plan = plan_item(b_item, params=PARAMS, today=TODAY)
    assert plan.reorder_point.quantize(D("0.001")) == D("84.922")
    strict = PlanningParams(
        service_targets={"A": D("0.98"), "B": D("0.99"), "C": D("0.95")}
    )
    plan = plan_item(b_item, params=strict, today=TODAY)
    assert plan.reorder_point.quantize(D("0.001")) == D("88.494")


def test_min_max_minimum_adds_demand_variability():
    # C: d = 2, σd = 1, L = 10, ST = 3 → 13 d; z 1.64
    # min = 2·13 + 1.64·1·√13 = 26 + 5.913 = 31.913; max = min + 2·60 = 151.913
    plan = plan_item(
        item(abc_class="C", policy="min_max", on_hand=D("30"), daily_demand=D("2"),
             daily_demand_std=D("1"), sources=(source(quoted_lead_time_days=10),)),
        params=PARAMS,
        today=TODAY,
    )  # fmt: skip
    assert plan.reorder_point.quantize(D("0.001")) == D("31.913")
    assert plan.order_up_to.quantize(D("0.001")) == D("151.913")
    assert plan.order_by == TODAY  # 30 ≤ 31.9 already


@given(
    low=st.decimals(min_value=D("0"), max_value=D("50"), places=2),
    high=st.decimals(min_value=D("0"), max_value=D("50"), places=2),
    demand=st.decimals(min_value=D("0.1"), max_value=D("100"), places=2),
    lead=st.integers(min_value=0, max_value=30),
    abc=st.sampled_from("ABC"),
)
def test_sigma_d_raises_the_jit_trigger_monotonically(low, high, demand, lead, abc):
    low, high = min(low, high), max(low, high)

    def trigger(sd):
        figures = item(abc_class=abc, daily_demand=demand, daily_demand_std=sd,
                       sources=(source(quoted_lead_time_days=lead),))  # fmt: skip
        return plan_item(figures, params=PARAMS, today=TODAY).reorder_point

    assert trigger(low) <= trigger(high)
    if high > low:
        assert trigger(low) < trigger(high)


# --- 2. demand patterns, Croston/SBA, intermittent lead-time demand ---


def test_demand_patterns_by_adi_and_cv2():
    # 90 days, 90 demand days of 10: ADI 1, CV² 0 → smooth
    assert demand_pattern(days=90, demand_days=90, total=900, squares=9000) == "smooth"
    # 90 demand days, half 5 and half 15: Σq = 900, Σq² = 45·25 + 45·225 = 11250,
    # CV² = 90·11250/900² − 1 = 0.25 → smooth; 1 and 19: Σq² = 45 + 16245 = 16290,
    # CV² = 90·16290/810000 − 1 = 0.81 → erratic
    assert demand_pattern(days=90, demand_days=90, total=900, squares=11250) == "smooth"
    assert demand_pattern(days=90, demand_days=90, total=900, squares=16290) == (
        "erratic"
    )
    # 30 demand days of 30 in 90: ADI 3 ≥ 1.32, CV² 0 → intermittent
    assert demand_pattern(days=90, demand_days=30, total=900, squares=27000) == (
        "intermittent"
    )
    # 30 demand days, 15 of 2 and 15 of 58: Σq = 900, Σq² = 60 + 50460 = 50520,
    # CV² = 30·50520/810000 − 1 = 0.871 → lumpy
    assert demand_pattern(days=90, demand_days=30, total=900, squares=50520) == "lumpy"
    # the cut-off itself: 68 days with demand in 90 → ADI 1.3235 ≥ 1.32
    assert demand_pattern(days=90, demand_days=68, total=680, squares=6800) == (
        "intermittent"
    )
    assert demand_pattern(days=90, demand_days=69, total=690, squares=6900) == "smooth"
    assert demand_pattern(days=90, demand_days=0, total=0, squares=0) == ""


def test_croston_smooths_sizes_and_intervals():
    # demands on days 0, 4, 6 of sizes 10, 20, 30; weights newest 1, then 0.9, 0.81
    # size = (30 + 0.9·20 + 0.81·10)/(1 + 0.9 + 0.81) = 56.1/2.71 = 20.701
    # gaps 2 (ending at the newest, weight 1) and 4 (weight 0.9):
    # interval = (2 + 0.9·4)/1.9 = 5.6/1.9 = 2.947
    size, interval = croston(((0, 10.0), (4, 20.0), (6, 30.0)), days=90)
    assert size == pytest.approx(56.1 / 2.71)
    assert interval == pytest.approx(5.6 / 1.9)
    # one demand day: the interval is the window
    assert croston(((3, 12.0),), days=60) == (12.0, 60.0)


def test_sporadic_demand_is_planned_by_sba():
    # 90-day window, 20 demands of 9 (Σq 180); the last five on days 0…18
    estimate = demand_estimate(
        DemandStats(days=90, total=180, squares=20 * 81, demand_days=20,
                    events=((0, 9.0), (5, 9.0), (9, 9.0), (14, 9.0), (18, 9.0)))
    )  # fmt: skip
    assert estimate.pattern == "intermittent"
    # size 9; gaps 4, 5, 4, 5 newest first weights 1, 0.9, 0.81, 0.729:
    # (4 + 4.5 + 3.24 + 3.645)/3.439 = 15.385/3.439 = 4.4737; d = 0.95·9/4.4737
    assert estimate.size == D("9.0000")
    assert float(estimate.interval) == pytest.approx(4.4737, abs=1e-4)
    assert float(estimate.daily_demand) == pytest.approx(0.95 * 9 / 4.4737, abs=2e-4)
    assert "by Croston/SBA, intermittent demand: 9 every 4.5 d × 0.95" in estimate.note
    # without the days themselves: sizes and intervals from the sums,
    # 180/20 = 9 every 90/20 = 4.5 days → d = 0.95·2 = 1.9
    plain = demand_estimate(
        DemandStats(days=90, total=180, squares=20 * 81, demand_days=20)
    )
    assert plain.daily_demand == D("1.9000")


def test_intermittent_quantile_has_the_point_mass_and_the_gamma_tail():
    # rate 2/day in sizes of 10 → q = 0.2 a day; 5 days: p₀ = 0.8⁵ = 0.32768
    # level 0.3 ≤ p₀ → no demand at all is likely enough: 0
    assert intermittent_quantile(rate=2, size=10, size_cv2=0, days=5, level=0.3) == 0
    # demand every day (q = 1) of exactly 10: deterministic 10·5 = 50
    assert intermittent_quantile(
        rate=10, size=10, size_cv2=0, days=5, level=0.98
    ) == pytest.approx(50)
    # level 0.95, CV² 0.25: mean 10, variance 5·0.2·100·(0.25 + 0.8) = 105;
    # positive part: mean 10/0.67232 = 14.874, E[X²] = (105 + 100)/0.67232 = 304.92,
    # variance 304.92 − 221.23 = 83.68 → gamma shape 2.644, scale 5.626 at level
    # (0.95 − 0.32768)/0.67232 = 0.92563
    value = intermittent_quantile(rate=2, size=10, size_cv2=0.25, days=5, level=0.95)
    shape, scale = 14.874**2 / 83.68, 83.68 / 14.874
    assert _gamma_p(shape, value / scale) == pytest.approx(0.92563, abs=2e-3)


def test_intermittent_quantile_covers_simulated_demand():
    # compound Bernoulli demand over 8 days, q = 0.25, sizes gamma CV 1 (CV² 1):
    # the 95 % quantile is within a few percent of the simulated one
    rng = random.Random(7)
    sums = sorted(
        sum(rng.gammavariate(1, 20) for _ in range(8) if rng.random() < 0.25)
        for _ in range(20000)
    )
    simulated = sums[int(0.95 * len(sums))]
    value = intermittent_quantile(rate=5, size=20, size_cv2=1, days=8, level=0.95)
    assert value == pytest.approx(simulated, rel=0.06)


def test_gamma_quantile_below_shape_one_is_refined():
    # Wilson–Hilferty alone is 26 % low at shape 0.1; the refined value inverts P
    x = gamma_quantile(0.1, 0.95)
    assert _gamma_p(0.1, x) == pytest.approx(0.95, abs=1e-6)
    assert gamma_quantile(5, 0.95) == pytest.approx(9.154, rel=2e-3)


def sporadic_item(**kwargs):
    values = {
        "daily_demand": D("2"),
        "demand_pattern": "intermittent",
        "demand_size": D("10"),
        "demand_interval": D("4.75"),
        "demand_size_cv2": D("0.25"),
        "on_hand": D("20"),
    }
    values.update(kwargs)
    return item(**values)


def test_intermittent_items_are_never_jit_and_use_the_lead_time_quantile():
    # L 5 + ST 1 = 6 d; level 98 %; q = 2/10 = 0.2, p₀ = 0.8⁶ = 0.262
    plan = plan_item(sporadic_item(), params=PARAMS, today=TODAY)
    assert plan.policy == "reorder_point"
    expected = intermittent_quantile(rate=2, size=10, size_cv2=0.25, days=6, level=0.98)
    assert float(plan.reorder_point) == pytest.approx(expected, abs=1e-4)
    assert plan.reorder_point > 2 * 6  # more than the mean demand over 6 days
    assert plan.order_up_to == plan.reorder_point + 2 * 7
    assert "lumpy" not in plan.reason
    assert "the 98 % quantile of demand over 6 d, class A" in plan.reason
    assert "intermittent demand is never jit: planned as reorder point" in plan.reason


@given(
    pattern=st.sampled_from(["intermittent", "lumpy"]),
    policy=st.sampled_from(["jit", "reorder_point"]),
    demand=st.decimals(min_value=D("0.01"), max_value=D("100"), places=2),
    size_factor=st.decimals(min_value=D("1"), max_value=D("20"), places=1),
    cv2=st.decimals(min_value=D("0"), max_value=D("4"), places=2),
    on_hand=st.decimals(min_value=D("0"), max_value=D("1000"), places=0),
    abc=st.sampled_from("AB"),
)
def test_an_intermittent_item_is_never_jit(
    pattern, policy, demand, size_factor, cv2, on_hand, abc
):
    plan = plan_item(
        item(abc_class=abc, policy=policy, daily_demand=demand, on_hand=on_hand,
             demand_pattern=pattern, demand_size=demand * size_factor,
             demand_interval=size_factor / D("0.95"), demand_size_cv2=cv2),
        params=PARAMS,
        today=TODAY,
    )  # fmt: skip
    assert plan.reorder_point >= 0
    if plan.quantity is not None:
        assert plan.policy == "reorder_point"


# --- 3. demand sensing ---


def test_a_step_in_demand_switches_to_the_last_28_days():
    # 90 days: 76 of 10 then 14 of 20: Σq = 760 + 280 = 1040, mean 11.556;
    # Σq² = 7600 + 5600 = 13200, σd = √(13200/90 − 11.556²) = √13.136 = 3.624;
    # standard error σd/√14 = 0.969; 14-day mean 20: |20 − 11.556| = 8.44 > 3·0.969
    # → d from the last 28 days: 14 of 10 and 14 of 20 = 420/28 = 15, σd = 5
    stats = DemandStats(
        days=90, total=1040, squares=13200, demand_days=90, recent_total=280,
        sensing_total=420, sensing_squares=14 * 100 + 14 * 400,
    )  # fmt: skip
    estimate = demand_estimate(stats)
    assert (estimate.daily_demand, estimate.daily_demand_std) == (D("15"), D("5"))
    assert estimate.note == (
        "from the last 28 days: the last 14 days' 20/day is more than 3 standard "
        "errors from the 90-day 11.6/day"
    )
    plan = plan_item(item().with_demand(estimate), params=PARAMS, today=TODAY)
    assert plan.reason.startswith("15/day from the last 28 days: the last 14 days'")


def test_noise_does_not_trigger_sensing():
    # mean 10, σd 3 → standard error 0.802; a 14-day mean of 12 is 2 away < 2.41
    stats = DemandStats(
        days=90, total=900, squares=90 * (100 + 9), demand_days=90,
        recent_total=14 * 12, sensing_total=280, sensing_squares=28 * 109,
    )  # fmt: skip
    estimate = demand_estimate(stats)
    assert (estimate.daily_demand, estimate.daily_demand_std) == (D("10"), D("3"))
    assert estimate.note == ""


# --- 6. lead time: blending, outliers, negative values; shelf life ---


def test_one_delivery_blends_with_the_quote():
    # 1 delivery of 11 d, quote 5 counted twice: L = (11 + 5 + 5)/3 = 7,
    # σL = √((4² + 2² + 2²)/2) = √12 = 3.4641
    lead, std = source(lead_time_samples=1, lead_time_mean_days=D("11")).lead_time
    assert (lead, std) == (D("7.0000"), D("3.4641"))


def test_an_outlier_delivery_is_counted_at_the_limit():
    # nine of 5 d and one disruption of 30 d: median 5, MAD 0 → limit
    # 5 + max(0, 2, 2.5) = 7.5; the 30 counts as 7.5: mean (45 + 7.5)/10 = 5.25,
    # σL = √((9·0.25² + 2.25²)/9) = √(5.625/9) = 0.7906 (was 7.9 with the 30)
    n, mean, std, clipped = lead_time_figures([30, 5, 5, 5, 5, 5, 5, 5, 5, 5])
    assert (n, clipped) == (10, 1)
    assert mean == pytest.approx(5.25)
    assert std == pytest.approx(0.7906, abs=1e-4)
    # a jittery supplier keeps its spread: 2…10 d, median 6, MAD 2 → limit 14.9
    assert lead_time_figures([2, 4, 6, 8, 10, 3, 5, 7, 9, 6])[3] == 0


def _winsorised_by_the_rule(values):
    """DESIGN §7's outlier rule written out in full (MAD always computed)."""
    import statistics

    xs = [float(x) for x in values if x >= 0]
    if len(xs) >= 3:
        middle = statistics.median(xs)
        mad = statistics.median([abs(x - middle) for x in xs])
        limit = middle + max(3 * 1.4826 * mad, 2.0, middle / 2)
        return [min(x, limit) for x in xs], sum(1 for x in xs if x > limit)
    return xs, 0


@given(st.lists(st.integers(min_value=-3, max_value=60), min_size=1, max_size=10))
def test_lead_time_figures_follow_the_outlier_rule(values):
    xs, clipped = _winsorised_by_the_rule(values)
    n, mean, std, counted = lead_time_figures(values)
    assert (n, counted) == (len(xs), clipped)
    if xs:
        assert mean == pytest.approx(sum(xs) / len(xs))
        expected = (
            (sum((x - sum(xs) / len(xs)) ** 2 for x in xs) / (len(xs) - 1)) ** 0.5
            if len(xs) > 1
            else 0.0
        )
        assert std == pytest.approx(expected, abs=1e-9)


def test_negative_lead_times_are_left_out():
    # received before ordered (−3) is a data error: the other two, 4 and 6
    assert lead_time_figures([-3, 4, 6]) == (2, 5.0, pytest.approx(1.41421356), 0)
    assert lead_time_figures([-1]) == (0, None, None, 0)
    plan = plan_item(
        item(sources=(source(lead_time_samples=3, lead_time_mean_days=D("-2"),
                             lead_time_std_days=D("0")),)),
        params=PARAMS,
        today=TODAY,
    )  # fmt: skip
    assert plan.lead_time_days == 0  # never negative


def test_shelf_life_cap_counts_stock_on_hand_and_flags_a_minimum_order():
    # A jit, d = 10, L 5, ST 1: ROP 60, S 130, IP 100 → order on day 4 at IP 60,
    # Q = 70. Shelf life 8 d: 80 usable, on hand at arrival 60 − 10·5 = 10 → cap 70.
    plan = plan_item(item(shelf_life_days=8), params=PARAMS, today=TODAY)
    assert plan.quantity == D("70") and plan.problem == ""
    # shelf life 6 d: cap 60 − 10 = 50 → Q 50, the reason says why
    plan = plan_item(item(shelf_life_days=6), params=PARAMS, today=TODAY)
    assert plan.quantity == D("50")
    assert "capped at 50 by the shelf life of 6 d with 10 still on hand" in plan.reason
    # a minimum order of 200 cannot be used within 6 d: ordered, and flagged
    plan = plan_item(
        item(shelf_life_days=6, sources=(source(min_order_qty=D("200")),)),
        params=PARAMS,
        today=TODAY,
    )
    assert plan.quantity == D("200")
    assert plan.problem == (
        "the minimum order of 200 is more than the 50 that can be used within the "
        "shelf life of 6 d with 10 still on hand at arrival; about 150 may expire — "
        "agree a smaller minimum or choose another source"
    )
    assert plan.reason.endswith(". Problem: " + plan.problem + ".")


# --- 7. reasons ---


def test_each_reason_names_its_rule():
    rp = plan_item(item(policy="reorder_point", on_hand=D("40")), params=PARAMS,
                   today=TODAY)  # fmt: skip
    assert "reorder point 50 (safety stock 0, z 2.05 for the 98 % target" in rp.reason
    jit = plan_item(item(), params=PARAMS, today=TODAY)
    assert "jit reorder point 60 (60 over 6 d + 0 for demand variability" in jit.reason
    sporadic = plan_item(sporadic_item(), params=PARAMS, today=TODAY)
    assert "quantile of demand over 6 d" in sporadic.reason
