"""The replenishment arithmetic of DESIGN §3.4 and §7, on plain values (no database).

``plan_item`` takes one item's figures (demand, stock, sources with their measured
lead times) and returns the planning figures to store on the item and, when the
projected inventory position falls to the trigger within the planning horizon, a
suggestion with its inputs and a readable reason. All arithmetic is ``Decimal``
(the few distribution functions below work in floats and hand back ``Decimal``).

**Service targets** (§7). Each ABC class has a fill-rate target (defaults A 98 %,
B 97 %, C 95 %), used as a cycle-service level: z_class = Φ⁻¹(target), to two
places (A 2.05, B 1.88, C 1.64). It scales every buffer below: safety time, the
demand-variability term of jit and min/max, the safety stock of reorder point
and the quantile of intermittent lead-time demand. (``PlanningParams.z``, when
set, is one factor for every class: a what-if of the backtest.)

Every policy orders *up to* a target one delivery interval above its trigger:

- safety time ST = max(class minimum, ⌈z·σL⌉) days (the buffer is time);
- jit: trigger ROP = d·(L+ST) + z·σd·√(L+ST), target S = ROP + d·T; Q = S − IP at
  the order date, which is d·T when ordering right at the crossing (a small batch);
- reorder_point: SS = z·√(L·σd² + d²·σL²), ROP = d·L + SS; Q = max(d·T, ROP + d·T −
  IP at the order date) — d·T at the crossing, more when stock is already short;
- min_max: min = d·(L+ST) + z·σd·√(L+ST), max = min + d·T_C; Q = max − IP then.

**Demand patterns** (Syntetos–Boylan, §7). ADI = days in the window ÷ days with
demand, CV² = squared coefficient of variation of the non-zero daily demands:
smooth (ADI < 1.32, CV² < 0.49), erratic (ADI < 1.32, CV² ≥ 0.49), intermittent
(ADI ≥ 1.32, CV² < 0.49), lumpy (both high). ``demand_estimate`` works out the
pattern and the demand rate from the window's sums (``DemandStats``). Intermittent
and lumpy items are never jit (planned as reorder point; min/max stays min/max)
and use **Croston/SBA**: demand size ẑ and interval p̂ between demands are
exponentially smoothed (α 0.1) over the window's demand days, d = 0.95·ẑ/p̂ (the
Syntetos–Boylan bias correction). Their trigger is a quantile of lead-time
demand over L + ST (``intermittent_quantile``): a zero-inflated gamma, because
σd·√L of a normal distribution neither has the point mass at "no demand at all"
nor the long right tail of demand that comes in lumps.

**Demand sensing** (§7). When the last 14 days' mean is more than 3 standard
errors (σd/√14) from the window's mean, d and σd come from the last 28 days: a
step in demand is followed within two weeks, not three months. Not for
intermittent items (Croston's smoothing follows their level; 14 sparse days say
little).

**Lead time** (§7). L and σL come from the last 10 deliveries (``lead_time_figures``):
negative lead times (received before ordered: a data error) are left out; one far
above the others (beyond median + 3·1.4826·MAD, at least 2 days and half the
median above it: a disruption) is counted at that limit, so one bad delivery
does not inflate σL for ten deliveries. With 3 or more deliveries L and σL are
measured; with 1–2 they are blended with the quote (the quote counts as the
missing deliveries: L = (Σ measured + (3 − n)·quote)/3, σL the deviation of those
three values); without, the quote alone.

A supplier with a weekly order day adds the review period R = 7 days to the
protection interval (trigger + d·R) and orders on that weekday only
(``cadence.py``).

Then Q is raised to the minimum order quantity, rounded up to the order multiple and
capped by shelf life: what is still on hand when the order arrives plus Q must be
used within the shelf life, Q ≤ d·shelf life − stock at arrival. A minimum order
(or pack) above that cap is ordered but flagged as a problem (``Plan.problem``).

**Planned demand** (DESIGN §8: production schedules, customer orders). For each
future day, expected demand e(t) = max(d, planned demand of day t); firm and
planned lines count from today, forecast lines only beyond the lead time (inside
it the supplier could not deliver for them anyway, and they are least certain).
With extra(t) = e(t) − d, let j (at most the horizon) be the first day with
position(j) ≤ trigger(j), where

    position(k) = IP − d·k − Σ extra(t) for t in [0, k)
    trigger(k)  = ROP + Σ extra(t) for t in [k, k + ⌈protection⌉)
    target(k)   = S + Σ extra(t) for t in [k, k + ⌈protection + T⌉)

and protection is L + ST (jit, min_max, intermittent) or L (reorder_point). The
order day k is the day the projection crosses the trigger: j − 1 when the day's
demand took it below that day's trigger (position(j) < trigger(j − 1)), else j
(it lands on the trigger, or a planned line raised the trigger at the start of
day j); then the supplier's next order day. Q = target(k) − position(k).
Without planned demand this is exactly the closed form above, k = ⌊(IP − ROP)/d⌋,
which is what runs then. An item with d = 0 orders only for a real
shortfall (position < trigger), and its reason names the planned line that drove it.

**Reasons** say which rule decided: the demand rule (window, sensing, Croston),
the policy's trigger with its parts and target, what changed the batch (minimum
order, pack, shelf life) and any problem.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import lru_cache
from statistics import NormalDist

from inventory_site.stats import std_from_moments

from . import cadence

ZERO = Decimal("0")
ONE = Decimal("1")
Q2, Q4 = Decimal("0.01"), Decimal("0.0001")
MEASURED_MIN_SAMPLES = 3
LEAD_TIME_DELIVERIES = 10

# Syntetos–Boylan cut-offs and Croston/SBA (DESIGN §7).
ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
CROSTON_ALPHA = 0.1
SBA_FACTOR = 1 - CROSTON_ALPHA / 2  # 0.95
# Demand sensing: the last 14 days against the window; d then from 28 days.
SENSING_RECENT_DAYS = 14
SENSING_DAYS = 28
SENSING_ERRORS = 3


class Pattern:
    """Demand patterns (the values stored on ``Item.demand_pattern``)."""

    SMOOTH = "smooth"
    ERRATIC = "erratic"
    INTERMITTENT = "intermittent"
    LUMPY = "lumpy"


#: Patterns that are planned with Croston/SBA and never as jit.
SPORADIC = frozenset({Pattern.INTERMITTENT, Pattern.LUMPY})

DEFAULT_SERVICE_TARGETS = {
    "A": Decimal("0.98"),
    "B": Decimal("0.97"),
    "C": Decimal("0.95"),
}


@lru_cache(maxsize=64)
def z_for_target(target: Decimal) -> Decimal:
    """Φ⁻¹(target) to two places: 0.98 → 2.05, 0.97 → 1.88, 0.95 → 1.64."""
    return Decimal(f"{NormalDist().inv_cdf(float(target)):.2f}")


@lru_cache(maxsize=64)
def level_for_z(z: Decimal) -> Decimal:
    """Φ(z) to four places: the fill level a what-if z means."""
    return Decimal(f"{NormalDist().cdf(float(z)):.4f}")


@dataclass(slots=True)
class PlanningParams:
    delivery_interval_days: dict[str, int] = field(
        default_factory=lambda: {"A": 7, "B": 14, "C": 60}
    )
    min_safety_time_days: dict[str, int] = field(
        default_factory=lambda: {"A": 1, "B": 2, "C": 3}
    )
    # One z for every class (a what-if); None: z from each class's service target.
    z: Decimal | None = None
    demand_window_days: int = 90
    planning_horizon_days: int = 7
    service_targets: dict[str, Decimal] = field(
        default_factory=lambda: dict(DEFAULT_SERVICE_TARGETS)
    )

    def interval(self, abc_class: str) -> int:
        return self.delivery_interval_days.get(
            abc_class, self.delivery_interval_days["C"]
        )

    def min_safety_time(self, abc_class: str) -> int:
        return self.min_safety_time_days.get(abc_class, self.min_safety_time_days["C"])

    def service_target(self, abc_class: str) -> Decimal:
        """The class's fill target (with a what-if z: the level that z means)."""
        if self.z is not None:
            return level_for_z(self.z)
        return self.service_targets.get(abc_class, self.service_targets["C"])

    def z_for(self, abc_class: str) -> Decimal:
        if self.z is not None:
            return self.z
        return z_for_target(
            self.service_targets.get(abc_class, self.service_targets["C"])
        )


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
    # deliveries counted at the outlier limit (see ``lead_time_figures``)
    lead_time_clipped: int = 0
    # The supplier's weekly order day (0 = Monday), None = any day (cadence.py).
    order_weekday: int | None = None

    @property
    def measured(self) -> bool:
        return (
            self.lead_time_samples >= MEASURED_MIN_SAMPLES
            and self.lead_time_mean_days is not None
        )

    @property
    def blended(self) -> bool:
        """1–2 deliveries measured: blended with the quote."""
        return (
            0 < self.lead_time_samples < MEASURED_MIN_SAMPLES
            and self.lead_time_mean_days is not None
        )

    @property
    def lead_time(self) -> tuple[Decimal, Decimal]:
        """(L, σL): measured with 3+ deliveries; with 1–2 the quote counts as the
        missing ones, L = (n·mean + (3 − n)·quote)/3 and σL the sample deviation
        of those 3 values; else the quote and 0. Never negative."""
        quote = Decimal(max(self.quoted_lead_time_days, 0))
        mean = self.lead_time_mean_days
        if self.measured:
            return max(mean, ZERO), max(self.lead_time_std_days or ZERO, ZERO)
        if not self.blended:
            return quote, ZERO
        n = self.lead_time_samples
        k = MEASURED_MIN_SAMPLES - n
        std = self.lead_time_std_days or ZERO
        lead = (n * mean + k * quote) / MEASURED_MIN_SAMPLES
        squares = (n - 1) * std * std + n * mean * mean + k * quote * quote
        variance = (squares - MEASURED_MIN_SAMPLES * lead * lead) / (
            MEASURED_MIN_SAMPLES - 1
        )
        return (
            max(lead, ZERO).quantize(Q4),
            max(variance, ZERO).sqrt().quantize(Q4),
        )


