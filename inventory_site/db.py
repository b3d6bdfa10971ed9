"""The one place that knows which database it talks to: SQLite or PostgreSQL.

Most of the code speaks the ORM and never asks. A few hot paths are hand-written
SQL, set-based (one statement per batch, never one per row), and there the two
databases differ; every such difference is decided here, by ``dialect()`` /
``is_postgresql()``, and nowhere else (``tests/test_architecture.py`` fails if
``connection.vendor`` appears in any other module outside migrations). A domain
module that keeps its own raw SQL (the classification, the backtest's reads,
lead-time statistics) asks ``is_postgresql()`` for its plan and takes the
fragments below for everything the two databases spell differently.

**Invariants.**

- Table and column names come from model metadata (``Model._meta.db_table``,
  ``field.column``), never literals, so a renamed table cannot leave a query
  behind. Values are always parameters (``%s``), never formatted into the text.
- Dates a person means are site-local (``inventory_site.dates``): Django stores
  aware datetimes in UTC, and ``local_date_sql`` / ``lead_time_days_sql`` /
  ``days_since_sql`` turn them into the site's calendar date or whole calendar
  days inside the SQL, exactly as ``inventory_site.dates`` does in Python, so a
  clock change never makes a 3-day delivery 3.04 days. A datetime sent to
  hand-written SQL goes through ``datetime_param`` (SQLite stores UTC text).
- Decimals stay exact: PostgreSQL computes in ``numeric``; SQLite keeps decimals
  as 8-byte floats, and the queries that must be exact turn them back into
  integers of the field's smallest unit (``ROUND(x * 10^k)``).

**Transactions.** Nothing here opens or commits one: every helper runs in the
caller's transaction (the ledger's batch, an import run, a classification run),
so a failure rolls back with the rest of the caller's work. The temporary tables
of the PostgreSQL paths live in ``pg_temp`` and are dropped before the helper
returns; ``advisory_xact_lock`` holds until the caller's transaction ends.

**The set-based writers** (``insert_rows``, ``update_rows``, ``merge_rows``,
``update_from_values``) serve the imports and the ledger's bulk posting alike.
On PostgreSQL the rows are COPied into a temporary table and written with one
``INSERT … SELECT`` / ``UPDATE … FROM``; on SQLite one ``executemany`` or one
``UPDATE … FROM (VALUES …)`` per batch. Model instances are never built: at
100,000 rows Django's ``bulk_create`` / ``bulk_update`` spend far longer
preparing them than the database spends writing. (No model written this way
overrides ``save()`` or listens to save signals.)

**Reading many rows** (``send_queryset``): on PostgreSQL a ``values_list``
queryset's own SQL on a plain cursor, without Django's per-row iteration;
``send_query`` also compiles a hot query once per process and reruns it with
new values; inside ``pipeline`` the server runs a query sent with ``send`` /
``send_query`` while Python works through the rows read before it, and the
writes of a ``sent_transaction`` block without Python waiting for them (after
an error, ``pipeline_recover`` rolls back what failed and
``SentTransaction.committed()`` says whether the writes made it).

**Lookups by many keys** (``filter_in``, ``in_list``): on PostgreSQL one query
with a single array parameter, elsewhere one query per chunk of ``CHUNK`` keys.
"""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils import timezone

CHUNK = 2000  # keys per IN (…) lookup: one query per batch, never one per row

POSTGRESQL = "postgresql"
SQLITE = "sqlite"


def dialect() -> str:
    """The database vendor of the default connection: ``"postgresql"`` or
    ``"sqlite"`` (Django's ``connection.vendor``)."""
    return connection.vendor


def is_postgresql() -> bool:
    return dialect() == POSTGRESQL


# --- dates and numbers inside SQL ---------------------------------------------


def local_date_sql(column: str) -> tuple[str, list]:
    """SQL for the local (``TIME_ZONE``) calendar date of a datetime column."""
    if is_postgresql():
        return f"(({column}) AT TIME ZONE %s)::date", [settings.TIME_ZONE]
    # Registered by Django's SQLite backend for TruncDate.
    return f"django_datetime_cast_date({column}, %s, 'UTC')", [settings.TIME_ZONE]


