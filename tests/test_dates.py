"""The site-calendar rule (inventory_site.dates): lead times and dates are
counted in local calendar dates, whatever the clock does."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from inventory_site.dates import lead_time_days, site_date, site_midnight, week_start

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