def _median(ordered: list[float]) -> float:
    """The median of sorted values, as ``statistics.median`` computes it."""
    n = len(ordered)
    half = n // 2
    if n % 2:
        return ordered[half]
    return (ordered[half - 1] + ordered[half]) / 2


def lead_time_figures(values) -> tuple[int, float | None, float | None, int]:
    """(n, mean, sample std, clipped) of a source's last deliveries' lead times.

    Negative lead times (received before ordered) are data errors and left out.
    With 3 or more, a lead time above median + max(3·1.4826·MAD, 2 d, median/2)
    — a disruption, far outside the supplier's usual spread — is counted at that
    limit (winsorised): it still lengthens L a little, but cannot inflate σL (and
    with it the safety time) for the next ten deliveries. 1.4826·MAD estimates σ
    without being moved by the outlier itself; the floors keep a supplier that
    is usually exact (MAD 0) from having every small delay clipped."""
    xs = [float(x) for x in values if x is not None and x >= 0]
    n = len(xs)
    if not n:
        return 0, None, None, 0
    clipped = 0
    if n >= MEASURED_MIN_SAMPLES:
        ordered = sorted(xs)
        middle = _median(ordered)
        least = max(2.0, middle / 2)  # the floors of the margin
        # The limit is at least median + the floors: a largest value within
        # them is never clipped, and the MAD need not be computed (most sources).
        if ordered[-1] > middle + least:
            mad = _median(sorted([abs(x - middle) for x in xs]))
            limit = middle + max(3 * 1.4826 * mad, least)
            clipped = sum(1 for x in xs if x > limit)
            if clipped:
                xs = [min(x, limit) for x in xs]
    mean = sum(xs) / n
    variance = sum([(x - mean) ** 2 for x in xs]) / (n - 1) if n > 1 else 0.0
    return n, mean, math.sqrt(variance), clipped


