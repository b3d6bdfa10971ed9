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
  aggregate queries is ``inventory_site.db.lead_time_days_sql``, which computes the
  same thing inside the database).
- ``week_start(day)`` — the Monday of the ISO week (site calendar) of a date.

Plausible dates: every date that enters (import, API, form, service) lies in a
window. Nothing before ``settings.DATE_MIN`` (2000-01-01); an event that has
happened — a movement, an order, a receipt — no later than now plus
``settings.CLOCK_SKEW_MINUTES``; a date someone promises or plans no more than
``settings.DATE_MAX_FUTURE_DAYS`` ahead. ``check_event_moment`` and
``check_planned_date`` raise ``DateOutOfRange`` (a ``ValueError`` whose message
is for the user); both compare without converting time zones, so year 1 or
9999-12-31T23:59:59-05:00 (year 10000 in UTC) are refused, never overflow.
"""

from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone


class DateOutOfRange(ValueError):
    """A date outside the plausible window. ``reason`` says why without the
    value (for callers that show the value as it was typed); ``str()`` is the
    full message for the user."""

    def __init__(self, value: str, reason: str):
        self.value = value
        self.reason = reason
        super().__init__(f"{value} {reason}")


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


def _earliest() -> date:
    return date.fromisoformat(str(settings.DATE_MIN))


def event_window(*, now: datetime | None = None) -> tuple[datetime, datetime]:
    """(earliest, latest) aware moments an event may have: ``DATE_MIN`` at site
    midnight, and now plus the clock skew."""
    latest = (now or timezone.now()) + timedelta(minutes=settings.CLOCK_SKEW_MINUTES)
    earliest = site_midnight(_earliest())
    return earliest.astimezone(UTC), latest.astimezone(UTC)  # quick to compare


def check_event_moment(
    moment: datetime,
    *,
    now: datetime | None = None,
    window: tuple[datetime, datetime] | None = None,
) -> datetime:
    """An aware moment something happened: from ``DATE_MIN`` (site midnight) to
    now plus the clock skew. A naive moment is taken as site time. Callers
    checking many values pass ``window=event_window()`` once."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.get_current_timezone())
    earliest, latest = window or event_window(now=now)
    if moment < earliest:
        raise DateOutOfRange(
            moment.isoformat(),
            f"is before {_earliest().isoformat()}, the earliest date accepted.",
        )
    if moment > latest:
        raise DateOutOfRange(
            moment.isoformat(),
            "is in the future; a movement, order or receipt can be at most "
            f"{settings.CLOCK_SKEW_MINUTES} minutes ahead of the server's clock.",
        )
    return moment


def check_planned_date(day: date, *, today: date | None = None) -> date:
    """A date promised or planned: from ``DATE_MIN`` to ``DATE_MAX_FUTURE_DAYS``
    days after today (site calendar)."""
    if isinstance(day, datetime):
        day = day.date()
    earliest = _earliest()
    if day < earliest:
        raise DateOutOfRange(
            day.isoformat(),
            f"is before {earliest.isoformat()}, the earliest date accepted.",
        )
    days = settings.DATE_MAX_FUTURE_DAYS
    latest = (today or timezone.localdate()) + timedelta(days=days)
    if day > latest:
        raise DateOutOfRange(
            day.isoformat(),
            f"is more than {days} days ahead (the latest date accepted is "
            f"{latest.isoformat()}).",
        )
    return day
