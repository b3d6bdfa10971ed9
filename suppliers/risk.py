"""Supplier risk as a buyer judges it: two questions, answered side by side.

**Performance risk** — does the supplier deliver as promised? From the received
deliveries of the last 365 days:

    performance = 50 · min(late rate / 50 %, 1)
                + 30 · min(defect rate / 5 %, 1)
                + 20 · min(lead-time CV / 0.5, 1)

A supplier late on every other delivery is as unreliable as it gets for a JIT flow
(orders are small and frequent, every late one is felt), hence the saturation at
50 %: a third late already makes 33 of the 50.

**Dependency risk** — how badly would it hurt if the supplier failed? However well
it delivers:

    dependency = 60 · min(share of A-item value only it supplies / 50 %, 1)
               + 40 · min(lead time / 42 days, 1)

Being the only source of half the A-item value, or a six-week lead time (orders
placed six weeks ahead, no quick recovery), counts fully. The lead time is the
measured mean, or the mean quoted one when nothing was received yet.

Each score is 0–100 with the levels low < 25 ≤ medium < 50 ≤ high; the supplier's
**level is the worse of the two** and its score the higher one (for sorting).
Fewer than 3 deliveries is "insufficient history": the performance figures are
shown but not trusted, and such a supplier never counts as high risk where that
changes a decision (the choice of source, DESIGN §3.4).

Pure functions of plain numbers (no database), so the rules are tested directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal("0")
ONE = Decimal("1")
TENTH = Decimal("0.1")

PERFORMANCE_WEIGHTS = {"late": 50, "defect": 30, "lead_time_cv": 20}
LATE_SATURATION = Decimal("0.50")
DEFECT_SATURATION = Decimal("0.05")
CV_SATURATION = Decimal("0.5")
DEPENDENCY_WEIGHTS = {"exposure": 60, "lead_time": 40}
EXPOSURE_SATURATION = Decimal("0.5")
LEAD_TIME_SATURATION_DAYS = Decimal("42")
MEDIUM_FROM, HIGH_FROM = 25, 50
LEVELS = ("low", "medium", "high")


@dataclass(frozen=True)
class RiskAssessment:
    performance_score: Decimal
    performance_level: str
    dependency_score: Decimal
    dependency_level: str
    risk_score: Decimal
    risk_level: str


def level_of(score: Decimal) -> str:
    if score < MEDIUM_FROM:
        return "low"
    return "medium" if score < HIGH_FROM else "high"


def _part(value: Decimal | None, saturation: Decimal) -> Decimal:
    return min(max(value or ZERO, ZERO) / saturation, ONE)


def performance_risk(
    *,
    on_time_rate: Decimal | None,
    defect_rate: Decimal | None,
    lead_time_cv: Decimal | None,
) -> Decimal:
    late = ONE - on_time_rate if on_time_rate is not None else ZERO
    return (
        PERFORMANCE_WEIGHTS["late"] * _part(late, LATE_SATURATION)
        + PERFORMANCE_WEIGHTS["defect"] * _part(defect_rate, DEFECT_SATURATION)
        + PERFORMANCE_WEIGHTS["lead_time_cv"] * _part(lead_time_cv, CV_SATURATION)
    ).quantize(TENTH)


def dependency_risk(
    *, exposure_share: Decimal, lead_time_days: Decimal | None
) -> Decimal:
    return (
        DEPENDENCY_WEIGHTS["exposure"] * _part(exposure_share, EXPOSURE_SATURATION)
        + DEPENDENCY_WEIGHTS["lead_time"]
        * _part(lead_time_days, LEAD_TIME_SATURATION_DAYS)
    ).quantize(TENTH)


def assess_risk(
    *,
    on_time_rate: Decimal | None,
    defect_rate: Decimal | None,
    lead_time_cv: Decimal | None,
    exposure_share: Decimal,
    lead_time_days: Decimal | None,
) -> RiskAssessment:
    """Both scores and levels; the overall level is the worse of the two."""
    performance = performance_risk(
        on_time_rate=on_time_rate, defect_rate=defect_rate, lead_time_cv=lead_time_cv
    )
    dependency = dependency_risk(
        exposure_share=exposure_share, lead_time_days=lead_time_days
    )
    levels = (level_of(performance), level_of(dependency))
    return RiskAssessment(
        performance_score=performance,
        performance_level=levels[0],
        dependency_score=dependency,
        dependency_level=levels[1],
        risk_score=max(performance, dependency),
        risk_level=max(levels, key=LEVELS.index),
    )


def _pct(rate: Decimal) -> str:
    return f"{(rate * 100).quantize(ONE)} %"


def _days(days: Decimal) -> str:
    return f"{days.quantize(ONE)} days"


def risk_explanation(score) -> list[str]:
    """The score in words, strongest reason first: what a buyer would say about
    the supplier. ``score`` has the fields of a stored ``SupplierScore``."""
    lines: list[str] = []
    level = {"low": "Low", "medium": "Medium", "high": "High"}
    overall = score.risk_level
    which = (
        "both"
        if score.performance_level == score.dependency_level == overall
        else "performance"
        if score.performance_level == overall
        else "dependency"
    )
    lines.append(
        f"{level[overall]} risk because of "
        + {
            "both": "its delivery performance and our dependency on it alike",
            "performance": "its delivery performance",
            "dependency": "our dependency on it",
        }[which]
        + f": performance {score.performance_score} ({score.performance_level}), "
        f"dependency {score.dependency_score} ({score.dependency_level}); the "
        "level is the worse of the two."
    )
    if not score.history_sufficient:
        lines.append(
            f"Only {score.deliveries_count} received deliveries in the last 365 "
            "days: too few to judge its performance, so it never counts as high "
            "risk when planning chooses a source."
        )
    perf = []
    if score.on_time_rate is not None:
        late = ONE - score.on_time_rate
        if late >= Decimal("0.05"):
            perf.append(f"{_pct(late)} of its deliveries arrived late")
        else:
            perf.append("it delivers on time")
    if score.defect_rate and score.defect_rate >= Decimal("0.01"):
        perf.append(f"{_pct(score.defect_rate)} of what it sent was rejected")
    if score.lead_time_cv is not None and score.lead_time_cv >= Decimal("0.25"):
        perf.append("its lead time varies a lot from order to order")
    if perf:
        lines.append("Performance: " + "; ".join(perf) + ".")
    dep = []
    if score.exposure_share and score.exposure_share > 0:
        dep.append(
            f"it is the only source of {_pct(score.exposure_share)} of the A-item value"
        )
    lead = score.dependency_lead_time_days
    if lead is not None and lead >= Decimal("14"):
        dep.append(f"orders take {_days(lead)} to arrive, so a failure is slow to fix")
    if dep:
        lines.append("Dependency: " + "; ".join(dep) + ".")
    return lines
