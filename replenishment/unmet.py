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


def fold_unmet(sums: dict[int, list[float]], unmet_days: Iterable) -> dict[int, date]:
    """Add unmet demand to ``sums`` (item → [Σq, Σq²], positive quantities),
    in place; returns each item's first day with unmet demand."""
    first: dict[int, date] = {}
    for item_id, day, unmet, issued in unmet_days:
        u, i = float(unmet), float(issued)
        total = sums.setdefault(item_id, [0.0, 0.0])
        total[0] += u
        total[1] += (i + u) ** 2 - i * i
        if item_id not in first or day < first[item_id]:
            first[item_id] = day
    return first