def lead_time_days_sql(start: str, end: str) -> tuple[str, list]:
    """SQL for the whole site-calendar days from ``start`` to ``end`` (two
    datetime columns): the local date of ``end`` minus the local date of
    ``start``, as ``inventory_site.dates.lead_time_days`` defines it — never
    elapsed hours, so a clock change does not make a 3-day delivery 3.04 days."""
    start_day, start_params = local_date_sql(start)
    end_day, end_params = local_date_sql(end)
    if is_postgresql():
        return f"({end_day} - {start_day})", [*end_params, *start_params]
    return (
        f"CAST(julianday({end_day}) - julianday({start_day}) AS INTEGER)",
        [*end_params, *start_params],
    )


def days_since_sql(column: str, start: date) -> tuple[str, list]:
    """SQL for the number of site-calendar days from the date ``start`` to the
    local date of a datetime column (0 on ``start`` itself)."""
    day, params = local_date_sql(column)
    if is_postgresql():
        return f"({day} - %s::date)", [*params, start]
    return (
        f"CAST(julianday({day}) - julianday(%s) AS INTEGER)",
        [*params, start.isoformat()],
    )


def values_agg_sql(expression: str, *, where: str = "") -> str:
    """SQL for an aggregate listing the group's values of ``expression`` (where
    ``where`` holds) in no order: on PostgreSQL an array (the driver returns a
    list, parsed in C), elsewhere text joined with commas ("3,5,4"); NULL when
    there is none. Two of these aggregates of one group list its rows in the
    same order. Read them with ``listed_values``."""
    if is_postgresql():
        only = f" FILTER (WHERE {where})" if where else ""
        return f"ARRAY_AGG({expression}){only}"
    if where:
        expression = f"CASE WHEN {where} THEN {expression} END"
    return f"GROUP_CONCAT({expression}, ',')"


def listed_values(listed, kind=int) -> list:
    """The values of a ``values_agg_sql`` aggregate as a list of ``kind``."""
    if isinstance(listed, list):
        return listed
    return list(map(kind, str(listed).split(",")))


def datetime_param(value: datetime):
    """A datetime as a parameter of hand-written SQL, in the form the column
    stores it. PostgreSQL compares aware timestamps as they are; SQLite stores
    naive UTC text ("2026-09-01 22:00:00"), and an aware local datetime sent as
    its own text ("2026-09-02 00:00:00+02:00") would compare as a string, two
    hours off. (The ORM does this for its own queries.)"""
    return connection.ops.adapt_datetimefield_value(value)


def bigint_type() -> str:
    """The type to ``CAST(… AS …)`` a 64-bit integer to (SQLite's INTEGER is
    already 64 bits)."""
    return "BIGINT" if is_postgresql() else "INTEGER"


# --- locks --------------------------------------------------------------------


def advisory_xact_lock(key: int) -> None:
    """Hold the application lock ``key`` until the caller's transaction ends.

    PostgreSQL: ``pg_advisory_xact_lock`` (a second caller waits for the first
    to commit). SQLite needs none: it lets one writer at a time in, so a second
    writer waits for (or is refused by) the first's write transaction."""
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


# --- reading many rows ---------------------------------------------------------


_COMPILED: dict = {}
_STAND_INS = {  # values no data holds, one per argument
    int: lambda i: -(10**15) - i * 10**9,  # far apart: a stand-in ± 1 is none
    date: lambda i: date(1001 + i, 1, 1),
    datetime: lambda i: datetime(1001 + i, 1, 1, tzinfo=UTC),
}


def _derived_from_stand_in(value) -> bool:
    """A parameter the ORM or ``build`` made from a stand-in (a date moved by
    some days, an id plus one): its SQL would keep it, so it is never kept."""
    if type(value) is int:
        return value <= -(10**14)
    if isinstance(value, date):
        return value.year < 1100
    return False


