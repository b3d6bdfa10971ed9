"""Cell widgets: what a cell may hold and how it is rendered (bulk.widgets)."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from bulk.widgets import (
    BooleanWidget,
    DateTimeWidget,
    DecimalWidget,
    TextWidget,
    escape_formula,
    unescape_formula,
)

SITE_TZ = ZoneInfo(settings.TIME_ZONE)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1", True),
        ("0", False),
        ("true", True),
        ("FALSE", False),
        ("yes", True),
        ("No", False),
        (" yes ", True),
        (True, True),
        (1, True),
        ("", None),
    ],
)
def test_boolean_widget_accepts_1_0_true_false_yes_no(cell, expected):
    assert BooleanWidget().clean(cell) is expected


def test_boolean_widget_refuses_other_words():
    with pytest.raises(ValueError, match="'maybe' is not a yes/no value"):
        BooleanWidget().clean("maybe")


def test_datetime_widget_reads_a_date_alone_as_site_midnight():
    moment = DateTimeWidget().clean("2025-03-31")
    assert moment == datetime(2025, 3, 31, tzinfo=SITE_TZ)
    assert moment.tzinfo is not None


def test_datetime_widget_keeps_offsets_and_makes_naive_times_site_time():
    widget = DateTimeWidget()
    assert widget.clean("2025-03-31T14:30:00+00:00") == datetime(
        2025, 3, 31, 14, 30, tzinfo=ZoneInfo("UTC")
    )
    assert widget.clean("2025-03-31 14:30") == datetime(
        2025, 3, 31, 14, 30, tzinfo=SITE_TZ
    )
    # Spreadsheets hand over dates and naive datetimes.
    assert widget.clean(date(2025, 1, 2)) == datetime(2025, 1, 2, tzinfo=SITE_TZ)
    assert widget.clean(datetime(2025, 1, 2, 8)).tzinfo is not None


@pytest.mark.parametrize("cell", ["yesterday", "2025-02-30", "31.03.2025"])
def test_datetime_widget_refuses_what_is_not_iso_8601(cell):
    with pytest.raises(ValueError, match="is not an ISO 8601 date"):
        DateTimeWidget().clean(cell)


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("abc", "'abc' is not a number"),
        ("-1", "must not be negative"),
        ("1.23456", "at most 4 decimal places"),
        ("NaN", "is not a number"),
        ("1e30", "is too large"),
    ],
)
def test_decimal_widget_messages(cell, message):
    with pytest.raises(ValueError, match=message):
        DecimalWidget(max_digits=14, decimal_places=4).clean(cell)


def test_decimal_widget_reads_spreadsheet_floats_exactly():
    assert DecimalWidget(max_digits=14, decimal_places=4).clean(0.1) == Decimal("0.1")


@pytest.mark.parametrize(
    "text", ["=SUM(A1)", "+1", "-x", "@cmd", "'=already", "'", "plain", ""]
)
def test_formula_escape_round_trips(text):
    escaped = escape_formula(text)
    assert not escaped.startswith(("=", "+", "-", "@"))
    assert unescape_formula(escaped) == text


def test_text_widget_renders_formulas_escaped_and_reads_them_back():
    widget = TextWidget(max_length=200)
    assert widget.render("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert widget.clean("'=HYPERLINK(1)") == "=HYPERLINK(1)"
    with pytest.raises(ValueError, match="at most 200 allowed"):
        widget.clean("x" * 201)