@dataclass(slots=True, frozen=True)
class PlannedDay:
    """Known future demand of one item on one day (firm, planned or forecast)."""

    day: date
    quantity: Decimal
    status: str = "firm"
    reference: str = ""


# --- demand: pattern, sensing, Croston/SBA ---


def demand_pattern(
    *, days: float, demand_days: int, total: float, squares: float
) -> str:
    """Syntetos–Boylan over a window of ``days`` days with ``demand_days`` days of
    demand summing to ``total`` (``squares``: Σ of the squared daily demands).
    ADI = days / demand_days; CV² of the non-zero demands = n·Σq²/(Σq)² − 1.
    Compared without division: ADI ≥ 1.32 ⇔ days ≥ 1.32·n; CV² ≥ 0.49 ⇔
    n·Σq² ≥ 1.49·(Σq)² (the classification's SQL compares the same way).
    No demand at all: "" (unknown)."""
    if demand_days <= 0 or total <= 0:
        return ""
    sporadic = days >= ADI_CUTOFF * demand_days
    variable = demand_days * squares >= (1 + CV2_CUTOFF) * total * total * (1 - 1e-12)
    if sporadic:
        return Pattern.LUMPY if variable else Pattern.INTERMITTENT
    return Pattern.ERRATIC if variable else Pattern.SMOOTH


@dataclass(slots=True)
class DemandStats:
    """Sums of one item's daily demand over its window (days without demand are
    zeros): what ``demand_estimate`` needs, cheap to compute in SQL or from
    prefix sums. ``events`` (day offset in the window, quantity), oldest first,
    are needed only for intermittent items (Croston)."""

    days: int
    total: float
    squares: float
    demand_days: int
    recent_total: float = 0.0  # the last 14 days
    sensing_total: float = 0.0  # the last 28 days
    sensing_squares: float = 0.0
    events: tuple[tuple[int, float], ...] | None = None


@dataclass(slots=True, frozen=True)
class DemandEstimate:
    daily_demand: Decimal
    daily_demand_std: Decimal
    pattern: str = ""
    # The demand rule when it is not the window's mean, and the figures its note
    # names ("croston": size, interval; "sensing": the recent and the window's
    # mean), so the note is written only for a reason that shows it.
    rule: str = ""
    rule_figures: tuple = ()
    size: Decimal | None = None  # Croston: smoothed demand size
    interval: Decimal | None = None  # Croston: smoothed days between demands
    size_cv2: Decimal = ZERO  # CV² of the non-zero daily demands
    window_days: int = 0

    @property
    def note(self) -> str:
        if self.rule == "croston":
            size, interval = self.rule_figures
            return (
                f"by Croston/SBA, {self.pattern} demand: {fmt(size)} every "
                f"{fmt(interval)} d × {SBA_FACTOR:g}"
            )
        if self.rule == "sensing":
            recent, mean = self.rule_figures
            return (
                f"from the last {SENSING_DAYS} days: the last "
                f"{SENSING_RECENT_DAYS} days' {fmt(recent)}/day is more than "
                f"{SENSING_ERRORS} standard errors from the {self.window_days}-day "
                f"{fmt(mean)}/day"
            )
        return ""