def _compiled_sql(key: str, build, values: dict) -> tuple[str, list] | None:
    """PostgreSQL: the SQL and parameters of ``build(**values)``, compiled once
    per process for ``key`` (see ``send_query``); None when it cannot be."""
    compiled = _COMPILED.get(key)
    if compiled is None:
        stand_ins = {
            name: _STAND_INS[type(value)](i)
            for i, (name, value) in enumerate(values.items())
        }
        names = {(type(v), v): name for name, v in stand_ins.items()}
        sql, params = build(**stand_ins).query.sql_with_params()
        slots, derived = [], False
        for position, param in enumerate(params):
            name = names.get((type(param), param))
            if name is not None:
                slots.append((position, name))
            elif _derived_from_stand_in(param):
                derived = True
        complete = {name for _, name in slots} == set(stand_ins) and not derived
        compiled = _COMPILED[key] = (sql, list(params), slots) if complete else False
    if compiled is False:
        return None
    sql, params, slots = compiled
    params = list(params)
    for position, name in slots:
        params[position] = values[name]
    return sql, params


class Sent:
    """A query on its way: ``rows()`` reads its result (``send`` / ``send_query``).

    Inside ``pipeline()`` on PostgreSQL the query is already on the server, which
    runs it while Python works through the results of the queries sent before;
    elsewhere it ran when sent, or (a SQLite queryset) runs when read."""

    __slots__ = ("cursor", "queryset")

    def __init__(self, cursor=None, queryset=None):
        self.cursor, self.queryset = cursor, queryset

    def rows(self) -> list[tuple]:
        if self.queryset is not None:
            return list(self.queryset)
        try:
            return self.cursor.fetchall()
        finally:
            self.cursor.close()

    def close(self) -> None:
        """Drop a result that will not be read (on SQLite an unread cursor
        holds its statement open, and with it a lock on its tables)."""
        if self.cursor is not None:
            self.cursor.close()


def send(sql: str, params) -> Sent:
    """Execute hand-written SQL; read its rows later with ``Sent.rows()``."""
    cursor = connection.cursor()
    cursor.execute(sql, params)
    return Sent(cursor)


def send_queryset(queryset) -> Sent:
    """A ``values_list`` queryset, sent now and read later. On PostgreSQL its SQL
    runs on a plain cursor: the driver already returns dates, aware datetimes and
    ``Decimal``s, and Django's per-row iteration costs more than the query on the
    10,000 rows of a planning chunk's planned demand (15 ms against 7). Only for
    columns Django would not convert on PostgreSQL (no JSON, no casts to a Python
    type of its own); SQLite keeps Django's converters (its dates and decimals
    arrive as text and floats)."""
    if not is_postgresql():
        return Sent(queryset=queryset)
    return send(*queryset.query.sql_with_params())


def send_query(key: str, build, **values) -> Sent:
    """The ``values_list`` queryset ``build(**values)``, sent now and read later
    (``Sent.rows()``), its SQL compiled once per process for ``key``.

    A planning chunk's queries differ only in their values (the id range, today),
    yet building and compiling one through the ORM costs about a millisecond, as
    much as the smaller queries take to run. So on PostgreSQL the queryset is
    built once with stand-in values (ints, dates, aware datetimes no data can
    hold), its SQL kept with the positions of the stand-ins among its
    parameters, and later calls put the real values there. ``build`` must give
    the same SQL for every value (no ``None``, no lists) and use the values as
    given: a query whose parameters miss a stand-in, or hold one moved by
    arithmetic, is built on every call instead (as every query on SQLite)."""
    if not is_postgresql():
        return Sent(queryset=build(**values))
    compiled = _compiled_sql(key, build, values)
    if compiled is None:
        return send_queryset(build(**values))
    return send(*compiled)


@contextmanager
def pipeline() -> Iterator[None]:
    """Queries sent inside the block (``send``, ``send_query``) go to PostgreSQL
    without waiting for the results of the ones before (psycopg's pipeline
    mode): the server runs the next query while Python reads the last result,
    so a chunk's reads cost about the longer of the two, not their sum. Read
    results in the order they were sent. Reads only: the block ends before any
    write. Elsewhere (SQLite) nothing changes."""
    if not is_postgresql():
        yield
        return
    connection.ensure_connection()
    with connection.connection.pipeline():
        yield


