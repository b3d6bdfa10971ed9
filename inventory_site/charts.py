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

# The drawing is 600 × 270 units and scales with its box: at 820 px a chart spans
# the page (about 770 px, 13-unit text reads at about 16 px); on a desktop half
# the page (about 580 px, 13 px). The plot area is padded on every side: room for
# the y labels on the left, the legend above, the dates below and half a label's
# width on the right so the last date is never clipped.
WIDTH, HEIGHT = 600, 270
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 58, 28, 40, 34
FONT = 13
CHAR = 7.2  # average width of a character at FONT, for laying out labels
LABEL_GAP = 12  # at least this much space between two x labels


def nice_step(raw: float) -> float:
    """The smallest 1-2-5 step (…, 0.5, 1, 2, 5, 10, 20, …) not below ``raw``."""
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        step = factor * magnitude
        if step >= raw * (1 - 1e-9):
            return step
    return 10 * magnitude  # pragma: no cover - the loop always returns


def nice_ticks(low: float, high: float, *, count: int = 5) -> list[float]:
    """Round ticks covering [low, high]: a 1-2-5 step, at most ``count`` + 1
    ticks, the first at or below ``low`` and the last at or above ``high``."""
    if high <= low:
        high = low + 1
    step = nice_step((high - low) / count)
    first = math.floor(low / step + 1e-9) * step
    ticks = [first]
    while ticks[-1] < high - 1e-9 * step:
        ticks.append(first + len(ticks) * step)
    return [round(t, 10) for t in ticks]


@dataclass
class Series:
    label: str
    points: Sequence[tuple[float, float]]
    css_class: str = "series"
    dashed: bool = False


