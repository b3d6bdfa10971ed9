"""Server-drawn SVG charts (issue 20): round ticks, padded plot, the last date
inside the drawing, legends and the dates covered."""

import re
from datetime import date, timedelta

import pytest

from inventory_site import charts
from inventory_site.charts import (
    HEIGHT,
    PAD_LEFT,
    WIDTH,
    lead_time_chart,
    nice_step,
    nice_ticks,
    stock_chart,
)


@pytest.mark.parametrize(
    ("raw", "step"),
    [(0.26, 0.5), (1.3, 2), (2.6, 5), (3.8, 5), (7, 10), (12, 20), (1, 1), (0, 1)],
)
def test_steps_are_one_two_five(raw, step):
    assert nice_step(raw) == step


@pytest.mark.parametrize(
    ("low", "high", "ticks"),
    [
        (0, 5.1, [0, 2, 4, 6]),
        (0, 4.2, [0, 1, 2, 3, 4, 5]),
        (0, 11.17, [0, 5, 10, 15]),
        (0, 123456, [0, 50000, 100000, 150000]),
    ],
)
def test_ticks_are_round_and_cover_the_range(low, high, ticks):
    assert nice_ticks(low, high) == ticks


def _texts(svg: str) -> list[tuple[float, str, str]]:
    return [
        (float(x), anchor, text)
        for x, anchor, text in re.findall(
            r'<text class="axis" x="([\d.]+)" y="[\d.]+" text-anchor="(\w+)">([^<]*)<',
            svg,
        )
    ]


def test_the_stock_chart_reads_at_a_glance():
    today = date(2026, 12, 2)
    history = [(today - timedelta(days=90 - i), 5.0 + i % 7) for i in range(91)]
    projection = [(today + timedelta(days=i), 10.0 - i * 0.3) for i in range(22)]
    svg = str(
        stock_chart(
            history=history,
            projection=projection,
            reorder_point=10.642,
            today=today,
            unit="ea",
        )
    )
    labels = _texts(svg)
    y_labels = [t for x, a, t in labels if a == "end" and x < PAD_LEFT]
    assert y_labels == ["0", "5", "10", "15"]  # not 1.3 / 2.6 / 3.8
    dates = [(x, a, t) for x, a, t in labels if x >= PAD_LEFT]
    assert dates[0][2] == "3 Sep" and dates[-1][2] == "23 Dec"
    assert "today" in [t for _, _, t in dates]
    last_x, anchor, text = dates[-1]
    assert anchor == "end" and last_x <= WIDTH  # ends at its point: not clipped
    assert 'class="legend"' in svg
    for name in ("on hand (ea)", "projection", "reorder point 11 ea"):
        assert f">{name}</text>" in svg
    assert "<figcaption>3 Sep – 23 Dec 2026: on hand" in svg
    assert f'viewBox="0 0 {WIDTH} {HEIGHT}"' in svg
    # every drawn coordinate stays inside the drawing
    for x in re.findall(r'\bx[12]?="([\d.]+)"', svg):
        assert 0 <= float(x) <= WIDTH


def test_x_labels_that_would_touch_are_left_out_but_the_last_stays():
    rows = [
        (date(2026, 1, 1) + timedelta(days=d), 10.0, 9.0) for d in (0, 1, 2, 3, 200)
    ]
    svg = str(lead_time_chart(rows))
    dates = [t for x, a, t in _texts(svg) if x >= PAD_LEFT]
    assert dates[0] == "1 Jan" and dates[-1] == "20 Jul"
    xs = [x for x, a, t in _texts(svg) if x >= PAD_LEFT]
    assert all(b - a > 40 for a, b in zip(xs, xs[1:], strict=False))
    assert "5 deliveries received 1 Jan – 20 Jul 2026" in svg


def test_charts_carry_no_script_and_escape_text():
    svg = str(
        charts.Chart(
            title="<x>", x_min=0, x_max=1, y_min=0, y_max=1,
            series=[charts.Series("<b>", [(0, 0), (1, 1)])],
            x_labels=[(0, "<d>")], caption="<c>",
        ).render()
    )  # fmt: skip
    assert "<script" not in svg and "<b>" not in svg and "&lt;c&gt;" in svg