_SENT_SAVEPOINT = "jit_sent_writes"


class SentTransaction:
    """The writes of a ``sent_transaction`` block: ``committed()`` says, once the
    pipeline has ended (normally or by an error), whether they made it. Made by
    the caller and handed to the block, so that it holds them even when an
    error surfaces inside the block (``broken``)."""

    __slots__ = ("begin", "end", "broken")

    def __init__(self):
        self.begin = self.end = None  # cursors; both None: written at once
        self.broken = False  # an error was raised inside the block

    def committed(self) -> bool:
        if self.broken:
            return False
        return self.end is None or _succeeded(self.end)

    def savepoint_open(self) -> bool:
        """Inside an atomic block, the savepoint was taken but not released."""
        return (
            self.begin is not None and _succeeded(self.begin) and not self.committed()
        )


def _succeeded(cursor) -> bool:
    from psycopg.pq import ExecStatus

    result = cursor.cursor.pgresult
    return result is not None and result.status == ExecStatus.COMMAND_OK


def _in_pipeline() -> bool:
    raw = connection.connection
    return raw is not None and getattr(raw, "_pipeline", None) is not None


@contextmanager
def sent_transaction(sent: SentTransaction) -> Iterator[SentTransaction]:
    """The writes in the block as one transaction (a savepoint inside an atomic
    block). Inside ``pipeline()`` on PostgreSQL they are sent and not waited
    for: the server runs them while Python goes on, and a failure surfaces at a
    later statement of the pipeline or at its end; then ``pipeline_recover`` and
    ``SentTransaction.committed()`` tell what to do. A failure can also surface
    inside the block, when psycopg reads the results that have come (a slow
    server, a nested sync): ``sent`` is then marked broken, and the caller
    still holds it for ``pipeline_recover``. No statement in the block may need
    its result (a row count, a COPY). Elsewhere, and outside a pipeline, an
    ordinary ``transaction.atomic()`` that is over when the block ends."""
    from django.db import transaction

    try:
        if not (is_postgresql() and _in_pipeline()):
            with transaction.atomic():
                yield sent
            return
        if connection.in_atomic_block:
            opening = f"SAVEPOINT {_SENT_SAVEPOINT}"
            closing = f"RELEASE SAVEPOINT {_SENT_SAVEPOINT}"
        else:
            opening, closing = "BEGIN", "COMMIT"
        sent.begin = connection.cursor()
        sent.begin.execute(opening)
        yield sent
        sent.end = connection.cursor()
        sent.end.execute(closing)
    except BaseException:
        sent.broken = True
        raise


def commit_unwaited() -> None:
    """In the current transaction on PostgreSQL: COMMIT does not wait for the
    WAL to reach the disk (``synchronous_commit`` off, this transaction only).
    For writes that are recomputed anyway (suggestion generation): a server
    crash may lose the last fraction of a second of them, never part of one
    transaction, and the next run writes them again. Saves the disk flush of
    every commit (9 ms a chunk here), which in a pipeline holds up the reads
    queued behind it. Elsewhere nothing."""
    # in a transaction: Django's, or the BEGIN of a sent_transaction
    if is_postgresql() and (connection.in_atomic_block or _in_pipeline()):
        connection.cursor().execute("SET LOCAL synchronous_commit TO OFF")


def pipeline_recover(sent: SentTransaction | None = None) -> None:
    """After an error left a ``pipeline()`` block: roll back what failed, so the
    connection can go on. Outside an atomic block the failed transaction;
    inside one, the writes of ``sent`` if the error came while they ran,
    otherwise the enclosing atomic block is marked for rollback (as Django
    does after any database error inside one)."""
    if not is_postgresql() or connection.connection is None:
        return
    from psycopg.pq import TransactionStatus

    raw = connection.connection
    if raw.pgconn.transaction_status != TransactionStatus.INERROR:
        return
    if not connection.in_atomic_block:
        raw.rollback()
    elif sent is not None and sent.savepoint_open():
        raw.execute(f"ROLLBACK TO SAVEPOINT {_SENT_SAVEPOINT}")
        raw.execute(f"RELEASE SAVEPOINT {_SENT_SAVEPOINT}")
    else:
        connection.needs_rollback = True


