"""The backtest of DESIGN §6: replay an item's own history against a policy.

A pure module: dataclasses in and out, no database. ``replay_item`` takes one item's
history (``ItemHistory``: daily issued quantities, stock at the start, the chosen
source's received deliveries, the ledger's own on-hand changes) and returns what the
policy, the ERP min/max baseline and the ledger ("actual") did over the period
(``ItemResult``). ``BacktestTotals`` adds item results up per ABC class, per demand
pattern and overall, and merges across chunks, so a chunked run equals a single run.

Timeline. The period is the ``days`` site dates before "today"; day ``t`` (0-based)
is ``start + t``. Each day, in this order:

1. the morning: orders due today arrive (they are available for today's demand),
   and the day's adjustments and scrap from the ledger are booked;
2. the nightly plan (run for ``today = day t``, from data up to day t−1 only) is
   made; a suggestion whose ``order_by`` is today is accepted and ordered now, one
   due later is superseded by the next night's plan (exactly as regeneration does);
3. the day's demand — what the ledger issued that day plus the unmet demand
   recorded that day (DESIGN §7) — is served from stock; what finds no stock is
   lost.

Figures known on the night before day t (never later data):

- d, σd: the issued quantities of the trailing window (``demand_window_days``,
  days t−W … t−1; days without issues count as zero, days before the item's first
  consumption do not: the window then starts there, at least 7 days, as in
  ``services._demand_stats``). d = Σq/n, σd = √(Σq²/n − d²). Never consumed
  before t: d = annual_demand/365, σd = 0. Prefix sums in integer thousandths:
  O(1) per night, and nothing drifts over a year.
- L, σL: the mean and sample deviation of the source's last 10 deliveries
  received before day t (when at least 3), else the quote and 0.

Policy: ``planning.plan_item`` with those figures, the item's class and policy and
the ``PlanningParams`` of the nightly run — the same code, unchanged. A float
screen skips nights where plan_item cannot order today (the position is at least
one day of demand above the trigger: ``floor((IP − trigger)/d) ≥ 1``); on every
other night plan_item decides (``screen=False`` runs it every night, and tests
check both agree). On sporadic nights the trigger is a quantile of Croston's
demand: the screen keeps Croston's sums running as the window slides
(``croston_nightly``), skips nights above Cantelli's bound on that quantile, and
below it computes the trigger itself with ``planning.intermittent_quantile``.

Baseline (ERP min/max as users set it, the same loop with only the ordering rule
swapped): min = d·L + 14·d, max = min + 30·d, from the same nightly d and L; when
IP ≤ min, order max − IP (raised to the MOQ, rounded up to the order multiple).

Lead times of the orders placed: the k-th order of an item (policy or baseline
alike) takes the k-th draw of a ``random.Random`` seeded with ``"{seed}:{item_id}"``
from all the source's measured lead times (the quote when there are fewer than 3):
reproducible, independent of chunking, and the same draws for both rules.

Actual: the ledger's on-hand at the end of each day (start stock + all movements),
its receipt days and the orders placed in the period. What it served is what it
issued: recorded unmet demand is its lost demand, so its fill rate is 1 only when
none was recorded (demand nobody recorded cannot show; its stockout days show when
stock hit zero).

KPIs per run (``RunTotals``, additive, finished by ``kpis``):

- fill_rate = units served ÷ units demanded;
- stockout_days = days ending with no stock (every day with lost demand is one);
- cycle_service_level = share of replenishment cycles (from one receipt to the
  next; the stretch before the first receipt is a cycle) without a stockout day;
- avg_on_hand_units = mean end-of-day on-hand; avg_on_hand_value = that × unit
  cost (today's);
- turns = value served ÷ average on-hand value × 365/days (annualised);
- order_lines = orders placed per item; orders = distinct (supplier, day): the
  lines accepted together become one delivery per supplier, as accepting does.

What was on order at the start (deliveries ordered before the period) arrives in
the simulated runs on the day it actually arrived, and adjustments and scrap (an
opening balance, a count correction) change their stock on the day they happened,
in the morning: only receipts are replaced by the rule's own orders.

Simplifications, stated: classes, policies, unit costs, sources and supplier risk
are today's; orders open at the start but never received are left out.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate
from statistics import NormalDist

from inventory_site.memory import gc_paused
from inventory_site.stats import std_from_moments

from . import cadence
from .planning import (
    CROSTON_ALPHA,
    MEASURED_MIN_SAMPLES,
    SBA_FACTOR,
    SENSING_DAYS,
    SENSING_RECENT_DAYS,
    SPORADIC,
    DemandStats,
    ItemFigures,
    PlanningParams,
    SourceFigures,
    demand_estimate,
    demand_pattern,
    intermittent_quantile,
    lead_time_demand_moments,
    lead_time_figures,
    plan_item,
    positive_part,
    sensing_applies,
)

BASELINE_SAFETY_DAYS = 14
BASELINE_RANGE_DAYS = 30
LEAD_TIME_DELIVERIES = 10
MIN_NEW_ITEM_DAYS = 7
EPS = 1e-9
ZERO = Decimal("0")
# The screen's margin on sporadic nights, beyond 0.1 % of the trigger: the
# position in floats against plan_item's 3-place Decimals, and d, size, CV²
# rounded to 4 places there from sums added up in another order here.
SPORADIC_MARGIN = 0.01
Q4 = Decimal("0.0001")
RUNS = ("policy", "baseline", "actual")
KPI_NAMES = (
    "fill_rate",
    "cycle_service_level",
    "stockout_days",
    "avg_on_hand_units",
    "avg_on_hand_value",
    "turns",
    "orders",
    "order_lines",
)


@dataclass(slots=True)
class ItemHistory:
    """One item's history, as plain values. Day indexes are relative to the first
    day of the period (negative before it). Quantities are in integer thousandths
    of a unit (the ledger has 3 decimal places), so sums are exact."""

    item_id: int
    sku: str
    abc_class: str
    xyz_class: str
    policy: str
    unit_cost: float
    annual_demand: Decimal
    start_on_hand: int  # thousandths, at the start of day 0
    # demand per day (positive thousandths), days −window … days−1: what the
    # ledger issued plus recorded unmet demand (``unmet``, included here)
    issued: dict[int, int]
    first_issue_day: int | None  # first consumption ever (may be < −window)
    sources: tuple[SourceFigures, ...] = ()
    source_count: int = 0
    # the chosen source's received deliveries: (received day, lead-time days),
    # in order of receipt, all of its history (later ones are the draw pool)
    deliveries: tuple[tuple[int, int], ...] = ()
    # on order at the start: (receipt day, accepted thousandths) of deliveries
    # ordered before the period, arriving when they actually did
    pipeline: tuple[tuple[int, int], ...] = ()
    # adjustments and scrap per day of the period (thousandths, signed): stock
    # events no ordering rule causes, so the simulated runs get them too
    other: dict[int, int] = field(default_factory=dict)
    # the ledger: net movement per day in the period, and the receipt days
    net: dict[int, int] = field(default_factory=dict)
    receipt_days: frozenset[int] = frozenset()
    actual_orders: tuple[int, ...] = ()  # delivery ids ordered in the period
    shelf_life_days: int | None = None
    safety_time_days: int | None = None
    unit: str = "ea"
    # recorded unmet demand per day (thousandths), already part of ``issued``:
    # the ledger did not serve it, so "actual" counts it as lost
    unmet: dict[int, int] = field(default_factory=dict)


@dataclass(slots=True)
class RunTotals:
    """Additive sums of one run (policy, baseline or actual) over items."""

    items: int = 0
    demanded: float = 0.0
    served: float = 0.0
    served_value: float = 0.0
    stockout_days: int = 0
    cycles: int = 0
    cycles_ok: int = 0
    on_hand_sum: float = 0.0  # Σ end-of-day units ÷ days, per item, summed
    on_hand_value: float = 0.0
    order_lines: int = 0
    # (supplier id → bitmask of order days) for the simulated runs; delivery ids
    # for actual: both merge by union, so chunks add up to the single run
    order_days: dict[int, int] = field(default_factory=dict)
    deliveries: set[int] = field(default_factory=set)

    def add(self, other: RunTotals) -> None:
        self.items += other.items
        self.demanded += other.demanded
        self.served += other.served
        self.served_value += other.served_value
        self.stockout_days += other.stockout_days
        self.cycles += other.cycles
        self.cycles_ok += other.cycles_ok
        self.on_hand_sum += other.on_hand_sum
        self.on_hand_value += other.on_hand_value
        self.order_lines += other.order_lines
        for supplier, mask in other.order_days.items():
            self.order_days[supplier] = self.order_days.get(supplier, 0) | mask
        self.deliveries |= other.deliveries

    @property
    def orders(self) -> int:
        if self.deliveries:
            return len(self.deliveries)
        return sum(mask.bit_count() for mask in self.order_days.values())

    def kpis(self, days: int) -> dict:
        value = self.on_hand_value
        return {
            "fill_rate": _r(self.served / self.demanded if self.demanded else 1.0),
            "cycle_service_level": _r(
                self.cycles_ok / self.cycles if self.cycles else 1.0
            ),
            "stockout_days": self.stockout_days,
            "avg_on_hand_units": _r(self.on_hand_sum, 3),
            "avg_on_hand_value": _r(value, 2),
            "turns": _r(self.served_value / value * 365 / days if value else 0.0, 2),
            "orders": self.orders,
            "order_lines": self.order_lines,
        }

    def to_json(self) -> dict:
        data = {k: getattr(self, k) for k in _SUM_FIELDS}
        data["order_days"] = {str(k): v for k, v in self.order_days.items()}
        data["deliveries"] = sorted(self.deliveries)
        return data

    @classmethod
    def from_json(cls, data: dict) -> RunTotals:
        totals = cls(**{k: data[k] for k in _SUM_FIELDS})
        totals.order_days = {int(k): v for k, v in data["order_days"].items()}
        totals.deliveries = set(data["deliveries"])
        return totals


_SUM_FIELDS = (
    "items",
    "demanded",
    "served",
    "served_value",
    "stockout_days",
    "cycles",
    "cycles_ok",
    "on_hand_sum",
    "on_hand_value",
    "order_lines",
)


def _r(value: float, places: int = 4) -> float:
    return round(value, places)


@dataclass(slots=True)
class ItemResult:
    item_id: int
    sku: str
    abc_class: str
    pattern: str
    runs: dict[str, RunTotals]
    # end-of-day on-hand units per day, per run (for the item chart)
    series: dict[str, list[float]] | None = None


@dataclass(slots=True)
class Skipped:
    sku: str
    reason: str


@dataclass(slots=True)
class BacktestTotals:
    """Item results added up overall, per ABC class and per pattern; mergeable."""

    days: int
    items: int = 0
    overall: dict[str, RunTotals] = field(default_factory=dict)
    by_class: dict[str, dict[str, RunTotals]] = field(default_factory=dict)
    by_pattern: dict[str, dict[str, RunTotals]] = field(default_factory=dict)
    per_item: list[dict] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def add_item(self, result: ItemResult) -> None:
        self.items += 1
        for group in (
            self.overall,
            self.by_class.setdefault(result.abc_class, {}),
            self.by_pattern.setdefault(result.pattern, {}),
        ):
            for run, totals in result.runs.items():
                group.setdefault(run, RunTotals()).add(totals)
        self.per_item.append(
            {
                "sku": result.sku,
                "abc_class": result.abc_class,
                "pattern": result.pattern,
                **{run: totals.kpis(self.days) for run, totals in result.runs.items()},
            }
        )

    def merge(self, other: BacktestTotals) -> None:
        self.items += other.items
        pairs = [(self.overall, other.overall)]
        for mine, theirs in (
            (self.by_class, other.by_class),
            (self.by_pattern, other.by_pattern),
        ):
            pairs += [(mine.setdefault(k, {}), v) for k, v in theirs.items()]
        for mine, theirs in pairs:
            for run, totals in theirs.items():
                mine.setdefault(run, RunTotals()).add(totals)
        self.per_item.extend(other.per_item)
        self.skipped.extend(other.skipped)

    def to_json(self) -> dict:
        """Lossless, for handing a chunk's totals between processes."""

        def group(runs):
            return {run: totals.to_json() for run, totals in runs.items()}

        return {
            "days": self.days,
            "items": self.items,
            "overall": group(self.overall),
            "by_class": {k: group(v) for k, v in self.by_class.items()},
            "by_pattern": {k: group(v) for k, v in self.by_pattern.items()},
            "per_item": self.per_item,
            "skipped": [[s.sku, s.reason] for s in self.skipped],
        }

    @classmethod
    def from_json(cls, data: dict) -> BacktestTotals:
        def group(runs):
            return {run: RunTotals.from_json(t) for run, t in runs.items()}

        return cls(
            days=data["days"],
            items=data["items"],
            overall=group(data["overall"]),
            by_class={k: group(v) for k, v in data["by_class"].items()},
            by_pattern={k: group(v) for k, v in data["by_pattern"].items()},
            per_item=data["per_item"],
            skipped=[Skipped(sku, reason) for sku, reason in data["skipped"]],
        )

    def report(self, **header) -> dict:
        """The DESIGN §6 JSON: days, items, policy/baseline/actual KPIs, by_class,
        by_pattern, per_item; ``header`` adds the run's parameters, seed, period."""
        days = self.days

        def kpis(runs):
            return {run: runs.get(run, RunTotals()).kpis(days) for run in RUNS}

        def groups(by):
            return {
                key: {"items": runs.get("policy", RunTotals()).items, **kpis(runs)}
                for key, runs in sorted(by.items())
            }

        return {
            "days": days,
            "items": self.items,
            **kpis(self.overall),
            "by_class": groups(self.by_class),
            "by_pattern": groups(self.by_pattern),
            "per_item": sorted(self.per_item, key=lambda row: row["sku"]),
            **header,
            "skipped": {
                "count": len(self.skipped),
                "items": sorted(
                    ({"sku": s.sku, "reason": s.reason} for s in self.skipped),
                    key=lambda row: row["sku"],
                ),
            },
            "notes": [
                "actual fill rate counts recorded unmet demand as lost; demand "
                "nobody recorded cannot show (its stockout days show when stock "
                "hit zero)",
                "classes, policies, unit costs, sources and supplier risk are "
                "today's; simulated runs receive what was on order at the start "
                "when it actually arrived and book adjustments and scrap as the "
                "ledger has them",
            ],
        }


