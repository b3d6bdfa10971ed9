"""Small vendor-specific SQL fragments for set-based queries (SQLite, PostgreSQL).

Django stores aware datetimes in UTC; these turn them into the site's local date
or a number of days, inside hand-written aggregate queries.
"""

from django.conf import settings
from django.db import connection


def local_date_sql(column: str) -> tuple[str, list]:
    """SQL for the local (``TIME_ZONE``) calendar date of a datetime column."""
    if connection.vendor == "postgresql":
        return f"(({column}) AT TIME ZONE %s)::date", [settings.TIME_ZONE]
    # Registered by Django's SQLite backend for TruncDate.
    return f"django_datetime_cast_date({column}, %s, 'UTC')", [settings.TIME_ZONE]


def days_between_sql(start: str, end: str) -> str:
    """SQL for ``end − start`` in (fractional) days."""
    if connection.vendor == "postgresql":
        return f"(EXTRACT(EPOCH FROM ({end}) - ({start})) / 86400.0)"
    return f"(julianday({end}) - julianday({start}))"


def in_list(values) -> tuple[str, list]:
    """``IN (%s, …)`` placeholders for a list of values."""
    values = list(values)
    return "(" + ", ".join(["%s"] * len(values)) + ")", values
