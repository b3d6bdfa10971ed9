"""The site-calendar rule (inventory_site.dates): lead times and dates are
counted in local calendar dates, whatever the clock does."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from inventory_site.dates import (
    DateOutOfRange,
    check_event_moment,
    check_planned_date,
    lead_time_days,
    site_date,
    site_midnight,
    week_start,
)


@pytest.fixture(autouse=True)
def _site_in_berlin(settings):
    """These cases are written in Berlin time, whatever TIME_ZONE the suite runs
    with (the New York case overrides it again)."""
    settings.TIME_ZONE = "Europe/Berlin"


BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("ordered", "received", "days"),
    [
        # autumn: clocks went back on 25 Oct 2026, 73 hours passed
        (berlin(2026, 10, 23, 10), berlin(2026, 10, 26, 10), 3),
        # spring: clocks went forward on 29 Mar 2026, 71 hours passed
        (berlin(2026, 3, 27, 10), berlin(2026, 3, 30, 10), 3),
        # a late order and an early receipt are still whole days
        (berlin(2026, 10, 24, 23, 50), berlin(2026, 10, 25, 0, 10), 1),
        # leap day
        (berlin(2028, 2, 28, 12), berlin(2028, 3, 1, 9), 2),
        # same day
        (berlin(2026, 6, 1, 8), berlin(2026, 6, 1, 17), 0),
    ],
)  # fmt: skip
def test_lead_time_days_counts_site_calendar_dates(ordered, received, days):
    assert lead_time_days(ordered, received) == days


@override_settings(TIME_ZONE="America/New_York")
def test_site_date_west_of_utc_late_evening_is_the_local_date():
    # 23:40 in New York is 04:40 UTC on the next day
    evening = datetime(2026, 12, 1, 23, 40, tzinfo=NEW_YORK)
    assert evening.astimezone(ZoneInfo("UTC")).date() == date(2026, 12, 2)
    assert site_date(evening) == date(2026, 12, 1)
    assert site_midnight(date(2026, 12, 1)) == datetime(2026, 12, 1, tzinfo=NEW_YORK)


def test_site_midnight_on_a_clock_change_day_is_local_midnight():
    start = site_midnight(date(2026, 10, 25))
    assert start.utcoffset().total_seconds() == 2 * 3600  # still summer time at 00:00
    assert site_midnight(date(2026, 10, 26)).utcoffset().total_seconds() == 3600


@pytest.mark.parametrize(
    ("day", "monday"),
    [
        (date(2026, 12, 1), date(2026, 11, 30)),
        (date(2026, 11, 30), date(2026, 11, 30)),
        (date(2026, 12, 6), date(2026, 11, 30)),
        (date(2028, 2, 29), date(2028, 2, 28)),
        (date(2027, 1, 1), date(2026, 12, 28)),  # ISO week 53 of 2026
    ],
)
def test_week_start_is_the_iso_monday(day, monday):
    assert week_start(day) == monday


# --- the plausible window (issue 13) ------------------------------------------------

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("UTC"))


@pytest.mark.parametrize(
    ("moment", "reason"),
    [
        (berlin(1999, 12, 31, 23, 59), "is before 2000-01-01"),
        (datetime(1, 1, 1), "is before 2000-01-01"),  # naive: site time
        (datetime(9999, 12, 31, 23, 59, 59, tzinfo=NEW_YORK), "is in the future"),
        (NOW + timedelta(minutes=10, seconds=1), "is in the future"),
    ],
)
def test_an_event_outside_the_window_is_refused(moment, reason):
    with pytest.raises(DateOutOfRange, match=reason):
        check_event_moment(moment, now=NOW)


@pytest.mark.parametrize(
    "moment", [berlin(2000, 1, 1), NOW, NOW + timedelta(minutes=10)]
)
def test_an_event_inside_the_window_is_kept(moment):
    assert check_event_moment(moment, now=NOW) == moment


def test_a_planned_date_may_lie_up_to_a_year_ahead():
    today = date(2026, 3, 2)
    assert check_planned_date(date(2027, 3, 3), today=today) == date(2027, 3, 3)
    assert check_planned_date(date(2000, 1, 1), today=today) == date(2000, 1, 1)
    with pytest.raises(DateOutOfRange, match="more than 366 days ahead"):
        check_planned_date(date(2027, 3, 4), today=today)
    with pytest.raises(DateOutOfRange, match="before 2000-01-01"):
        check_planned_date(date(1, 1, 1), today=today)


def test_the_window_comes_from_settings():
    with override_settings(
        DATE_MIN=date(2020, 1, 1), CLOCK_SKEW_MINUTES=0, DATE_MAX_FUTURE_DAYS=7
    ):
        with pytest.raises(DateOutOfRange, match="before 2020-01-01"):
            check_event_moment(berlin(2019, 12, 31), now=NOW)
        with pytest.raises(DateOutOfRange, match="at most 0 minutes ahead"):
            check_event_moment(NOW + timedelta(seconds=1), now=NOW)
        with pytest.raises(DateOutOfRange, match="more than 7 days ahead"):
            check_planned_date(date(2026, 3, 10), today=date(2026, 3, 2))