# --- the replay ---


def _d4(value: float) -> Decimal:
    return Decimal(f"{value:.4f}")


@dataclass(slots=True)
class Nightly:
    """The figures known each night, per day of the period: d unrounded (plan_item
    gets it rounded to 4 places, as the nightly run stores it), L and σL rounded.
    σd is worked out only when asked (``std``): most nights need only d."""

    d: list[float]
    lead: list[float]
    lead_sd: list[float]
    samples: list[int]
    squares: list[int] | None = None  # prefix sums of squared daily demand
    ns: list[int] | None = None  # the days each night's window counts
    window: int = 0
    first: int | None = None
    series: list[int] | None = None

    def std(self, t: int) -> float:
        d = self.d[t]
        if self.squares is None or not d or self.first is None or self.first >= t:
            return 0.0
        w, n = self.window, self.ns[t]
        return std_from_moments(d, (self.squares[t + w] - self.squares[t]) / 1e6 / n)

    @property
    def sd(self) -> list[float]:
        return [self.std(t) for t in range(len(self.d))]

    # The policy's own figures (DESIGN §7), beside the baseline's above: per
    # night, the demand the policy plans with (sensed, when sensing applies) and
    # its pattern, and the lead time as ``planning.lead_time_figures`` makes it
    # (outliers clipped, negative ones left out; 1–2 deliveries blended later by
    # ``SourceFigures``): (n, mean, std, clipped), mean and std None when n = 0.
    policy_d: list[float] = field(default_factory=list)
    policy_sd: list[float] = field(default_factory=list)
    pattern: list[str] = field(default_factory=list)
    policy_lead: list[tuple] = field(default_factory=list)
    counts: list[int] | None = None  # prefix counts of days with demand
    totals: list[int] | None = None  # prefix sums of daily demand
    nonzero: list[int] | None = None  # series indexes of days with demand

    def stats(self, t: int) -> DemandStats:
        """The window sums of night t, as ``planning.demand_estimate`` takes them
        (the events only for sporadic demand, where Croston needs them)."""
        w, n = self.window, self.ns[t]
        # sums over the whole window, as d (days before the first consumption
        # hold no demand); Croston's day offsets count from the window's start
        hi, lo, start = t + w, t, t + w - n
        totals, squares = self.totals, self.squares
        events = None
        if self.pattern[t] in SPORADIC:
            nonzero, series = self.nonzero, self.series
            first, last = bisect_left(nonzero, lo), bisect_left(nonzero, hi)
            events = tuple((k - start, series[k] / 1000) for k in nonzero[first:last])
        return DemandStats(
            days=n,
            total=(totals[hi] - totals[lo]) / 1000,
            squares=(squares[hi] - squares[lo]) / 1e6,
            demand_days=self.counts[hi] - self.counts[lo],
            recent_total=(totals[hi] - totals[max(hi - SENSING_RECENT_DAYS, 0)]) / 1000,
            sensing_total=(totals[hi] - totals[max(hi - SENSING_DAYS, 0)]) / 1000,
            sensing_squares=(squares[hi] - squares[max(hi - SENSING_DAYS, 0)]) / 1e6,
            events=events,
        )