def croston(events, *, days: int) -> tuple[float, float]:
    """(size ẑ, interval p̂) smoothed with α = 0.1 over the window's demand days:
    each an exponentially weighted mean, the newest weight 1 and each older one
    × 0.9 — Croston's recursion, with its start-up value replaced by normalising
    the weights (so three demands do not rest on the first one). Intervals are
    the gaps between consecutive demand days; one demand day alone: the window."""
    if not events:
        return 0.0, float(days)
    decay = 1 - CROSTON_ALPHA
    weight, size_sum, weights = 1.0, 0.0, 0.0
    gap_sum = gap_weights = 0.0
    newer = None
    for offset, quantity in reversed(events):
        size_sum += weight * quantity
        weights += weight
        if newer is not None:
            # the gap that ends at the newer day carries the newer day's weight
            gap_sum += newer[1] * (newer[0] - offset)
            gap_weights += newer[1]
        newer = (offset, weight)
        weight *= decay
    interval = gap_sum / gap_weights if gap_weights else float(max(days, 1))
    return size_sum / weights, max(interval, 1.0)


def sensing_applies(*, days: int, mean: float, std: float, recent_total: float) -> bool:
    """Demand sensing: the last 14 days' mean is more than 3 standard errors
    (σd/√14, σd of the window) from the window's mean — only for a window longer
    than the 28 days d then comes from."""
    if days <= SENSING_DAYS:
        return False
    recent = recent_total / SENSING_RECENT_DAYS
    error = std / math.sqrt(SENSING_RECENT_DAYS)
    return abs(recent - mean) > SENSING_ERRORS * error + 1e-9 * max(mean, 1.0)


def demand_estimate(stats: DemandStats) -> DemandEstimate:
    """d, σd, the pattern and the rule that decided, from one window's sums."""
    n = stats.days
    if n <= 0 or stats.total <= 0:
        return DemandEstimate(ZERO, ZERO, "", window_days=max(n, 0))
    mean = stats.total / n
    std = std_from_moments(mean, stats.squares / n)
    pattern = demand_pattern(
        days=n,
        demand_days=stats.demand_days,
        total=stats.total,
        squares=stats.squares,
    )
    if pattern in SPORADIC:
        # CV² of the demand sizes: only the lead-time demand of sporadic items
        # uses it
        k = stats.demand_days
        cv2 = k * stats.squares / (stats.total * stats.total) - 1 if k else 0.0
        cv2 = max(cv2, 0.0)
        if stats.events:
            size, interval = croston(stats.events, days=n)
        else:  # only the sums: the unsmoothed sizes and intervals
            size, interval = stats.total / k, n / k
        d = SBA_FACTOR * size / interval
        size4, interval4 = _d4(size), _d4(interval)
        return DemandEstimate(
            _d4(d), _d4(std), pattern, "croston", (size4, interval4), size4,
            interval4, _d4(cv2), n,
        )  # fmt: skip
    recent = stats.recent_total / SENSING_RECENT_DAYS
    if sensing_applies(days=n, mean=mean, std=std, recent_total=stats.recent_total):
        sensed = stats.sensing_total / SENSING_DAYS
        sensed_std = std_from_moments(sensed, stats.sensing_squares / SENSING_DAYS)
        return DemandEstimate(
            _d4(sensed), _d4(sensed_std), pattern, "sensing", (_d4(recent), _d4(mean)),
            window_days=n,
        )  # fmt: skip
    return DemandEstimate(_d4(mean), _d4(std), pattern, window_days=n)


def _d4(value: float) -> Decimal:
    return Decimal(f"{value:.4f}")


# --- lead-time demand of intermittent items ---


def _gamma_p(a: float, x: float) -> float:
    """The regularised lower incomplete gamma function P(a, x) (series below
    a + 1, continued fraction above, as in Numerical Recipes §6.2)."""
    if x <= 0:
        return 0.0
    log_front = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        denominator = a
        for _ in range(500):
            denominator += 1
            term *= x / denominator
            total += term
            if term < total * 1e-12:
                break
        return min(total * math.exp(log_front), 1.0)
    tiny = 1e-300
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 500):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-12:
            break
    return max(1.0 - math.exp(log_front) * h, 0.0)


_STANDARD_NORMAL = NormalDist()


