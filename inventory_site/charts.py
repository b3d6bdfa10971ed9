"""Server-rendered SVG charts: no JavaScript, no outside network.

Each function takes plain numbers and returns safe SVG markup with a title and a
text description for screen readers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from .formatting import figure

WIDTH, HEIGHT = 640, 240
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 16, 16, 36


@dataclass
class Series:
    label: str
    points: Sequence[tuple[float, float]]
    css_class: str = "series"
    dashed: bool = False


@dataclass
class Chart:
    title: str
    x_min: float
    x_max: float
    y_min: float
    y_max: float
    series: list[Series] = field(default_factory=list)
    hlines: list[tuple[float, str, str]] = field(default_factory=list)
    x_labels: list[tuple[float, str]] = field(default_factory=list)
    y_suffix: str = ""
    description: str = ""

    def sx(self, x: float) -> float:
        span = (self.x_max - self.x_min) or 1
        return PAD_LEFT + (x - self.x_min) / span * (WIDTH - PAD_LEFT - PAD_RIGHT)

    def sy(self, y: float) -> float:
        span = (self.y_max - self.y_min) or 1
        return (
            HEIGHT
            - PAD_BOTTOM
            - (y - self.y_min) / span * (HEIGHT - PAD_TOP - PAD_BOTTOM)
        )

    def render(self) -> SafeString:
        parts = [
            format_html(
                '<svg class="chart" viewBox="0 0 {} {}" role="img" '
                'aria-labelledby="{}-t {}-d" preserveAspectRatio="xMidYMid meet">'
                '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>',
                WIDTH,
                HEIGHT,
                _id(self.title),
                _id(self.title),
                _id(self.title),
                self.title,
                _id(self.title),
                self.description or self.title,
            )
        ]
        # axes and y grid
        for fraction in (0, 0.25, 0.5, 0.75, 1):
            value = self.y_min + fraction * (self.y_max - self.y_min)
            y = self.sy(value)
            parts.append(
                f'<line class="grid" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" '
                f'y1="{y:.1f}" y2="{y:.1f}"/>'
                f'<text class="axis" x="{PAD_LEFT - 6}" y="{y + 4:.1f}" '
                f'text-anchor="end">{escape(_short(value))}{escape(self.y_suffix)}'
                "</text>"
            )
        for x, label in self.x_labels:
            parts.append(
                f'<text class="axis" x="{self.sx(x):.1f}" y="{HEIGHT - 12}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
        for y, label, css in self.hlines:
            sy = self.sy(y)
            parts.append(
                f'<line class="{css}" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" '
                f'y1="{sy:.1f}" y2="{sy:.1f}"/>'
                f'<text class="hlabel" x="{WIDTH - PAD_RIGHT - 4}" y="{sy - 4:.1f}" '
                f'text-anchor="end">{escape(label)}</text>'
            )
        for s in self.series:
            if not s.points:
                continue
            coords = " ".join(f"{self.sx(x):.1f},{self.sy(y):.1f}" for x, y in s.points)
            dash = ' stroke-dasharray="6 4"' if s.dashed else ""
            parts.append(
                f'<polyline class="{s.css_class}" fill="none" points="{coords}"{dash}>'
                f"<title>{escape(s.label)}</title></polyline>"
            )
        legend_x = PAD_LEFT
        for s in self.series:
            parts.append(
                f'<text class="legend {s.css_class}-legend" x="{legend_x}" '
                f'y="{PAD_TOP - 2}">{escape(s.label)}</text>'
            )
            legend_x += 12 + 7 * len(s.label)
        parts.append("</svg>")
        return mark_safe("".join(parts))  # noqa: S308 - every value escaped above


def _id(title: str) -> str:
    return "chart-" + "".join(c if c.isalnum() else "-" for c in title.lower())


def _short(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    if abs(value) >= 100 or value == int(value):
        return f"{value:.0f}"
    return f"{value:.1f}"


def stock_chart(
    *,
    history: Sequence[tuple[date, float]],
    projection: Sequence[tuple[date, float]],
    reorder_point: float,
    today: date,
) -> SafeString:
    """On-hand over time, the projection to the next delivery and the ROP."""
    days = [d for d, _ in history] + [d for d, _ in projection] or [today]
    values = [v for _, v in history] + [v for _, v in projection] + [reorder_point]
    start = min(days)
    x = lambda d: (d - start).days  # noqa: E731
    end = max(x(d) for d in days) or 1
    chart = Chart(
        title="Stock on hand",
        description=(
            f"On hand over the last {x(today)} days and projected "
            f"{end - x(today)} days ahead; reorder point {figure(reorder_point)}."
        ),
        x_min=0,
        x_max=end,
        y_min=0,
        y_max=max(values + [1]) * 1.1,
        series=[
            Series("on hand", [(x(d), v) for d, v in history], "series"),
            Series("projection", [(x(d), v) for d, v in projection], "proj", True),
        ],
        hlines=[(reorder_point, "reorder point", "rop")] if reorder_point else [],
        x_labels=[
            (0, f"{start:%d %b}"),
            (x(today), "today"),
            (end, f"{max(days):%d %b}"),
        ],
    )
    return chart.render()


def pareto_chart(points: Sequence[tuple[float, float]]) -> SafeString:
    """Cumulative share of annual value (y, %) over the share of items (x, %)."""
    chart = Chart(
        title="ABC Pareto",
        description="Cumulative share of annual value by share of items; "
        "lines at 80 % (A) and 95 % (B).",
        x_min=0,
        x_max=100,
        y_min=0,
        y_max=100,
        series=[Series("cumulative value", [(0, 0), *points], "series")],
        hlines=[(80, "A ≤ 80 %", "rop"), (95, "B ≤ 95 %", "rop2")],
        x_labels=[(0, "0 %"), (20, "20 %"), (50, "50 % of items"), (100, "100 %")],
        y_suffix=" %",
    )
    return chart.render()


def lead_time_chart(rows: Sequence[tuple[date, float, float | None]]) -> SafeString:
    """Actual lead time per delivery against the promised one (days)."""
    if not rows:
        return mark_safe('<p class="muted">No received deliveries yet.</p>')
    start = rows[0][0]
    x = lambda d: (d - start).days  # noqa: E731
    end = x(rows[-1][0]) or 1
    top = max([r[1] for r in rows] + [r[2] or 0 for r in rows] + [1])
    chart = Chart(
        title="Lead time per delivery",
        description="Days from order to receipt for each delivery, against the "
        "promised days.",
        x_min=0,
        x_max=end,
        y_min=0,
        y_max=top * 1.15,
        series=[
            Series("actual", [(x(d), a) for d, a, _ in rows], "series"),
            Series(
                "promised",
                [(x(d), p) for d, _, p in rows if p is not None],
                "proj",
                True,
            ),
        ],
        x_labels=[(0, f"{start:%d %b}"), (end, f"{rows[-1][0]:%d %b}")],
        y_suffix=" d",
    )
    return chart.render()


RUN_CLASSES = {"policy": "series", "baseline": "proj", "actual": "rop2"}


def tradeoff_chart(groups: Sequence[tuple[str, dict]]) -> SafeString:
    """Backtest: average on-hand value (x) against fill rate (y, %) for the
    policy, the min/max baseline and actual, one point per group (overall, per
    class). ``groups`` is [(label, {run: {"avg_on_hand_value", "fill_rate"}})]."""
    points = [
        (
            label,
            run,
            float(kpis[run]["avg_on_hand_value"]),
            100 * kpis[run]["fill_rate"],
        )
        for label, kpis in groups
        for run in RUN_CLASSES
        if run in kpis
    ]
    if not points:
        return mark_safe('<p class="muted">Nothing to chart yet.</p>')
    x_max = max(p[2] for p in points) * 1.1 or 1
    # y from a whole-number step below the lowest fill to 102 % (room for the
    # legend above the 100 % points): four grid steps of whole percents
    step = max(2, math.ceil((102 - min(p[3] for p in points) + 1) / 4))
    y_min, y_max = 102 - 4 * step, 102
    chart = Chart(
        title="Stock value against fill rate",
        description="Average on-hand value (x) and fill rate (y) of the policy, "
        "the ERP min/max baseline and what actually happened, overall and per "
        "ABC class; lower and higher is better.",
        x_min=0,
        x_max=x_max,
        y_min=y_min,
        y_max=y_max,
        series=[Series(run, [], css) for run, css in RUN_CLASSES.items()],
        x_labels=[(0, "0"), (x_max / 2, _short(x_max / 2)), (x_max, _short(x_max))],
        y_suffix=" %",
    )
    markup = str(chart.render())
    marks = []
    for label, run, value, fill in points:
        x, y = chart.sx(value), chart.sy(fill)
        tip = f"{run}, {label}: on hand {value:,.0f}, fill {fill:.1f} %"
        marks.append(
            f'<circle class="mark {RUN_CLASSES[run]}" cx="{x:.1f}" cy="{y:.1f}" r="5">'
            f"<title>{escape(tip)}</title></circle>"
            f'<text class="axis" x="{x + 7:.1f}" y="{y + 4:.1f}">{escape(label)}</text>'
        )
    return mark_safe(markup.replace("</svg>", "".join(marks) + "</svg>"))  # noqa: S308


def replay_chart(*, start: date, series: dict[str, Sequence[float]]) -> SafeString:
    """Backtest: one item's end-of-day stock per day for the policy, the min/max
    baseline and actual."""
    days = max((len(v) for v in series.values()), default=0)
    if not days:
        return mark_safe('<p class="muted">Nothing to chart.</p>')
    top = max([max(v, default=0) for v in series.values()] + [1])
    end = start + timedelta(days=days - 1)
    chart = Chart(
        title="Stock on hand, replayed",
        description=f"End-of-day stock from {start:%d %b %Y} to {end:%d %b %Y} "
        "under the policy, the ERP min/max baseline and as it actually was.",
        x_min=0,
        x_max=max(days - 1, 1),
        y_min=0,
        y_max=top * 1.1,
        series=[
            Series(run, list(enumerate(series[run])), css)
            for run, css in RUN_CLASSES.items()
            if run in series
        ],
        x_labels=[(0, f"{start:%d %b}"), (days - 1, f"{end:%d %b}")],
    )
    return chart.render()
