"""Demand while out of stock (DESIGN §7: no d = 0 while an item still has
demand). Pure, no database.

While nothing is on hand, nothing can be issued: the ledger shows no demand for
those days, so the window's d falls day by day — by 90 days of stockout to 0, and
an item with d = 0 is never suggested again. Unmet demand that staff or other
systems record counts as demand (it is read beside the issues), but most
stockouts go unrecorded. So the rule, *held while out of stock*:

    on hand ≤ 0 and the window's d below the last stored rate d₀ > 0
        → plan with d₀ (and its σd), and the reason says so.

The rate stored by the previous nightly run is the last one measured while the
item still had stock (or already a held one), so an out-of-stock item keeps the
rate it had when it ran out until stock arrives; recorded unmet demand can only
raise it. Example: d₀ = 4/day stored; out of stock for 30 days, the window now
holds 60 days × 4 = 240 issued over 90 days, d = 2.67 < 4 → plan with 4/day.
"""

from __future__ import annotations

from decimal import Decimal


def held_demand(
    *,
    on_hand: Decimal,
    d: Decimal,
    sd: Decimal,
    stored_d: Decimal,
    stored_sd: Decimal,
) -> tuple[Decimal, Decimal, str]:
    """(d, σd, note): the last stored rate while out of stock, when it is
    higher than the window's; else the window's figures and no note."""
    if on_hand > 0 or stored_d <= 0 or d >= stored_d:
        return d, sd, ""
    note = (
        f"out of stock: d held at its last rate {_fmt(stored_d)}/day "
        f"(the window shows {_fmt(d)}/day, as nothing could be issued)"
    )
    return stored_d, stored_sd, note


def held_estimate(estimate, *, d: Decimal, sd: Decimal):
    """``estimate`` (``planning.DemandEstimate``) at the held rate: for a sporadic
    item (Croston) the demand size stays and the interval between demands
    shrinks so that size / interval = d."""
    import dataclasses

    interval = estimate.interval
    if estimate.size and d > 0:
        interval = (estimate.size / d).quantize(Decimal("0.0001"))
    return dataclasses.replace(
        estimate, daily_demand=d, daily_demand_std=sd, interval=interval
    )


def _fmt(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.1')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