# --- set-based lookups and writes ---------------------------------------------


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
            if is_postgresql():
                # One array per column: a short statement PostgreSQL parses and
                # plans at once, however many rows the batch holds.
                arrays = ", ".join(f"%s::{kind}[]" for _, kind in columns)
                values = f"unnest({arrays}) AS v({', '.join(names)})"
                params = list(set_params or []) + [
                    _pg_array([row[i] for row in batch]) for i in range(len(columns))
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


def _pg_array(values: list):
    """An array parameter as one array literal (``'{1,2.5,NULL}'``,
    ``'{"a \\"b\\"",NULL}'``, which the ``::type[]`` cast parses), not a list
    psycopg adapts element by element (a tenth of a second per 100,000 numbers;
    15 ms for a chunk's 340 new suggestions): numbers as they print, text,
    dates, datetimes and booleans quoted; anything else as the list."""
    kinds = {type(v) for v in values}
    if kinds <= _NUMBERS:
        return "{" + ",".join("NULL" if v is None else str(v) for v in values) + "}"
    if kinds <= _QUOTED:
        return "{" + ",".join(_array_element(v) for v in values) + "}"
    return values


def _array_element(value) -> str:
    if value is None:
        return "NULL"
    if value is True or value is False:
        return "t" if value else "f"
    text = value if type(value) is str else value.isoformat()
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_NUMBERS = frozenset({int, Decimal, type(None)})
_QUOTED = frozenset({str, date, datetime, bool, type(None)})


def filter_in(queryset, field_name: str, values: Iterable, *, sql_type: str = "text"):
    """Querysets that together cover ``field_name IN values``: on PostgreSQL one
    query with a single array parameter (``IN (SELECT unnest(%s))``), elsewhere
    one query per chunk of values. Never one query per value."""
    values = sorted({v for v in values if v not in (None, "")})
    if not values:
        return
    if is_postgresql():
        subquery = RawSQL(f"SELECT unnest(%s::{sql_type}[])", [values])
        yield queryset.filter(**{f"{field_name}__in": subquery})
        return
    for start in range(0, len(values), CHUNK):
        yield queryset.filter(**{f"{field_name}__in": values[start : start + CHUNK]})


def _fields(model, names: Sequence[str]) -> list:
    return [model._meta.get_field(name) for name in names]


def _stage(cursor, fields: list, rows: Iterable[Sequence], *, analyze=True) -> str:
    """PostgreSQL: COPY rows into a temporary table shaped like ``fields``
    (the first being the id when updating) and return its name. ``analyze``:
    gather its statistics, for the joins of an update (an insert only scans it)."""
    quote = connection.ops.quote_name
    name = "pg_temp.import_stage"  # pg_temp: never a real table of that name
    columns = ", ".join(f"{quote(f.column)} {f.db_type(connection)}" for f in fields)
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    cursor.execute(f"CREATE TABLE {name} ({columns})")
    with cursor.cursor.copy(f"COPY {name} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    if analyze:
        cursor.execute(f"ANALYZE {name}")
    return name


def _defaults(model, names: Sequence[str]) -> list[tuple]:
    """``(field, database value)`` for each concrete field outside ``names``
    and the primary key: the model's default (``auto_now`` fields: now)."""
    now = timezone.now()
    others = []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.attname in names:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            default = now
        else:
            default = f.get_default() if f.has_default() else None
        others.append((f, f.get_db_prep_save(default, connection)))
    return others


def _insert_from_stage_sql(model, given: list, others: list[tuple], stage: str) -> str:
    """``INSERT … SELECT`` of the staged ``given`` columns plus the defaults
    (as ``%s`` parameters, in ``others`` order)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in [*given, *(f for f, _ in others)])
    selected = ", ".join(
        [f"v.{quote(f.column)}" for f in given]
        + [f"%s::{f.db_type(connection)}" for f, _ in others]
    )
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
        f"SELECT {selected} FROM {stage} v"
    )


UNNEST_ROWS = 2000  # up to this many rows, PostgreSQL inserts from arrays


def _insert_unnest_sql(model, given: list, others: list[tuple]) -> str:
    """``INSERT … SELECT`` from one array per given column (``unnest``), the
    defaults as ``%s`` constants first."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in [*given, *(f for f, _ in others)])
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in given)
    names = ", ".join(f"c{i}" for i in range(len(given)))
    selected = ", ".join(
        [f"v.c{i}" for i in range(len(given))]
        + [f"%s::{f.db_type(connection)}" for f, _ in others]
    )
    # the constants' placeholders come first in the text: the SELECT list
    # precedes FROM unnest(…)
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
        f"SELECT {selected} FROM unnest({arrays}) AS v({names})"
    )


