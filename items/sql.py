"""Small vendor-specific SQL fragments for set-based queries (SQLite, PostgreSQL).

Django stores aware datetimes in UTC; these turn them into the site's local date
or a number of days, inside hand-written aggregate queries.
"""

from decimal import Decimal

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


def update_from_values(
    *,
    table: str,
    columns: list[tuple[str, str]],
    rows: list[tuple],
    set_sql: str,
    set_params: list | None = None,
    batch_size: int = 2000,
) -> int:
    """One ``UPDATE table SET … FROM <rows> AS v`` per batch of rows: ``unnest``
    of one array per column on PostgreSQL, a ``VALUES`` list on SQLite.

    ``columns`` names the columns with their PostgreSQL types, the first
    being the row id; ``set_sql`` may refer to them as ``v.<name>`` (and to
    ``set_params`` placeholders). Set-based: no per-row UPDATE, no bulk_update.
    """
    names = [name for name, _ in columns]
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            if connection.vendor == "postgresql":
                # One array per column: a short statement PostgreSQL parses and
                # plans at once, however many rows the batch holds.
                arrays = ", ".join(f"%s::{kind}[]" for _, kind in columns)
                values = f"unnest({arrays}) AS v({', '.join(names)})"
                params = list(set_params or []) + [
                    [row[i] for row in batch] for i in range(len(columns))
                ]
            else:  # SQLite names VALUES columns column1, column2, …
                params = list(set_params or [])
                for row in batch:
                    params += [str(v) if isinstance(v, Decimal) else v for v in row]
                one = "(" + ", ".join(["%s"] * len(columns)) + ")"
                rows_sql = ", ".join([one] * len(batch))
                aliases = ", ".join(f"column{i} AS {n}" for i, n in enumerate(names, 1))
                values = f"(SELECT {aliases} FROM (VALUES {rows_sql})) AS v"
            cursor.execute(
                f"UPDATE {table} SET {set_sql} FROM {values} "
                f"WHERE {table}.id = v.{names[0]}",
                params,
            )
            updated += cursor.rowcount
    return updated