def nightly_figures(
    history: ItemHistory, *, days: int, window: int, series: list[int] | None = None
) -> Nightly:
    """d, σd, L, σL for each day t of the period, from data before day t only.

    Prefix sums of the daily issued thousandths (exact integers): the window of
    night t (days t−W … t−1) sums to P[t+W] − P[t], O(1) per day. ``series`` is
    the issued quantity of days −W … days−1 (built here when not given)."""
    issued = history.issued
    first = history.first_issue_day
    if series is None:
        series = [issued.get(k, 0) for k in range(-window, days)]
    planned = float((history.annual_demand / 365).quantize(Q4))
    squares = ns = totals = counts = nonzero = None
    policy_d, policy_sd, pattern = [planned] * days, [0.0] * days, [""] * days
    if first is None or first >= days - 1:
        d_list = [planned] * days
    else:
        totals = list(accumulate(series, initial=0))
        squares = list(accumulate((q * q for q in series), initial=0))
        counts = list(accumulate((1 if q > 0 else 0 for q in series), initial=0))
        nonzero = [k for k, q in enumerate(series) if q > 0]
        # n: the window, or the days since the first consumption (at least 7):
        # 7 up to first+7, then t − first up to first+W, then W
        a = min(max(first + MIN_NEW_ITEM_DAYS + 1, 0), days)
        b = min(max(first + window + 1, 0), days)
        ns = [MIN_NEW_ITEM_DAYS] * a + list(range(a - first, b - first))
        ns += [window] * (days - b)
        d_list = [
            (totals[t + window] - totals[t]) / 1000 / n if first < t else planned
            for t, n in zip(range(days), ns, strict=True)
        ]
        # The policy's demand each night, as ``planning.demand_estimate`` makes
        # it (the same pattern and sensing tests); sporadic nights are planned
        # by Croston there (the screen asks plan_item on every such night).
        for t in range(max(first + 1, 0), days):
            n, hi = ns[t], t + window
            total = (totals[hi] - totals[t]) / 1000
            if total <= 0:
                policy_d[t] = 0.0
                continue
            sq = (squares[hi] - squares[t]) / 1e6
            kind = demand_pattern(
                days=n, demand_days=counts[hi] - counts[t], total=total, squares=sq
            )
            pattern[t] = kind
            mean = total / n
            std = std_from_moments(mean, sq / n)
            recent = (totals[hi] - totals[max(hi - SENSING_RECENT_DAYS, 0)]) / 1000
            if kind not in SPORADIC and sensing_applies(
                days=n, mean=mean, std=std, recent_total=recent
            ):
                low = max(hi - SENSING_DAYS, 0)
                mean = (totals[hi] - totals[low]) / 1000 / SENSING_DAYS
                sq28 = (squares[hi] - squares[low]) / 1e6 / SENSING_DAYS
                std = std_from_moments(mean, sq28)
            policy_d[t], policy_sd[t] = mean, std

    source = history.sources[0] if history.sources else None
    quote = float(source.quoted_lead_time_days) if source else 0.0
    lead, lead_sd, samples = [quote] * days, [0.0] * days, [0] * days
    unmeasured = (0, None, None, 0)
    policy_lead = [unmeasured] * days
    deliveries = history.deliveries
    # A delivery received on day r counts from night r+1 on; between changes
    # the figures are constant, so they are filled a stretch at a time.
    changes = []
    for k, (received, _) in enumerate(deliveries):
        t = max(received + 1, 0)
        if t >= days:
            break
        if k + 1 < len(deliveries) and max(deliveries[k + 1][0] + 1, 0) == t:
            continue  # the next delivery lands the same night
        last = [
            lt for _, lt in deliveries[max(k + 1 - LEAD_TIME_DELIVERIES, 0) : k + 1]
        ]
        n = len(last)
        if n >= MEASURED_MIN_SAMPLES:
            mean = sum(last) / n
            std = std_from_moments(mean, sum(x * x for x in last) / n, n=n)
            figures = (round(mean, 4), round(std, 4), n)
        else:
            figures = (quote, 0.0, n)
        m, mean, std, clipped = lead_time_figures(last)
        robust = (m, round(mean, 4), round(std, 4), clipped) if m else unmeasured
        changes.append((t, figures, robust))
    for k, (t, (mean, std, n), robust) in enumerate(changes):
        stop = changes[k + 1][0] if k + 1 < len(changes) else days
        width = stop - t
        lead[t:stop] = [mean] * width
        lead_sd[t:stop] = [std] * width
        samples[t:stop] = [n] * width
        policy_lead[t:stop] = [robust] * width
    return Nightly(
        d_list, lead, lead_sd, samples, squares, ns, window, first, series,
        policy_d, policy_sd, pattern, policy_lead, counts, totals, nonzero,
    )  # fmt: skip