def insert_rows(model, names: Sequence[str], rows: Sequence[Sequence]) -> None:
    """Insert rows of values for the fields ``names`` (attnames), the model's
    defaults filling the other columns (``auto_now`` ones: now).

    Model instances are never built: at 100,000 rows Django's ``bulk_create``
    spends far longer preparing them than the database spends inserting. On
    PostgreSQL the given columns are COPied into a temporary table and inserted
    from there with the defaults as constants (one statement); elsewhere one
    ``executemany``. No primary keys come back. (No model here overrides
    ``save()`` or listens to save signals.) Up to ``UNNEST_ROWS`` rows, and
    inside ``pipeline()`` (no COPY there), PostgreSQL inserts from one array per
    column instead, one statement per ``UNNEST_ROWS`` rows."""
    if not rows:
        return
    given = _fields(model, names)
    others = _defaults(model, names)
    constants = [value for _, value in others]
    with connection.cursor() as cursor:
        if is_postgresql() and (len(rows) <= UNNEST_ROWS or _in_pipeline()):
            # A few hundred rows (a planning chunk's new suggestions): one
            # statement, an array per column, no stage table to create (and
            # no COPY, which a pipeline cannot hold).
            sql = _insert_unnest_sql(model, given, others)
            for start in range(0, len(rows), UNNEST_ROWS):
                batch = rows[start : start + UNNEST_ROWS]
                arrays = (
                    _pg_array([row[i] for row in batch]) for i in range(len(given))
                )
                cursor.execute(sql, [*constants, *arrays])
            return
        if is_postgresql():
            stage = _stage(cursor, given, rows, analyze=False)
            cursor.execute(
                _insert_from_stage_sql(model, given, others, stage), constants
            )
            cursor.execute(f"DROP TABLE {stage}")
            return
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        columns = ", ".join(quote(f.column) for f in [*given, *(f for f, _ in others)])
        placeholders = ", ".join(["%s"] * (len(given) + len(others)))
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",
            [
                [
                    *(
                        f.get_db_prep_save(v, connection)
                        for f, v in zip(given, row, strict=True)
                    ),
                    *constants,
                ]
                for row in rows
            ],
        )


