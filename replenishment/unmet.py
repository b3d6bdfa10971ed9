"""Unmet demand in the demand reading of suggestion generation (DESIGN §7).

The generation reader sums, per item, the daily demand of the window: Σq and
Σq² over the days with issues (days without count as zero). Recorded unmet
demand is demand of its day too, so for every (item, day) with unmet demand u
and issues i that day (``items.selectors.unmet_demand_days``, one query per
chunk) the day's demand becomes i + u:

    Σq  += u
    Σq² += (i + u)² − i²

which is exact without re-reading the issues. An item whose first demand in
the window is unmet demand (nothing issued yet) starts its window there, as a
new item's first issue does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date


def fold_unmet(
    sums: dict[int, list[float]],
    unmet_days: Iterable,
    *,
    recent_since: date | None = None,
    sensing_since: date | None = None,
) -> dict[int, date]:
    """Add unmet demand to ``sums`` in place; returns each item's first day with
    unmet demand.

    ``sums`` maps item → [Σq, Σq²] or, with the demand-sensing figures,
    [Σq, Σq², days with demand, Σq of the last 14 days, Σq and Σq² of the last
    28] (positive quantities). A day with unmet demand but no issue becomes a
    day with demand; the recent sums take the days on or after ``recent_since``
    and ``sensing_since``."""
    first: dict[int, date] = {}
    for item_id, day, unmet, issued in unmet_days:
        u, i = float(unmet), float(issued)
        squares = (i + u) ** 2 - i * i
        total = sums.get(item_id)
        if total is None:
            total = sums[item_id] = [0.0, 0.0] if recent_since is None else [0.0] * 6
        total[0] += u
        total[1] += squares
        if len(total) > 2:
            if i == 0 and u > 0:
                total[2] += 1
            if recent_since is not None and day >= recent_since:
                total[3] += u
            if sensing_since is not None and day >= sensing_since:
                total[4] += u
                total[5] += squares
        if item_id not in first or day < first[item_id]:
            first[item_id] = day
    return first


def fold_unmet_events(
    events: dict[int, list[tuple[int, float]]], unmet_days: Iterable, *, offset
) -> None:
    """Add unmet demand to the demand days of sporadic items (Croston): ``events``
    maps item → [(day offset, quantity)], oldest first; ``offset(item_id, day)``
    gives a day's offset in that item's window (None: not one of these items)."""
    for item_id, day, unmet, _issued in unmet_days:
        at = offset(item_id, day)
        if at is None:
            continue
        days = events.setdefault(item_id, [])
        for n, (o, q) in enumerate(days):
            if o == at:
                days[n] = (o, q + float(unmet))
                break
        else:
            days.append((at, float(unmet)))
            days.sort()