def _quantile_bound(
    d: float, size: float, cv2: float, days: float, *, z: float, k: float
) -> float:
    """An upper bound of ``planning.intermittent_quantile(rate=d, size=size,
    size_cv2=cv2, days=days, level=p)``, z = Φ⁻¹(p), k = √(p/(1−p)).

    That function puts the point mass p₀ at no demand and a gamma with the
    positive part's mean and variance above it, and takes the gamma's quantile
    at p′ = (p − p₀)/(1 − p₀) ≤ p — by Wilson–Hilferty for shape ≥ 1, which
    rises with the level: the same formula at p bounds it (with 2 % beside the
    screen's margins; the caller rounds d, size and CV² as plan_item gets
    them). Below shape 1.05 (Newton steps there): Cantelli's bound, which any
    distribution with that mean μ and variance σ² obeys, μ + k·σ, with 5 %."""
    mean, variance, p0 = lead_time_demand_moments(
        rate=d, size=size, size_cv2=cv2, days=days
    )
    cantelli = 1.05 * (mean + k * math.sqrt(max(variance, 0.0)))
    if p0 >= 1 or variance <= 1e-9 * mean * mean:
        return cantelli
    mean_positive, variance_positive = positive_part(mean, variance, p0)
    if variance_positive <= 1e-9 * mean_positive**2:
        return cantelli
    shape = mean_positive**2 / variance_positive
    if shape < 1.05 or math.isinf(z):
        return cantelli
    c = 1 / (9 * shape)
    gamma = variance_positive / mean_positive * shape
    return min(1.02 * gamma * max(1 - c + z * math.sqrt(c), 0.05) ** 3, cantelli)


