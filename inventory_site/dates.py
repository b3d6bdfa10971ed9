"""Dates a person means, in the site's calendar.

The rule, everywhere: timestamps are stored as aware datetimes (UTC in the
database), but every rule a person states in days — a lead time, "on time",
"the last 90 days", a week, an order-by or arrival date — is counted in
calendar dates of the site's time zone (``settings.TIME_ZONE``), never in
elapsed hours. A delivery ordered on 23 October and received on 26 October took
3 days, although across the clock change of the 25th (Europe/Berlin) 73 hours
passed; a window of 90 days starts at local midnight 90 dates ago.

- ``site_date(moment)`` — the local calendar date of an aware datetime.
- ``site_midnight(day)`` — the aware datetime where a local date begins.
- ``lead_time_days(ordered_at, received_at)`` — whole days between the two
  local dates; the one definition of a lead time (the SQL twin used in
  aggregate queries is ``items.sql.lead_time_days_sql``, which computes the
  same thing inside the database).
- ``week_start(day)`` — the Monday of the ISO week (site calendar) of a date.
"""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def site_date(moment: datetime) -> date:
    """The calendar date of ``moment`` in the site's time zone."""
    return timezone.localtime(moment).date()


def site_midnight(day: date) -> datetime:
    """The aware datetime at which ``day`` begins in the site's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def lead_time_days(ordered_at: datetime, received_at: datetime) -> int:
    """Whole site-calendar days from ordering to receipt (see the module rule)."""
    return (site_date(received_at) - site_date(ordered_at)).days


def week_start(day: date) -> date:
    """Monday of the ISO week that ``day`` falls in."""
    return day - timedelta(days=day.weekday())