def gamma_quantile(shape: float, level: float) -> float:
    """The ``level`` quantile of a standard gamma distribution (scale 1): the
    Wilson–Hilferty cube-root approximation (within 1 % for shape ≥ 1), refined
    by Newton steps on P(shape, x) below that, where it is up to 25 % off."""
    z = _STANDARD_NORMAL.inv_cdf(level)
    c = 1 / (9 * shape)
    x = shape * max(1 - c + z * math.sqrt(c), 0.05) ** 3
    if shape >= 1:
        return x
    log_norm = math.lgamma(shape)
    for _ in range(30):
        density = math.exp((shape - 1) * math.log(x) - x - log_norm)
        step = (_gamma_p(shape, x) - level) / density
        x = x / 2 if x - step <= 0 else x - step
        if abs(step) < 1e-7 * x:
            break
    return x


def lead_time_demand_moments(
    *, rate: float, size: float, size_cv2: float, days: float
) -> tuple[float, float, float]:
    """(mean, variance, p₀) of demand over ``days`` days that comes on a day with
    probability q = rate/size, in sizes of mean ``size`` and squared variation
    CV² (compound Bernoulli): mean = days·q·ẑ, variance = days·q·ẑ²·(CV² + 1 − q),
    p₀ = (1 − q)^days the chance of no demand at all."""
    q = min(rate / size, 1.0)
    mean = days * rate
    return mean, days * q * size * size * (size_cv2 + 1 - q), (1 - q) ** days


def positive_part(mean: float, variance: float, p0: float) -> tuple[float, float]:
    """Mean and variance of the demand given that there is some (p₀ < 1)."""
    mean_positive = mean / (1 - p0)
    return mean_positive, (variance + mean * mean) / (1 - p0) - mean_positive**2


def intermittent_quantile(
    *, rate: float, size: float, size_cv2: float, days: float, level: float
) -> float:
    """Demand over ``days`` days at the ``level`` quantile, for demand that comes
    on some days only (rate d = q·ẑ: on each day a demand with probability
    q = d/ẑ, of mean size ẑ and squared variation CV²).

    Why this distribution: over L + ST days the number of demands is binomial,
    so there is a real chance of no demand at all, p₀ = (1 − q)^days, and the
    rest is a sum of a few sizes, skewed to the right. A normal σd·√L has
    neither: it puts stock against demand that often does not come and too
    little against the lump that does. So: the point mass p₀ at zero, and a
    gamma distribution (positive, right-skewed, the usual fit of lead-time
    demand) for the positive part with its exact mean and variance (compound
    Bernoulli: mean = days·q·ẑ, variance = days·q·ẑ²·(CV² + 1 − q)). The level
    then applies to the positive part as (level − p₀)/(1 − p₀)."""
    if rate <= 0 or size <= 0 or days <= 0:
        return 0.0
    mean, variance, p0 = lead_time_demand_moments(
        rate=rate, size=size, size_cv2=size_cv2, days=days
    )
    if level <= p0:
        return 0.0
    if variance <= 1e-12 * mean * mean:
        return mean
    mean_positive, variance_positive = positive_part(mean, variance, p0)
    if variance_positive <= 1e-12 * mean_positive**2:
        return mean_positive
    shape = mean_positive**2 / variance_positive
    scale = variance_positive / mean_positive
    return scale * gamma_quantile(shape, (level - p0) / (1 - p0))


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
    # against a reference are left out by the reader): a tuple in date order,
    # or lines read lazily, whose ``before(days)`` gives those before that day
    # (``items.selectors.PlannedRecords``).
    planned: tuple[PlannedDay, ...] = ()
    # How d was made (``demand_estimate``): the pattern, the rule when it is not
    # the window's mean, and Croston's size and interval for sporadic demand.
    demand_pattern: str = ""
    demand: DemandEstimate | None = None  # its note: the rule that made d
    demand_size: Decimal | None = None
    demand_interval: Decimal | None = None
    demand_size_cv2: Decimal = ZERO

    def with_demand(self, estimate: DemandEstimate) -> ItemFigures:
        self.daily_demand = estimate.daily_demand
        self.daily_demand_std = estimate.daily_demand_std
        self.demand_pattern = estimate.pattern
        self.demand = estimate
        self.demand_size = estimate.size
        self.demand_interval = estimate.interval
        self.demand_size_cv2 = estimate.size_cv2
        return self