def croston_nightly(n: Nightly) -> dict[int, tuple[float, float, float]]:
    """Per sporadic night t: (d, size, CV²) as ``planning.demand_estimate`` makes
    them from that night's window (Croston/SBA; unrounded: plan_item gets them
    to 4 places), for the screen. ``planning.croston`` weighs the newest demand
    day 1 and each older one × 0.9 (the gaps likewise, by their newer day);
    kept here as running sums while the window slides — a demand day entering
    is the newest (every weight × 0.9, its own 1), one leaving is the oldest
    (its weight 0.9^(count−1) taken off) — O(1) per demand day instead of the
    whole window each night."""
    result: dict[int, tuple[float, float, float]] = {}
    if n.nonzero is None:
        return result
    decay = 1 - CROSTON_ALPHA
    nonzero, series, w = n.nonzero, n.series, n.window
    totals, squares, counts = n.totals, n.squares, n.counts
    size_sum = weights = gap_sum = gap_weights = 0.0
    first = last = 0  # nonzero[first:last]: the window's demand days
    for t, kind in enumerate(n.pattern):
        hi = t + w
        while last < len(nonzero) and nonzero[last] < hi:  # enters, the newest
            k = nonzero[last]
            if last > first:
                gap_sum = (k - nonzero[last - 1]) + decay * gap_sum
                gap_weights = 1 + decay * gap_weights
            size_sum = series[k] / 1000 + decay * size_sum
            weights = 1 + decay * weights
            last += 1
        while first < last and nonzero[first] < t:  # leaves, the oldest
            count, k = last - first, nonzero[first]
            weight = decay ** (count - 1)
            size_sum -= weight * series[k] / 1000
            weights -= weight
            if count >= 2:
                gap_weight = decay ** (count - 2)
                gap_sum -= gap_weight * (nonzero[first + 1] - k)
                gap_weights -= gap_weight
            first += 1
            if last - first <= 1:
                gap_sum = gap_weights = 0.0
            if last == first:
                size_sum = weights = 0.0
        if kind not in SPORADIC or last == first:
            continue
        days = n.ns[t]
        size = size_sum / weights
        interval = gap_sum / gap_weights if last - first > 1 else float(max(days, 1))
        interval = max(interval, 1.0)
        k = counts[hi] - counts[t]
        total = (totals[hi] - totals[t]) / 1000
        cv2 = max(k * ((squares[hi] - squares[t]) / 1e6) / (total * total) - 1, 0.0)
        result[t] = (SBA_FACTOR * size / interval, size, cv2)
    return result