@dataclass
class Chart:
    """A line chart. The y axis gets round ticks (``nice_ticks``) unless
    ``y_ticks`` is given; ``caption`` (e.g. the dates covered) is shown under the
    drawing as text."""

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
    caption: str = ""
    y_ticks: list[float] | None = None

    def __post_init__(self) -> None:
        if self.y_ticks is None:
            self.y_ticks = nice_ticks(self.y_min, self.y_max)
        self.y_min, self.y_max = min(self.y_ticks), max(self.y_ticks)

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

    def _x_label_parts(self) -> list[str]:
        """Date labels under the plot: the first starts at its point, the last
        ends at its point (never clipped), the others are centred; a label that
        would touch a kept one is left out (the last one always stays)."""
        placed: list[tuple[float, float, str, float, str]] = []
        labels = sorted(self.x_labels, key=lambda pair: pair[0])
        for index, (x, text) in enumerate(labels):
            px, width = self.sx(x), CHAR * len(text)
            if index == len(labels) - 1 and index > 0:
                anchor, left = "end", px - width
            elif px - width / 2 < PAD_LEFT - 4:
                anchor, left = "start", px
            else:
                anchor, left = "middle", px - width / 2
            right = left + width
            if index == len(labels) - 1:
                while placed and placed[-1][1] + LABEL_GAP > left:
                    placed.pop()
            elif placed and placed[-1][1] + LABEL_GAP > left:
                continue
            placed.append((left, right, anchor, px, text))
        parts = []
        for _, _, anchor, px, text in placed:
            parts.append(
                f'<line class="tick" x1="{px:.1f}" x2="{px:.1f}" '
                f'y1="{HEIGHT - PAD_BOTTOM}" y2="{HEIGHT - PAD_BOTTOM + 4}"/>'
                f'<text class="axis" x="{px:.1f}" y="{HEIGHT - PAD_BOTTOM + 18}" '
                f'text-anchor="{anchor}">{escape(text)}</text>'
            )
        return parts

    def _legend_parts(self) -> list[str]:
        """One row above the plot: a swatch and the name of each line."""
        parts, x = [], float(PAD_LEFT)
        entries = [(s.label, s.css_class, s.dashed) for s in self.series] + [
            (label, css, True) for _, label, css in self.hlines
        ]
        for label, css, dashed in entries:
            dash = ' stroke-dasharray="5 3"' if dashed else ""
            parts.append(
                f'<line class="{css}" x1="{x:.1f}" x2="{x + 18:.1f}" y1="16" y2="16"'
                f"{dash}/>"
                f'<text class="legend" x="{x + 23:.1f}" y="20">{escape(label)}</text>'
            )
            x += 23 + CHAR * len(label) + 16
        return parts

    def render(self) -> SafeString:
        ident = _id(self.title)
        parts = [
            format_html(
                '<svg class="chart" viewBox="0 0 {} {}" role="img" '
                'aria-labelledby="{}-t {}-d" preserveAspectRatio="xMidYMid meet" '
                'font-size="{}">'
                '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>',
                WIDTH,
                HEIGHT,
                ident,
                ident,
                FONT,
                ident,
                self.title,
                ident,
                self.description or self.title,
            )
        ]
        for value in self.y_ticks or ():
            y = self.sy(value)
            parts.append(
                f'<line class="grid" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" '
                f'y1="{y:.1f}" y2="{y:.1f}"/>'
                f'<text class="axis" x="{PAD_LEFT - 6}" y="{y + 4:.1f}" '
                f'text-anchor="end">{escape(_short(value))}{escape(self.y_suffix)}'
                "</text>"
            )
        parts.append(
            f'<line class="baseline" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" '
            f'y1="{HEIGHT - PAD_BOTTOM}" y2="{HEIGHT - PAD_BOTTOM}"/>'
        )
        parts.extend(self._x_label_parts())
        for y, _label, css in self.hlines:
            sy = self.sy(y)
            parts.append(
                f'<line class="{css}" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" '
                f'y1="{sy:.1f}" y2="{sy:.1f}"/>'
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
        parts.extend(self._legend_parts())
        parts.append("</svg>")
        svg = "".join(parts)
        if self.caption:
            svg = (
                f'<figure class="chart-figure">{svg}'
                f"<figcaption>{escape(self.caption)}</figcaption></figure>"
            )
        return mark_safe(svg)  # noqa: S308 - every value escaped above


def _id(title: str) -> str:
    return "chart-" + "".join(c if c.isalnum() else "-" for c in title.lower())


def _short(value: float) -> str:
    """A tick value: 1.2M, 15k, 250, 2.5 (ticks are round, so this is exact)."""
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    if value == int(value):
        return f"{value:,.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def date_labels(start: date, end: date, *, today: date | None = None):
    """(day offset, label) for a date axis from ``start`` to ``end``: the two ends,
    round steps between (a week, two, four …) and ``today`` when inside."""
    span = max((end - start).days, 1)
    step = next((d for d in (1, 2, 7, 14, 28, 56, 91, 182) if span / d <= 6), 365)
    labels = {0: f"{start:%-d %b}", span: f"{end:%-d %b}"}
    for offset in range(step, span, step):
        labels.setdefault(offset, f"{start + timedelta(days=offset):%-d %b}")
    if today is not None and start < today < end:
        offset = (today - start).days
        labels = {k: v for k, v in labels.items() if abs(k - offset) > step / 2}
        labels[offset] = "today"
        labels.setdefault(0, f"{start:%-d %b}")
        labels.setdefault(span, f"{end:%-d %b}")
    return sorted(labels.items())


def date_range(start: date, end: date) -> str:
    """ "3 Sep – 23 Dec 2026" (the year once when both are in it)."""
    if start.year == end.year:
        return f"{start:%-d %b} – {end:%-d %b %Y}"
    return f"{start:%-d %b %Y} – {end:%-d %b %Y}"


def stock_chart(
    *,
    history: Sequence[tuple[date, float]],
    projection: Sequence[tuple[date, float]],
    reorder_point: float,
    today: date,
    unit: str = "",
) -> SafeString:
    """On-hand over time, the projection to the next delivery and the ROP."""
    days = [d for d, _ in history] + [d for d, _ in projection] or [today]
    values = [v for _, v in history] + [v for _, v in projection] + [reorder_point]
    start, last = min(days), max(days)
    x = lambda d: (d - start).days  # noqa: E731
    end = x(last) or 1
    rop = f"reorder point {figure(reorder_point)}{' ' + unit if unit else ''}"
    chart = Chart(
        title="Stock on hand",
        description=(
            f"On hand over the last {x(today)} days and projected "
            f"{end - x(today)} days ahead; {rop}."
        ),
        caption=f"{date_range(start, last)}: on hand up to today, then projected "
        "with the average daily demand, planned demand and promised deliveries.",
        x_min=0,
        x_max=end,
        y_min=0,
        y_max=max(values + [1]) * 1.05,
        series=[
            Series(
                f"on hand ({unit})" if unit else "on hand",
                [(x(d), v) for d, v in history],
                "series",
            ),
            Series("projection", [(x(d), v) for d, v in projection], "proj", True),
        ],
        hlines=[(reorder_point, rop, "rop")] if reorder_point else [],
        x_labels=date_labels(start, last, today=today),
    )
    return chart.render()


def pareto_chart(points: Sequence[tuple[float, float]]) -> SafeString:
    """Cumulative share of annual value (y, %) over the share of items (x, %)."""
    chart = Chart(
        title="ABC Pareto",
        description="Cumulative share of annual value by share of items; "
        "lines at 80 % (A) and 95 % (B).",
        caption="Items sorted by annual value (x: share of items, y: cumulative "
        "share of annual value), from the last classification run.",
        x_min=0,
        x_max=100,
        y_min=0,
        y_max=100,
        y_ticks=[0, 20, 40, 60, 80, 100],
        series=[Series("cumulative value", [(0, 0), *points], "series")],
        hlines=[(80, "A up to 80 %", "rop"), (95, "B up to 95 %", "rop2")],
        x_labels=[
            (0, "0 %"),
            (25, "25 %"),
            (50, "50 %"),
            (75, "75 %"),
            (100, "100 % of items"),
        ],  # fmt: skip
        y_suffix=" %",
    )
    return chart.render()


def lead_time_chart(rows: Sequence[tuple[date, float, float | None]]) -> SafeString:
    """Actual lead time per delivery against the promised one (days)."""
    if not rows:
        return mark_safe('<p class="muted">No received deliveries yet.</p>')
    start, last = rows[0][0], rows[-1][0]
    x = lambda d: (d - start).days  # noqa: E731
    end = x(last) or 1
    top = max([r[1] for r in rows] + [r[2] or 0 for r in rows] + [1])
    chart = Chart(
        title="Lead time per delivery",
        description="Days from order to receipt for each delivery, against the "
        "promised days.",
        caption=f"{len(rows)} deliveries received {date_range(start, last)} "
        "(by the day each arrived).",
        x_min=0,
        x_max=end,
        y_min=0,
        y_max=top * 1.05,
        series=[
            Series("actual days", [(x(d), a) for d, a, _ in rows], "series"),
            Series(
                "promised days",
                [(x(d), p) for d, _, p in rows if p is not None],
                "proj",
                True,
            ),
        ],
        x_labels=date_labels(start, last),
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
    x_ticks = nice_ticks(0, max(p[2] for p in points) * 1.1 or 1, count=4)
    # y from a round step below the lowest fill to 102 % (room above the 100 %
    # points): four grid steps of a 1-2-5 number of percents
    step = nice_step(max(2, (102 - min(p[3] for p in points) + 1) / 4))
    y_ticks = [102 - step * k for k in range(4, -1, -1)]
    chart = Chart(
        title="Stock value against fill rate",
        description="Average on-hand value (x) and fill rate (y) of the policy, "
        "the ERP min/max baseline and what actually happened, overall and per "
        "ABC class; lower and higher is better.",
        x_min=0,
        x_max=x_ticks[-1],
        y_min=y_ticks[0],
        y_max=y_ticks[-1],
        y_ticks=y_ticks,
        series=[Series(run, [], css) for run, css in RUN_CLASSES.items()],
        x_labels=[(t, _short(t)) for t in x_ticks],
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
        caption=f"End-of-day stock, {date_range(start, end)}.",
        x_min=0,
        x_max=max(days - 1, 1),
        y_min=0,
        y_max=top * 1.05,
        series=[
            Series(run, list(enumerate(series[run])), css)
            for run, css in RUN_CLASSES.items()
            if run in series
        ],
        x_labels=date_labels(start, end),
    )
    return chart.render()