class Problem(str):
    """A note of ``round_quantity`` that staff must act on (flagged, not only
    said): a minimum order or pack that cannot be used within shelf life."""


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
    # which rule decided, for the reason
    abc_class: str = ""
    z: Decimal = ZERO
    service_target: Decimal = ZERO
    pattern: str = ""
    demand: DemandEstimate | None = None  # how d was made (its note, for the reason)
    demand_size: Decimal | None = None
    demand_interval: Decimal | None = None
    protection_days: Decimal = ZERO
    variability: Decimal = ZERO  # the trigger's buffer against demand variability
    never_jit: bool = False
    problem: str = ""
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
            if source.lead_time_clipped:
                lead_text += (
                    f" ({source.lead_time_clipped} far above the others counted "
                    "at the outlier limit)"
                )
        elif source.blended:
            many = "delivery" if samples == 1 else "deliveries"
            lead_text = (
                f"lead time {lead} d from {samples} {many} "
                f"({fmt(source.lead_time_mean_days)} d) blended with the quoted "
                f"{source.quoted_lead_time_days} d"
            )
        else:
            lead_text = f"lead time {lead} d quoted"
        demand = f"{fmt(d)}/day"
        note = self.demand.note if self.demand is not None else ""
        if note:
            demand += f" {note}"
        parts = [
            demand,
            lead_text,
            f"safety time {self.safety_time_days} d",
            f"on hand {fmt(self.on_hand, 3)} + on order {fmt(self.on_order, 3)}",
        ]
        trigger, target = self.reorder_point, self.order_up_to
        target_text = (
            f"z {fmt(self.z, 2)} for the {fmt(self.service_target * 100)} % "
            f"target of class {self.abc_class or 'C'}"
        )
        if self.pattern in SPORADIC:
            rule = "min" if self.policy == "min_max" else "reorder point"
            upper = "max" if self.policy == "min_max" else "order up to"
            parts.append(
                f"{rule} {fmt(trigger)} (the {fmt(self.service_target * 100)} % "
                f"quantile of demand over {fmt(self.protection_days)} d, "
                f"class {self.abc_class or 'C'}), {upper} {fmt(target)}"
            )
        elif self.policy == "reorder_point":
            safety_stock = trigger - d * (self.lead_time_days + self.review_period_days)
            parts.append(
                f"reorder point {fmt(trigger)} (safety stock {fmt(safety_stock)}, "
                f"{target_text})"
            )
        else:
            base = trigger - self.variability
            buffer = (
                f"{fmt(base)} over {fmt(self.protection_days)} d + "
                f"{fmt(self.variability)} for demand variability, {target_text}"
            )
            if self.policy == "min_max":
                parts.append(f"min {fmt(trigger)} ({buffer}), max {fmt(target)}")
            else:
                parts.append(
                    f"jit reorder point {fmt(trigger)} ({buffer}), "
                    f"order up to {fmt(target)}"
                )
        reason = (
            ", ".join(parts)
            + f" → order {fmt(self.quantity, 3)} {self.unit}"
            + f" by {day_month(self.order_by)}"
        )
        if self.never_jit:
            reason += f"; {self.pattern} demand is never jit: planned as reorder point"
        if self.planned_driver is not None:
            line = self.planned_driver
            driver = f"{fmt(line.quantity, 3)} planned on {day_month(line.day)}"
            if line.reference:
                driver += f" for {line.reference}"
            if line.status != "firm":
                driver += f" ({line.status})"
            reason += "; planned demand: " + driver
        notes = [note for note in self.notes if not isinstance(note, Problem)]
        if notes:
            reason += "; " + "; ".join(notes)
        if self.switched_source:
            reason += (
                f". Ordered from {source.supplier_code} instead of the primary "
                f"{self.primary_supplier_code}, whose supplier risk is high"
            )
        if self.single_source_risk:
            reason += ". Single-source risk: an A item with only one source"
        if self.problem:
            reason += f". Problem: {self.problem}"
        return reason + "."


_MONTHS = (
    "", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
    "Dec",
)  # fmt: skip


def day_month(day: date) -> str:
    """09 Dec: ``f"{day:%d %b}"`` in English (the reasons' language), without
    strftime, six times slower (twice in each of tens of thousands of reasons)."""
    return f"{day.day:02d} {_MONTHS[day.month]}"


def ceil(value: Decimal) -> Decimal:
    return value.to_integral_value(rounding=ROUND_CEILING)


def floor(value: Decimal) -> Decimal:
    return value.to_integral_value(rounding=ROUND_FLOOR)