class LeadTimeDraws:
    """The k-th order's lead time, drawn on demand: the same sequence for every
    rule replayed on the item."""

    def __init__(self, history: ItemHistory, seed: int) -> None:
        pool = [lt for _, lt in history.deliveries]
        self.pool = pool if len(pool) >= MEASURED_MIN_SAMPLES else None
        source = history.sources[0] if history.sources else None
        self.quote = source.quoted_lead_time_days if source else 0
        self.rng = random.Random(f"{seed}:{history.item_id}")
        self.draws: list[int] = []

    def __getitem__(self, k: int) -> int:
        while len(self.draws) <= k:
            self.draws.append(self.rng.choice(self.pool) if self.pool else self.quote)
        return self.draws[k]


class PolicyRule:
    """Orders what ``plan_item`` suggests with ``order_by`` today."""

    def __init__(self, history, nightly, *, params, start, screen=True):
        self.history, self.n, self.params, self.start = (
            history,
            nightly,
            params,
            start,
        )
        self.screen = screen
        self.level = level = float(params.service_target(history.abc_class or "C"))
        self.k = math.sqrt(level / (1 - level)) if level < 1 else math.inf
        self.z = NormalDist().inv_cdf(level) if 0 < level < 1 else math.inf
        source = history.sources[0]
        abc, policy = history.abc_class or "C", history.policy
        interval = params.interval(abc if policy != "min_max" else "C")
        min_safety = (
            history.safety_time_days
            if history.safety_time_days is not None
            else params.min_safety_time(abc)
        )
        z = float(params.z_for(abc))
        self.source = source
        self.sources: dict[tuple, SourceFigures] = {}
        # The screen, per night: plan_item orders today only when
        # floor((IP − trigger)/d) ≤ 0, i.e. IP < trigger + d. The trigger in floats
        # from the unrounded d, σd differs from plan_item's (d, σd rounded to 4
        # places) by at most 5e-5·(L + ST + z·(√(L + ST) + σL)); the margin covers
        # it. Sporadic nights (Croston, a quantile): ``_screen_sporadic``.
        inf = math.inf
        # A weekly order day adds R to the trigger (cadence.py), so to the screen.
        review = cadence.review_period_days(source.order_weekday)
        constants = {}  # lead-time figures → (L, σL, margin, L + ST)
        for key in set(nightly.policy_lead):
            lead, lead_sd = self._source(key).lead_time
            lead, lead_sd = float(lead), float(lead_sd)
            st = max(min_safety, math.ceil(round(z * lead_sd, 9)))
            margin = 6e-5 * (
                lead + st + review + 2 + z * (math.sqrt(lead + st) + lead_sd + 1)
            )
            constants[key] = (lead, lead_sd, margin + 1e-6, lead + st)
        per_day = [constants[k] for k in nightly.policy_lead]
        rows = zip(
            nightly.policy_d, nightly.policy_sd, nightly.pattern, per_day, strict=True
        )
        if not screen:
            threshold = [inf if d > 0 else -inf for d in nightly.policy_d]
        elif policy == "reorder_point":  # d·(L + R) + z·√(L·σd² + d²·σL²) + d
            threshold = [
                -inf
                if d <= 0
                else inf
                if kind in SPORADIC
                else d * (lead + review)
                + z * math.sqrt(lead * sd * sd + d * d * lead_sd * lead_sd)
                + d
                + margin
                for d, sd, kind, (lead, lead_sd, margin, _) in rows
            ]
        else:  # d·(L + ST + R) + z·σd·√(L + ST) + d
            threshold = [
                -inf
                if d <= 0
                else inf
                if kind in SPORADIC
                else d * (protection + review + 1)
                + z * sd * math.sqrt(protection)
                + margin
                for d, sd, kind, (_, _, margin, protection) in rows
            ]
        self.review = review
        self.sporadic: dict[int, tuple[float, float, float, float]] = {}
        if screen and any(kind in SPORADIC for kind in nightly.pattern):
            self._screen_sporadic(threshold, per_day, review=review)
        self.threshold = threshold
        self.interval = interval

    def _screen_sporadic(self, threshold, per_day, *, review) -> None:
        """The screen on sporadic nights (Croston, a quantile of lead-time demand).

        plan_item orders today only when IP < trigger + d, the trigger being
        ``intermittent_quantile`` of Croston's d, size and CV² over L + ST (+ d·R).
        Per night, ``croston_nightly`` keeps Croston's size and interval up to
        date as the window slides, so d, size and CV² are those of
        ``demand_estimate`` (to float rounding, far inside the margin). Two
        steps: Cantelli's bound, which any distribution with that mean μ and
        variance σ² obeys (the p-quantile ≤ μ + σ·√(p/(1−p)), with 5 %), cheap,
        in ``threshold``; then, on nights below it (``order``), the tighter
        ``_quantile_bound``, and below that the trigger itself."""
        n, k = self.n, self.k
        for t, (d, size, cv2) in croston_nightly(n).items():
            protection = per_day[t][3]
            self.sporadic[t] = (d, size, cv2, protection)
            if d <= 0:
                threshold[t] = -math.inf  # plan_item never orders at d = 0
                continue
            q = min(d / size, 1.0)
            variance = protection * q * size * size * (cv2 + 1 - q)
            bound = 1.05 * (protection * d + k * math.sqrt(max(variance, 0.0)))
            threshold[t] = bound + d * (review + 1) + SPORADIC_MARGIN + 1e-3 * bound

    def _sporadic_skips(self, t: int, position: float) -> bool:
        """On a sporadic night below the bound: the trigger, as plan_item makes
        it; True when the position is at least trigger + d (no order today)."""
        figures = self.sporadic.get(t)
        if figures is None:
            return False
        d, size, cv2, protection = figures
        d, size, cv2 = round(d, 4), round(size, 4), round(cv2, 4)
        margin = d + SPORADIC_MARGIN
        bound = _quantile_bound(d, size, cv2, protection, z=self.z, k=self.k)
        if position >= bound * 1.001 + d * self.review + margin:
            return True
        quantile = intermittent_quantile(
            rate=d, size=size, size_cv2=cv2, days=protection, level=self.level
        )
        trigger = round(quantile, 4) + d * self.review
        return position >= trigger + d + SPORADIC_MARGIN + 1e-3 * trigger

    def _source(self, key: tuple) -> SourceFigures:
        """The source as measured that night (changes rarely)."""
        source = self.sources.get(key)
        if source is None:
            n, mean, std, clipped = key
            s = self.source
            source = self.sources[key] = SourceFigures(
                s.source_id,
                s.supplier_id,
                s.supplier_code,
                s.priority,
                s.quoted_lead_time_days,
                s.min_order_qty,
                s.order_multiple,
                n,
                None if mean is None else _d4(mean),
                None if std is None else _d4(std),
                False,
                clipped,
                s.order_weekday,
            )
        return source

    def order(self, t: int, on_hand: float, on_order: float) -> float | None:
        if self.sporadic and self._sporadic_skips(t, on_hand + on_order):
            return None
        n = self.n
        h = self.history
        figures = ItemFigures(
            item_id=h.item_id,
            sku=h.sku,
            abc_class=h.abc_class or "C",
            policy=h.policy,
            on_hand=_d3(on_hand),
            on_order=_d3(on_order),
            daily_demand=_d4(n.policy_d[t]),
            daily_demand_std=ZERO,
            sources=(self._source(n.policy_lead[t]),),
            unit=h.unit,
            shelf_life_days=h.shelf_life_days,
            safety_time_days=h.safety_time_days,
            source_count=h.source_count,
        )
        if n.first is not None and n.first < t and n.totals is not None:
            figures.with_demand(demand_estimate(n.stats(t)))
        today = self.start + timedelta(days=t)
        plan = plan_item(figures, params=self.params, today=today)
        if plan.quantity is None or plan.order_by != today:
            return None
        return float(plan.quantity)