def merge_rows(
    model, key: str, names: Sequence[str], rows: Sequence[Sequence], *, touch: str = ""
) -> tuple[set, set]:
    """Create or update by a unique field ``key``: rows of ``(key, value, …)``
    for the fields ``names``. A row whose key exists updates that row if any
    value differs (``touch``: an ``auto_now`` field set to now as well); a new
    key is inserted with the model's defaults for the other fields. Returns the
    keys created and the keys updated; the others were unchanged.

    PostgreSQL: the rows are COPied once into a temporary table, then one
    ``UPDATE … FROM`` of the rows that differ and one ``INSERT … SELECT`` of the
    new keys, both ``RETURNING`` the key: no rows come back to Python to be
    compared. Elsewhere the existing values are read and compared here, then
    ``insert_rows`` and ``update_rows``."""
    if not rows:
        return set(), set()
    if not is_postgresql():
        return _merge_rows_compared(model, key, names, rows, touch=touch)
    key_field, fields = model._meta.get_field(key), _fields(model, names)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    key_column = quote(key_field.column)
    columns = [quote(f.column) for f in fields]
    set_sql = ", ".join(f"{c} = v.{c}" for c in columns)
    params = []
    if touch:
        set_sql += f", {quote(model._meta.get_field(touch).column)} = %s"
        params.append(connection.ops.adapt_datetimefield_value(timezone.now()))
    others = _defaults(model, [key, *names])
    with connection.cursor() as cursor:
        stage = _stage(cursor, [key_field, *fields], rows)
        updated: set = set()
        if columns:
            differs = (
                f"({', '.join(f't.{c}' for c in columns)}) IS DISTINCT FROM "
                f"({', '.join(f'v.{c}' for c in columns)})"
            )
            cursor.execute(
                f"UPDATE {table} AS t SET {set_sql} FROM {stage} v "
                f"WHERE t.{key_column} = v.{key_column} AND {differs} "
                f"RETURNING t.{key_column}",
                params,
            )
            updated = {found for (found,) in cursor.fetchall()}
        cursor.execute(
            _insert_from_stage_sql(model, [key_field, *fields], others, stage)
            + f" WHERE NOT EXISTS (SELECT 1 FROM {table} t "
            f"WHERE t.{key_column} = v.{key_column}) RETURNING {key_column}",
            [value for _, value in others],
        )
        created = {found for (found,) in cursor.fetchall()}
        cursor.execute(f"DROP TABLE {stage}")
    return created, updated


def _merge_rows_compared(model, key, names, rows, *, touch) -> tuple[set, set]:
    existing: dict = {}
    for queryset in filter_in(model.objects.all(), key, (row[0] for row in rows)):
        for pk, found, *values in queryset.values_list("pk", key, *names):
            existing[found] = (pk, values)
    new_rows, changes, updated = [], [], set()
    for row in rows:
        current = existing.get(row[0])
        if current is None:
            new_rows.append(row)
        elif current[1] != list(row[1:]):
            changes.append((current[0], *row[1:]))
            updated.add(row[0])
    insert_rows(model, [key, *names], new_rows)
    update_rows(model, names, changes, touch=touch)
    return {row[0] for row in new_rows}, updated


def update_rows(
    model, names: Sequence[str], rows: Sequence[Sequence], *, touch: str = ""
) -> None:
    """Set the fields ``names`` for rows of ``(pk, value, …)``, set-based:
    PostgreSQL COPies them into a temporary table and runs one ``UPDATE … FROM``;
    elsewhere one ``UPDATE … FROM (VALUES …)`` per batch. ``touch`` names an
    ``auto_now`` field to set to now as well."""
    if not rows:
        return
    fields = _fields(model, names)
    quote = connection.ops.quote_name
    set_sql = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
    now = []
    if touch:
        column = quote(model._meta.get_field(touch).column)
        set_sql += f", {column} = %s"
        now.append(connection.ops.adapt_datetimefield_value(timezone.now()))
    if is_postgresql():
        table = quote(model._meta.db_table)
        with connection.cursor() as cursor:
            stage = _stage(cursor, [model._meta.pk, *fields], rows)
            pk = quote(model._meta.pk.column)
            cursor.execute(
                f"UPDATE {table} SET {set_sql} FROM {stage} v "
                f"WHERE {table}.{pk} = v.{pk}",
                now,
            )
            cursor.execute(f"DROP TABLE {stage}")
        return
    update_from_values(
        table=model._meta.db_table,
        columns=[("id", "bigint")] + [(f.column, "") for f in fields],
        rows=[
            (
                row[0],
                *(
                    f.get_db_prep_save(v, connection)
                    for f, v in zip(fields, row[1:], strict=True)
                ),
            )
            for row in rows
        ],
        set_sql=set_sql,
        set_params=now,
    )