def fmt(value: Decimal, places: int = 1) -> str:
    """12 → "12", 2.50 → "2.5", 0.333 → "0.3" (rounded half to even, as
    ``quantize``: the format spec rounds in the Decimal context)."""
    text = f"{value:.{places}f}"
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
    on_hand_at_arrival: Decimal = ZERO,
) -> tuple[Decimal, list[str]]:
    """Raise to the MOQ, round up to the multiple, cap by shelf life.

    The shelf-life cap counts the stock still on hand when the order arrives (it
    is used first): Q ≤ d·shelf life − on hand at arrival. The result is always a
    positive multiple of ``order_multiple`` and at least ``min_order_qty``; the
    notes say what changed the batch, and a batch the cap cannot hold (the
    minimum order or one pack is more than can be used within shelf life) is a
    ``Problem`` note.
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
        usable = daily_demand * shelf_life_days
        stock = max(on_hand_at_arrival, ZERO)
        cap = usable - stock
        counted = f" with {fmt(stock)} still on hand at arrival" if stock else ""
        if rounded > cap:
            capped = max(floor(cap / multiple) * multiple, smallest)
            if capped < rounded:
                notes.append(
                    f"capped at {fmt(capped, 3)} by the shelf life of "
                    f"{shelf_life_days} d{counted}"
                )
                rounded = capped
            if rounded > cap:
                what = (
                    f"the minimum order of {fmt(min_order_qty, 3)}"
                    if min_order_qty > multiple
                    else f"one pack of {fmt(multiple, 3)}"
                )
                notes.append(
                    Problem(
                        f"{what} is more than the {fmt(max(cap, ZERO))} that can be "
                        f"used within the shelf life of {shelf_life_days} d"
                        f"{counted}; about {fmt(rounded - max(cap, ZERO))} may "
                        "expire — agree a smaller minimum or choose another source"
                    )
                )
    return rounded, notes


class _Extra:
    """Planned demand above d, by day offset from today: extra(t) =
    max(planned(t) − d, 0), with prefix sums so a window's total is two binary
    searches. The planned lines that count: firm and planned lines from today
    on, forecast lines only beyond the lead time (``beyond`` days), and only
    those before ``until`` (the furthest day the plan looks at: lines after it
    cannot change it)."""

    __slots__ = ("groups", "offsets", "prefix")

    def __init__(
        self,
        planned: tuple[PlannedDay, ...],
        *,
        today: date,
        beyond: int,
        d: Decimal,
        until: int | None = None,
    ):
        offsets: list[int] = []  # the days with extra demand
        prefix: list[Decimal] = [ZERO]
        groups: list[list[PlannedDay]] = []  # their lines
        self.offsets, self.prefix, self.groups = offsets, prefix, groups
        start = today.toordinal()
        if until is None:
            until = date.max.toordinal() - start + 1
        last, total, group = None, ZERO, []
        for line in planned:  # in date order (planned_demand_open)
            offset = line.day.toordinal() - start
            if (
                offset < 0
                or offset >= until
                or (offset <= beyond and line.status == "forecast")
            ):
                continue
            if offset == last:
                total += line.quantity
                group.append(line)
                continue
            if last is not None:
                if offset < last:  # not in date order
                    self.__init__(
                        tuple(sorted(planned, key=lambda line: line.day)),
                        today=today,
                        beyond=beyond,
                        d=d,
                        until=until,
                    )
                    return
                if total > d:  # the day before: its extra demand
                    offsets.append(last)
                    prefix.append(prefix[-1] + total - d)
                    groups.append(group)
            last, total, group = offset, line.quantity, [line]
        if last is not None and total > d:
            offsets.append(last)
            prefix.append(prefix[-1] + total - d)
            groups.append(group)

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
        inside = [line for group in self.groups[first:last] for line in group]
        return max(
            inside,
            key=lambda line: (line.quantity, -line.day.toordinal()),
            default=None,
        )


_NO_EXTRA = _Extra((), today=date(2000, 1, 1), beyond=0, d=ZERO)


def plan_item(item: ItemFigures, *, params: PlanningParams, today: date) -> Plan:
    d, sd = item.daily_demand, item.daily_demand_std
    source, switched = choose_source(item.sources)
    if source is None or (d <= 0 and not item.planned):
        return Plan(item.item_id, d, sd, ZERO)
    lead_time, lead_time_std = source.lead_time
    demand, demand_std = max(d, ZERO), max(sd, ZERO)

    abc = item.abc_class or "C"
    z = params.z_for(abc)
    min_safety = (
        item.safety_time_days
        if item.safety_time_days is not None
        else params.min_safety_time(abc)
    )
    safety_time = max(min_safety, math.ceil(z * lead_time_std))
    interval = params.interval(abc)
    policy = item.policy
    sporadic = item.demand_pattern in SPORADIC
    never_jit = sporadic and policy == "jit"
    if never_jit:
        policy = "reorder_point"
    if policy == "min_max":
        interval = params.interval("C")
    # The protection interval: L + ST, or L for reorder point (its safety stock
    # is a quantity); a weekly order day (cadence.py) adds the review period.
    if policy == "reorder_point" and not sporadic:
        base = lead_time
    else:
        base = lead_time + safety_time
    weekday = source.order_weekday
    review = cadence.review_period_days(weekday)
    protection = base + review
    horizon = params.planning_horizon_days
    protect_days = math.ceil(protection)
    cover_days = math.ceil(protection + interval)
    lead_days = math.ceil(lead_time)
    extra = _NO_EXTRA
    if item.planned:
        # no day the plan looks at lies beyond the horizon plus the cover, or
        # plus the lead time and the shelf life
        reach = max(cover_days, lead_days + (item.shelf_life_days or 0))
        planned = item.planned
        lazy = getattr(planned, "before", None)
        if lazy is not None:  # read lazily: parse only the lines needed
            planned = lazy(horizon + reach)
        extra = _Extra(
            planned,
            today=today,
            beyond=lead_days,
            d=demand,
            until=horizon + reach,
        )
    if d <= 0 and not extra:
        return Plan(item.item_id, d, sd, ZERO)
    d, sd = demand, demand_std

    variability = ZERO
    if sporadic:
        # Croston/SBA d; the trigger is the lead-time-demand quantile over L + ST
        size = item.demand_size or (d if d > 0 else ONE)
        quantile = intermittent_quantile(
            rate=float(d),
            size=float(size),
            size_cv2=float(item.demand_size_cv2),
            days=float(base),
            level=float(params.service_target(abc)),
        )
        trigger = _d4(quantile)
        variability = trigger - d * base
    elif policy == "reorder_point":
        safety_stock = z * (lead_time * sd * sd + d * d * lead_time_std**2).sqrt()
        trigger = d * lead_time + safety_stock
    else:
        variability = z * sd * base.sqrt()
        trigger = d * base + variability
    if review:
        trigger += d * review
    target = trigger + d * interval

    position = item.on_hand + item.on_order
    reorder_point = trigger  # with planned demand: plus that of the protection
    driver = None
    if not extra:
        if d <= 0 or position - d * horizon > trigger:
            return Plan(item.item_id, d, sd, reorder_point)
        days_until = max(math.floor((position - trigger) / d), 0)
        days_until = cadence.next_order_offset(today, days_until, weekday)
        if days_until > horizon:
            return Plan(item.item_id, d, sd, reorder_point)
        position_then = position - d * days_until
        target_then = target
    else:
        reorder_point = trigger + extra.between(0, protect_days)
        # The lowest position in the horizon above the highest trigger in it:
        # no crossing (one check instead of the day loop, for most items).
        lowest = position - d * horizon - extra.between(0, horizon)
        if lowest > trigger + extra.between(0, horizon + protect_days):
            return Plan(item.item_id, d, sd, reorder_point)
        # The first day the projection is at or below the trigger (below, with
        # d = 0: a real shortfall) ...
        for reached in range(horizon + 1):
            position_then = position - d * reached - extra.between(0, reached)
            trigger_then = trigger + extra.between(reached, reached + protect_days)
            if position_then < trigger_then or (
                d > 0 and position_then <= trigger_then
            ):
                break
        else:
            return Plan(item.item_id, d, sd, reorder_point)
        # ... the order day is the day it crosses the trigger: the day before
        # when demand took it below that day's trigger during that day (without
        # planned demand: the closed form's ⌊(IP − ROP)/d⌋), this day when it
        # lands on the trigger or the trigger rose at the day's start (a planned
        # line entering the protection interval); then the supplier's next
        # order day.
        days_until = reached
        if (
            d > 0
            and reached > 0
            and position_then
            < trigger + extra.between(reached - 1, reached - 1 + protect_days)
        ):
            days_until = reached - 1
        days_until = cadence.next_order_offset(today, days_until, weekday)
        if days_until > horizon:
            return Plan(item.item_id, d, sd, reorder_point)
        position_then = position - d * days_until - extra.between(0, days_until)
        target_then = target + extra.between(days_until, days_until + cover_days)
        driver = extra.driver(days_until, days_until + cover_days)
    order_by = today + timedelta(days=days_until)
    raw = target_then - position_then
    if policy == "reorder_point":
        raw = max(raw, d * interval)
    raw = max(raw, d)
    usable = d
    # What is still on hand when this order arrives: the position then, less the
    # demand until arrival (what is on order has arrived by then).
    at_arrival = position_then - d * lead_days
    if extra:
        at_arrival -= extra.between(days_until, days_until + lead_days)
    if item.shelf_life_days and extra:
        shelf = item.shelf_life_days
        start = days_until + lead_days
        usable = d + extra.between(start, start + shelf) / shelf
    quantity, notes = round_quantity(
        raw,
        min_order_qty=source.min_order_qty,
        order_multiple=source.order_multiple,
        daily_demand=usable,
        shelf_life_days=item.shelf_life_days,
        on_hand_at_arrival=max(at_arrival, ZERO),
    )
    problem = next((note for note in notes if isinstance(note, Problem)), "")
    if review:
        notes.insert(0, cadence.review_note(weekday))
    arrival = order_by + timedelta(days=lead_days)
    count = len(item.sources) if item.source_count is None else item.source_count
    single_source = abc == "A" and count == 1

    return Plan(
        item_id=item.item_id,
        daily_demand=d,
        daily_demand_std=sd,
        reorder_point=reorder_point,
        quantity=quantity,
        source=source,
        policy=policy,
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
        abc_class=abc,
        z=z,
        service_target=params.service_target(abc),
        pattern=item.demand_pattern,
        demand=item.demand,
        demand_size=item.demand_size,
        demand_interval=item.demand_interval,
        protection_days=protection,
        variability=variability,
        never_jit=never_jit,
        problem=str(problem),
        review_period_days=review,
    )