def _d3(value: float) -> Decimal:
    return Decimal(f"{max(value, 0.0):.3f}")


class BaselineRule:
    """ERP min/max: min = d·L + 14·d, max = min + 30·d; at IP ≤ min order up to
    max (raised to the MOQ, rounded up to the order multiple)."""

    def __init__(self, history, nightly):
        self.n = nightly
        source = history.sources[0]
        self.moq = float(source.min_order_qty)
        self.multiple = float(source.order_multiple) or 1.0

        # Order when IP ≤ min: the loop asks only when IP < threshold.
        self.threshold = [
            d * lead + BASELINE_SAFETY_DAYS * d + EPS if d > 0 else -math.inf
            for d, lead in zip(nightly.d, nightly.lead, strict=True)
        ]

    def order(self, t: int, on_hand: float, on_order: float) -> float | None:
        n = self.n
        d = n.d[t]
        minimum = d * n.lead[t] + BASELINE_SAFETY_DAYS * d
        maximum = minimum + BASELINE_RANGE_DAYS * d
        quantity = max(maximum - on_hand - on_order, self.moq)
        return math.ceil(quantity / self.multiple - 1e-9) * self.multiple


def simulate(history, *, days, demand, rule, draws, unit_cost, series=None):
    """The day loop: morning arrivals, the rule's order, the day's demand.

    The rule is asked only on nights its ``threshold`` cannot rule out an order
    (IP < threshold[t]); the rule itself decides.

    ``demand`` holds the day's issued units (floats), day 0 first."""
    on_hand = history.start_on_hand / 1000
    lost = on_hand_sum = 0.0
    arrivals: dict[int, float] = {}
    for day, quantity in history.pipeline:  # on order at the start
        arrivals[day] = arrivals.get(day, 0.0) + quantity / 1000
    on_order = sum(arrivals.values())
    other = history.other
    supplier = history.sources[0].supplier_id
    mask = orders = 0
    receipts: list[int] = []
    short: list[int] = []
    threshold, order = rule.threshold, rule.order
    record = series is not None
    for t, q, limit in zip(range(days), demand, threshold, strict=True):
        if arrivals and t in arrivals:
            arrived = arrivals.pop(t)
            on_hand += arrived
            on_order -= arrived
            receipts.append(t)
        if other and t in other:  # an adjustment or scrap, as the ledger has it
            on_hand = max(on_hand + other[t] / 1000, 0.0)
        if on_hand + on_order < limit:
            quantity = order(t, on_hand, on_order)
            if quantity:
                lead = draws[orders]
                orders += 1
                mask |= 1 << t
                if lead <= 0:  # arrives the same day
                    on_hand += quantity
                    if not receipts or receipts[-1] != t:
                        receipts.append(t)
                else:
                    on_order += quantity
                    arrivals[t + lead] = arrivals.get(t + lead, 0.0) + quantity
        if q:
            if q < on_hand:
                on_hand -= q
            else:  # what finds no stock is lost
                lost += q - on_hand
                on_hand = 0.0
        if on_hand <= EPS:
            on_hand = 0.0
            short.append(t)
        on_hand_sum += on_hand
        if record:
            series.append(round(on_hand, 3))
    cycles, cycles_ok = _cycles(receipts, short, days)
    demanded = sum(demand)
    served = demanded - lost
    avg = on_hand_sum / days
    return RunTotals(
        items=1,
        demanded=demanded,
        served=served,
        served_value=served * unit_cost,
        stockout_days=len(short),
        cycles=cycles,
        cycles_ok=cycles_ok,
        on_hand_sum=avg,
        on_hand_value=avg * unit_cost,
        order_lines=orders,
        order_days={supplier: mask} if mask else {},
    )


def _cycles(receipts, short, days: int) -> tuple[int, int]:
    """(cycles, cycles without a stockout day): a cycle runs from one receipt day
    to the next; the stretch before the first receipt is one too. Both lists
    ascending."""
    starts = [0, *(t for t in receipts if 0 < t < days)]
    cycles = len(starts)
    if not short:
        return cycles, cycles
    stops = [*starts[1:], days]
    bad, k = 0, 0
    for a, b in zip(starts, stops, strict=True):
        while k < len(short) and short[k] < a:
            k += 1
        if k < len(short) and short[k] < b:
            bad += 1
    return cycles, cycles - bad


def actual(history: ItemHistory, *, days: int, unit_cost: float, series=None):
    """What the ledger shows: end-of-day on-hand from every movement."""
    moves = [0] * days
    for t, q in history.net.items():
        if 0 <= t < days:
            moves[t] = q
    levels = list(accumulate(moves, initial=history.start_on_hand))[1:]
    short = [t for t, level in enumerate(levels) if level <= 0]
    receipts = sorted(t for t in history.receipt_days if 0 < t < days)
    cycles, cycles_ok = _cycles(receipts, short, days)
    if series is not None:
        series.extend(level / 1000 for level in levels)
    avg = sum(levels) / 1000 / days
    demanded = sum(q for t, q in history.issued.items() if 0 <= t < days) / 1000
    unmet = sum(q for t, q in history.unmet.items() if 0 <= t < days) / 1000
    served = demanded - unmet
    return RunTotals(
        items=1,
        demanded=demanded,
        served=served,
        served_value=served * unit_cost,
        stockout_days=len(short),
        cycles=cycles,
        cycles_ok=cycles_ok,
        on_hand_sum=avg,
        on_hand_value=avg * unit_cost,
        order_lines=len(history.actual_orders),
        deliveries=set(history.actual_orders),
    )


def skip_reason(history: ItemHistory, *, days: int) -> str | None:
    """Why an item cannot be replayed, or None."""
    if not history.sources:
        return "no active source"
    if not any(q for t, q in history.issued.items() if 0 <= t < days):
        return "no demand in the period"
    return None


def replay_item(
    history: ItemHistory,
    *,
    days: int,
    start: date,
    params: PlanningParams,
    seed: int = 0,
    with_series: bool = False,
    screen: bool = True,
) -> ItemResult:
    """Policy, baseline and actual for one item over ``days`` days from ``start``."""
    window = params.demand_window_days
    issued = history.issued
    daily = [issued.get(k, 0) for k in range(-window, days)]
    nightly = nightly_figures(history, days=days, window=window, series=daily)
    unit_cost = history.unit_cost
    series = {run: [] for run in RUNS} if with_series else None
    policy = PolicyRule(history, nightly, params=params, start=start, screen=screen)
    baseline = BaselineRule(history, nightly)
    draws = LeadTimeDraws(history, seed)
    demand = [q / 1000 for q in daily[window:]]
    runs = {
        "policy": simulate(
            history,
            days=days,
            demand=demand,
            rule=policy,
            draws=draws,
            unit_cost=unit_cost,
            series=series and series["policy"],
        ),
        "baseline": simulate(
            history,
            days=days,
            demand=demand,
            rule=baseline,
            draws=draws,
            unit_cost=unit_cost,
            series=series and series["baseline"],
        ),
        "actual": actual(
            history, days=days, unit_cost=unit_cost, series=series and series["actual"]
        ),
    }
    return ItemResult(
        item_id=history.item_id,
        sku=history.sku,
        abc_class=history.abc_class or "C",
        pattern=history.xyz_class or "unknown",
        runs=runs,
        series=series,
    )


def backtest_items(
    histories, *, days: int, start: date, params: PlanningParams, seed: int = 0
) -> BacktestTotals:
    """Replay every item (or list why not) and add the results up."""
    with gc_paused():  # short-lived objects only (inventory_site.memory)
        return _backtest_items(
            histories, days=days, start=start, params=params, seed=seed
        )


def _backtest_items(histories, *, days, start, params, seed) -> BacktestTotals:
    totals = BacktestTotals(days=days)
    for history in histories:
        reason = skip_reason(history, days=days)
        if reason:
            totals.skipped.append(Skipped(history.sku, reason))
            continue
        totals.add_item(
            replay_item(history, days=days, start=start, params=params, seed=seed)
        )
    return totals
