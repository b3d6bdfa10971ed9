"""ABC/XYZ classification and the policy matrix (DESIGN §3.1–3.3), set-based.

A fixed handful of statements classify every active item, whatever their number:
the ledger figures per item (a small temporary table), the total annual value, one
window query that ranks the items, derives classes and policy and keeps only the
rows whose class, policy, stored annual value or share changed (a second temporary
table), then a history row per item that moved between classes or policies and
one ``UPDATE … FROM`` of the changed rows.

**ABC** (§3.1, the seed algorithm): annual value = ``unit_cost`` × annual demand,
where annual demand is the quantity issued over the 365 days before today (site
time) for an item that has ever been consumed, else its planned ``annual_demand``.
Items are ranked by value descending, ties by sku in code-point order, and the
window ``SUM(value) OVER (ORDER BY value DESC, sku ROWS UNBOUNDED PRECEDING)`` gives
the running total: ``cumulative × 100 ≤ A × total`` → A, ``≤ B × total`` → B, else
C (A, B = ``ABC_*_THRESHOLD_PERCENT``). One addition to the seed: an item whose
own value alone is more than the A share (``value × 100 > A × total``) is A — so
the top item is A whenever the total is positive, and one outlier cost makes
that item A instead of pushing every item into C. A zero total makes every item
C (shares NULL). The comparisons are written ``cumulative ≤ limit`` and
``value > limit`` with the limit ``A × total / 100`` computed exactly once per
run (see ``_limits``).

**Exact on both databases.** PostgreSQL computes in ``numeric``: the product, the
running sum and the limits are exact decimals. SQLite keeps decimals as 8-byte
floats, so the queries first turn each stored field back into an integer count of
its smallest unit (cost in 1/10,000, quantities in 1/1,000: ``ROUND(x × 10^k)``
recovers the decimal SQLite stored, exactly) and then work in 64-bit integers: the
value in units of 10^-7, its running sum, and ``cumulative ≤ ⌊A × total / 100⌋``,
which is ``cumulative × 100 ≤ A × total`` for integers. If a sum left 64 bits
SQLite raises "integer overflow", and a product that did is refused
(``ClassificationError``): exact, or a loud failure — never a rounded float.

**XYZ** (§3.2): weeks are ISO weeks (Monday to Sunday) of the site's calendar,
the last full one ending where the current week begins; a movement belongs to
the week of its local date (``inventory_site.dates``), so a clock change or a
late-evening issue never moves it into a neighbouring week. An item has
``n`` = the full weeks since the local date of its first movement of any kind,
at most 52 (weeks before it existed are not zero-demand weeks); fewer than 8 →
unknown (blank). Its
weekly issued quantities x₁…xₙ (weeks without issues count as 0) give
CV = σ / μ with the *population* standard deviation — the n weeks are the item's
whole observed history in the window, not a sample of it, as with the daily σd of
the planning code. X if CV ≤ 0.5, Y if ≤ 1.0, else Z; compared without roots or
division as ``n·Σx² ≤ (1 + t²)·(Σx)²``. No consumption at all in those weeks
(μ = 0) → unknown: there is no demand to call stable or volatile, and the policy
matrix then treats the item like a volatile one. (Exact in ``numeric`` on
PostgreSQL; in double precision on SQLite, which is exact for integral
milli-units up to 2^53.)

**Policy** (§3.3): ``policy_override`` if set; else C → min_max; A/B with X/Y →
jit when the item is in the JIT scope, else reorder_point; A/B with Z/unknown →
reorder_point. Scope "all" takes every item; scope "pilot" the items flagged
``jit_pilot`` and those whose primary source (the active source of an active
supplier with the lowest priority, then id — as suggestion planning picks it) is a
pilot supplier.

**Writes.** The same on both databases: the window query fills a temporary table
with the changed rows, in the order the items are stored; one ``INSERT … SELECT``
logs the moves and one ``UPDATE … FROM`` writes the rows, so a steady run (nothing
changed) writes nothing to items and costs no more than the ranking. All in the
caller's transaction. History rows record moves of items that already had a
class; an item's first classification is counted on the run
(``counts["first_classified"]``).

**Speed on PostgreSQL** (1,000,000 items, ``bench/abc.py``): the classification
columns are not indexed and the items table keeps free space on each page
(fillfactor 50, migration items 0005), so a rewritten row stays on its page and
no index is touched (HOT updates); the update walks the table in storage order.
Without those, a first run (every row changes) cost about five times as much:
four index entries per row and a random walk over a table larger than the buffer
cache.
"""

from __future__ import annotations

import decimal
import logging
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Count
from django.utils import timezone

from inventory_site.dates import site_midnight, week_start
from items.models import (
    AbcClass,
    ClassificationRun,
    ClassificationRunStatus,
    Item,
    MovementKind,
    Policy,
    XyzClass,
)

from .models import JitScope, PolicyParameters
from .planning import ADI_CUTOFF, CV2_CUTOFF

logger = logging.getLogger(__name__)

DEMAND_DAYS = 365


class ClassificationError(ValueError):
    """Invalid parameters, or data the engine cannot classify exactly."""


@dataclass(frozen=True)
class ClassificationParams:
    a_threshold: int
    b_threshold: int
    x_max_cv: Decimal
    y_max_cv: Decimal
    min_weeks: int
    max_weeks: int
    jit_scope: str
    demand_window_days: int = 90

    def as_json(self) -> dict:
        values = asdict(self)
        values["x_max_cv"] = str(self.x_max_cv)
        values["y_max_cv"] = str(self.y_max_cv)
        return values


def check_classification_params(
    *,
    a_threshold: int | None = None,
    b_threshold: int | None = None,
    jit_scope: str | None = None,
) -> ClassificationParams:
    """Parameters from the arguments, else settings and the policy parameters;
    raise ``ClassificationError`` when they do not make sense."""
    policy = PolicyParameters.current()
    params = ClassificationParams(
        a_threshold=(
            settings.ABC_A_THRESHOLD_PERCENT if a_threshold is None else a_threshold
        ),
        b_threshold=(
            settings.ABC_B_THRESHOLD_PERCENT if b_threshold is None else b_threshold
        ),
        x_max_cv=Decimal(str(settings.XYZ_X_MAX_CV)),
        y_max_cv=Decimal(str(settings.XYZ_Y_MAX_CV)),
        min_weeks=settings.XYZ_MIN_WEEKS,
        max_weeks=settings.XYZ_MAX_WEEKS,
        jit_scope=jit_scope or policy.jit_scope,
        demand_window_days=policy.demand_window_days,
    )
    a, b = params.a_threshold, params.b_threshold
    if not (isinstance(a, int) and isinstance(b, int) and 0 <= a <= b <= 100):
        raise ClassificationError(
            f"ABC thresholds must be whole percentages with 0 <= A <= B <= 100 "
            f"(got A={a}, B={b})."
        )
    if not Decimal(0) <= params.x_max_cv <= params.y_max_cv:
        raise ClassificationError("XYZ thresholds need 0 <= X <= Y.")
    if not 1 <= params.min_weeks <= params.max_weeks:
        raise ClassificationError("XYZ weeks need 1 <= minimum <= maximum.")
    if params.jit_scope not in JitScope.values:
        raise ClassificationError(
            f"JIT scope must be one of {', '.join(JitScope.values)}, "
            f"not '{params.jit_scope}'."
        )
    return params


# --- the seed, in plain Python ------------------------------------------------


def abc_seed(
    values: Iterable[tuple[str, Decimal]],
    *,
    a_threshold: int = 80,
    b_threshold: int = 95,
) -> dict[str, tuple[str, Decimal | None]]:
    """The seed's ABC function for (sku, annual value) pairs: {sku: (class, share
    in percent)}. The specification the SQL implements, row by row: ranked by value
    descending, ties by sku; exact comparison; an item whose own value is more
    than the A share is A; a zero total makes every item C.
    Used by the tests as the reference and by the benchmark."""
    rows = sorted(values, key=lambda row: (-row[1], row[0]))
    result: dict[str, tuple[str, Decimal | None]] = {}
    # Enough digits that no sum of these values is ever rounded.
    with decimal.localcontext(prec=100):
        total = sum((value for _, value in rows), Decimal(0))
        cumulative = Decimal(0)
        for sku, value in rows:
            cumulative += value
            if total == 0:
                result[sku] = (AbcClass.C, None)
                continue
            if (
                cumulative * 100 <= a_threshold * total
                or value * 100 > a_threshold * total
            ):
                abc = AbcClass.A
            elif cumulative * 100 <= b_threshold * total:
                abc = AbcClass.B
            else:
                abc = AbcClass.C
            result[sku] = (abc, cumulative * 100 / total)
    return result


# --- the queries ------------------------------------------------------------------

# What differs between the two databases; everything else is shared SQL.
POSTGRESQL = {
    "quantity": "{column}",
    "planned": "{column}",
    "cost": "{column}",
    # Whole site-calendar days from the local date of a datetime to the
    # start of the current ISO week (integers, so a week boundary is exact).
    "days_before_week": (
        "(CAST(%(week_end_day)s AS date) - ({column} AT TIME ZONE %(tz)s)::date)"
    ),
    "days_before_today": (
        "(CAST(%(today_day)s AS date) - ({column} AT TIME ZONE %(tz)s)::date)"
    ),
    "least": "LEAST",
    "greatest": "GREATEST",
    "squares": "SUM(w.qty * w.qty)",
    "daily_squares": "SUM(dd.qty * dd.qty)",
    "collate": 'COLLATE "C"',
    "share": "ROUND(SUM(value) OVER w * %(share_factor)s, 3)",
    "stored_value": "ROUND(value, 4)",
    "differs": "IS DISTINCT FROM",
    "inexact": "NULL",
    "temp_schema": "pg_temp",
    # Where the row is stored: the changed rows are updated in this order.
    "physical": "i.ctid",
    # The history table is an unlogged table, not a temporary one: a query that
    # reads a temporary table cannot run in parallel, and the ranking query (scan,
    # join and sort of every item) then keeps one core of two idle. It is created
    # and dropped inside the run's transaction, so no other session ever sees it
    # (a second run waits at CREATE until the first commits).
    "history_table": "UNLOGGED TABLE",
}
SQLITE = {
    # Stored floats back to exact integers of the field's smallest unit.
    "quantity": "CAST(ROUND({column} * 1000) AS INTEGER)",
    "planned": "CAST(ROUND({column} * 1000) AS INTEGER)",
    "cost": "CAST(ROUND({column} * 10000) AS INTEGER)",
    # Whole site-calendar days (the local date as Django's TruncDate makes it;
    # julianday of two dates differs by a whole number).
    "days_before_week": (
        "CAST(julianday(%(week_end_day)s)"
        " - julianday(django_datetime_cast_date({column}, %(tz)s, 'UTC'))"
        " AS INTEGER)"
    ),
    "days_before_today": (
        "CAST(julianday(%(today_day)s)"
        " - julianday(django_datetime_cast_date({column}, %(tz)s, 'UTC'))"
        " AS INTEGER)"
    ),
    "least": "MIN",
    "greatest": "MAX",
    "squares": "TOTAL(1.0 * w.qty * w.qty)",
    "daily_squares": "TOTAL(1.0 * dd.qty * dd.qty)",
    "collate": "",  # BINARY: code-point order, as Python sorts str
    "share": "ROUND(SUM(value) OVER w * %(share_factor)s, 3)",
    "stored_value": "ROUND(value / 10000000.0, 4)",  # value in units of 10^-7
    "differs": "IS NOT",
    # An integer product that left 64 bits turns into a float in SQLite.
    "inexact": "CASE WHEN typeof(value) <> 'integer' THEN sku END",
    "temp_schema": "temp",
    "physical": "i.id",
    "history_table": "TEMP TABLE",
}

HISTORY_TABLE = "classification_history"


def _history_sql(sql: dict[str, str]) -> str:
    """A scratch table (unlogged on PostgreSQL, see ``history_table``) with one
    row per item that has movements before today:
    whether it was ever consumed, the quantity issued over the trailing 365 days
    and its XYZ class."""
    quantity = sql["quantity"].format(column="m.quantity")
    # The first movement's own day counts as a day the item existed: n is the
    # whole weeks from its local date; a movement dated k·7 + 1 … k·7 + 7 days
    # before the week start is in week k (0 = the last full week).
    days_since_first = sql["days_before_week"].format(column="s.first_at")
    weeks_since_first = f"({days_since_first}) / 7"
    days_of_movement = sql["days_before_week"].format(column="m.occurred_at")
    week_of_movement = f"(({days_of_movement}) - 1) / 7"
    days_since_first_issue = sql["days_before_today"].format(column="s.first_issue_at")
    day_of_movement = sql["days_before_today"].format(column="m.occurred_at")
    return f"""
        CREATE {sql["history_table"]} {HISTORY_TABLE} AS
        WITH movement_stats AS (
            -- One pass over the ledger: first movement, ever consumed, and the
            -- quantity issued over the trailing 365 days.
            SELECT m.item_id,
                   MIN(m.occurred_at) AS first_at,
                   MIN(CASE WHEN m.kind = %(issue)s THEN m.occurred_at END)
                       AS first_issue_at,
                   MAX(CASE WHEN m.kind = %(issue)s THEN 1 ELSE 0 END) AS consumed,
                   -SUM(CASE WHEN m.kind = %(issue)s AND m.occurred_at >= %(since)s
                             THEN {quantity} ELSE 0 END) AS issued
              FROM items_stockmovement m
             WHERE m.occurred_at < %(until)s
             GROUP BY m.item_id
        ),
        history AS (
            SELECT s.item_id, s.consumed, s.issued,
                   {sql["least"]}(%(max_weeks)s, {weeks_since_first}) AS weeks,
                   -- the demand window's days: the window, or the days since
                   -- the first consumption (at least 7), as planning counts them
                   {sql["least"]}(%(demand_window)s, {sql["greatest"]}(
                       7, {days_since_first_issue})) AS demand_window
              FROM movement_stats s
        ),
        daily AS (
            -- Issued per item and site-local day over the demand window.
            SELECT m.item_id, {day_of_movement} AS ago, -SUM({quantity}) AS qty
              FROM items_stockmovement m
             WHERE m.kind = %(issue)s
               AND m.occurred_at >= %(demand_since)s AND m.occurred_at < %(until)s
             GROUP BY 1, 2
        ),
        demand AS (
            -- Days with demand, Σq and Σq² of the daily demand (DESIGN §7).
            SELECT dd.item_id, COUNT(*) AS demand_days, SUM(dd.qty) AS total,
                   {sql["daily_squares"]} AS squares
              FROM daily dd
             WHERE dd.qty > 0
             GROUP BY dd.item_id
        ),
        weekly AS (
            -- Issued per item and week, weeks counted back from today.
            SELECT m.item_id, {week_of_movement} AS week, -SUM({quantity}) AS qty
              FROM items_stockmovement m
             WHERE m.kind = %(issue)s
               AND m.occurred_at >= %(weeks_since)s AND m.occurred_at < %(week_end)s
             GROUP BY 1, 2
        ),
        variability AS (
            -- n, Σx and Σx² over the item's full weeks (weeks without issues
            -- add nothing to the sums but count in n).
            SELECT h.item_id, h.weeks, SUM(w.qty) AS total, {sql["squares"]} AS squares
              FROM history h
              JOIN weekly w ON w.item_id = h.item_id AND w.week < h.weeks
             WHERE h.weeks >= %(min_weeks)s
             GROUP BY h.item_id, h.weeks
        )
        SELECT h.item_id, h.consumed, h.issued,
               CASE WHEN v.total IS NULL OR v.total = 0 THEN ''
                    WHEN v.weeks * v.squares <= %(x_factor)s * v.total * v.total
                    THEN 'X'
                    WHEN v.weeks * v.squares <= %(y_factor)s * v.total * v.total
                    THEN 'Y'
                    ELSE 'Z'
               END AS xyz,
               -- Syntetos–Boylan without division, as planning.demand_pattern:
               -- ADI ≥ 1.32 ⇔ n ≥ 1.32·days with demand;
               -- CV² ≥ 0.49 ⇔ days with demand·Σq² ≥ 1.49·(Σq)²
               CASE WHEN dm.total IS NULL OR dm.total <= 0 THEN ''
                    WHEN h.demand_window >= %(adi_cutoff)s * dm.demand_days THEN
                         CASE WHEN dm.demand_days * dm.squares
                                   >= %(cv2_factor)s * dm.total * dm.total
                              THEN 'lumpy' ELSE 'intermittent' END
                    WHEN dm.demand_days * dm.squares
                         >= %(cv2_factor)s * dm.total * dm.total THEN 'erratic'
                    ELSE 'smooth'
               END AS pattern
          FROM history h
          LEFT JOIN variability v ON v.item_id = h.item_id
          LEFT JOIN demand dm ON dm.item_id = h.item_id
    """


def _valued_sql(sql: dict[str, str]) -> str:
    """``valued``: every active item with its stored classes and its annual value."""
    return f"""
        valued AS (
            SELECT i.id, {sql["physical"]} AS tid, i.sku, i.abc_class,
                   i.xyz_class, i.policy, i.policy_override, i.jit_pilot,
                   i.annual_value, i.abc_cumulative_share,
                   {sql["cost"].format(column="i.unit_cost")}
                   * CASE WHEN h.consumed = 1 THEN h.issued
                          ELSE {sql["planned"].format(column="i.annual_demand")}
                     END AS value,
                   COALESCE(h.xyz, '') AS new_xyz,
                   COALESCE(h.pattern, '') AS new_pattern,
                   i.demand_pattern
              FROM items_item i
              LEFT JOIN {HISTORY_TABLE} h ON h.item_id = i.id
             WHERE i.active
        )
    """


def _total_sql(sql: dict[str, str]) -> str:
    """The total annual value of the active items (and, on SQLite, an item whose
    value left 64-bit integers)."""
    if sql is POSTGRESQL:
        # The same exact sum, split so that the pass over every item does not
        # read the temporary table (which keeps a query on one core): Σ cost ×
        # planned, corrected by cost × (issued − planned) for consumed items.
        return f"""
            SELECT (SELECT SUM(unit_cost * annual_demand)
                      FROM items_item WHERE active)
                 + (SELECT COALESCE(SUM(i.unit_cost * (h.issued - i.annual_demand)), 0)
                      FROM {HISTORY_TABLE} h JOIN items_item i ON i.id = h.item_id
                     WHERE i.active AND h.consumed = 1),
                   NULL
        """
    return f"""
        WITH {_valued_sql(sql)}
        SELECT SUM(value), MIN({sql["inexact"]}) FROM valued
    """


def _changed_items_sql(sql: dict[str, str], *, scope_all: bool) -> str:
    """``WITH … changed``: the active items whose classes, policy, value or share
    change, with their old and new values.

    The running sum and everything derived from it are computed in the window's
    own query level, once per row; A and B are ``cumulative ≤ limit`` with the
    exact limits ``A × total / 100`` computed beforehand."""
    # In scope for JIT: evaluated lazily, so the primary source is looked up (one
    # probe of the (item, priority) index) only for the items that could be JIT
    # at all (A/B, X/Y) and are not pilot items themselves.
    if scope_all:
        in_scope = "1 = 1"
    else:
        in_scope = """(jit_pilot OR (
            SELECT s.jit_pilot
              FROM suppliers_supplieritem si
              JOIN suppliers_supplier s ON s.id = si.supplier_id
             WHERE si.item_id = classified.id AND si.active AND s.active
             ORDER BY si.priority, si.id
             LIMIT 1
        ))"""
    d = sql["differs"]
    return f"""
        WITH {_valued_sql(sql)},
        classified AS (
            SELECT valued.*,
                   CASE WHEN SUM(value) OVER w <= %(a_limit)s
                          OR value > %(a_alone)s THEN 'A'
                        WHEN SUM(value) OVER w <= %(b_limit)s THEN 'B'
                        ELSE 'C'
                   END AS new_abc,
                   {sql["share"]} AS new_share,
                   {sql["stored_value"]} AS new_value
              FROM valued
            WINDOW w AS (
                ORDER BY value DESC, sku {sql["collate"]} ROWS UNBOUNDED PRECEDING
            )
        ),
        decided AS (
            SELECT classified.*,
                   CASE WHEN policy_override <> '' THEN policy_override
                        WHEN new_abc = 'C' THEN %(min_max)s
                        WHEN new_xyz NOT IN ('X', 'Y') THEN %(reorder_point)s
                        WHEN new_pattern IN ('intermittent', 'lumpy')
                        THEN %(reorder_point)s
                        WHEN {in_scope} THEN %(jit)s
                        ELSE %(reorder_point)s
                   END AS new_policy
              FROM classified
        ),
        changed AS (
            SELECT * FROM decided
             WHERE abc_class {d} new_abc OR xyz_class {d} new_xyz
                OR policy {d} new_policy OR annual_value {d} new_value
                OR abc_cumulative_share {d} new_share
                OR demand_pattern {d} new_pattern
        )
    """


# What the write needs of a changed row: old values for the history, new ones.
_CHANGED_COLUMNS = """
    id, abc_class, xyz_class, policy, new_abc, new_xyz, new_policy, new_value,
    new_share, new_pattern
"""
_UPDATE_SET = """
    abc_class = c.new_abc, xyz_class = c.new_xyz, policy = c.new_policy,
    annual_value = c.new_value, abc_cumulative_share = c.new_share,
    demand_pattern = c.new_pattern
"""
_CHANGE_COLUMNS = """
    run_id, item_id, changed_at, old_abc_class, new_abc_class,
    old_xyz_class, new_xyz_class, old_policy, new_policy
"""
_CHANGE_VALUES = """
    %(run_id)s, id, %(now)s, abc_class, new_abc, xyz_class, new_xyz,
    policy, new_policy
"""
_MOVED = "(abc_class <> new_abc OR xyz_class <> new_xyz OR policy <> new_policy)"
# History records moves of items that had a class; an item's first
# classification is counted on the run, not logged per item.
_LOGGED = f"abc_class <> '' AND {_MOVED}"


@dataclass
class WriteCounts:
    rows_updated: int  # item rows written (class, policy, value or share)
    changed: int  # items whose class or policy changed, first classifications too
    logged: int  # history rows: moves of items that already had a class


CHANGED_TABLE = "classification_changed"


def _write(
    cursor, params: dict, *, sql: dict[str, str], scope_all: bool
) -> WriteCounts:
    """The changed rows into a temporary table, then their history and the
    update of the items (joined on id).

    PostgreSQL plans the update for the table's real size (it reads the number of
    pages even before any ANALYZE): a steady run, nothing changed, costs next to
    nothing. The rows are
    kept in the order the items are stored (ctid when read): a first run, where
    every row changes, then walks the items table once from start to end (a hash
    join keeps its probe side's order) instead of visiting 1,000,000 rows at
    random through a buffer cache smaller than the table, which rereads and
    rewrites each page many times. A row moved by a concurrent update since is
    still found by its id, just out of order."""
    changed = f"{sql['temp_schema']}.{CHANGED_TABLE}"
    cursor.execute(f"DROP TABLE IF EXISTS {changed}")
    cursor.execute(
        f"CREATE TEMP TABLE {CHANGED_TABLE} AS "
        f"{_changed_items_sql(sql, scope_all=scope_all)} "
        f"SELECT {_CHANGED_COLUMNS} FROM changed ORDER BY tid",
        params,
    )
    cursor.execute(f"SELECT COUNT(*) FROM {changed} WHERE {_MOVED}")
    moved = cursor.fetchone()[0]
    cursor.execute(
        f"""
        INSERT INTO items_itemclasschange ({_CHANGE_COLUMNS})
        SELECT {_CHANGE_VALUES} FROM {changed} WHERE {_LOGGED}
        """,
        {"run_id": params["run_id"], "now": params["now"]},
    )
    logged = cursor.rowcount
    cursor.execute(
        f"UPDATE items_item SET {_UPDATE_SET} FROM {changed} AS c "
        "WHERE items_item.id = c.id"
    )
    updated = cursor.rowcount
    cursor.execute(f"DROP TABLE {changed}")
    return WriteCounts(rows_updated=updated, changed=moved, logged=logged)


def _local_midnight(day: date) -> datetime:
    return site_midnight(day)


def _query_params(
    params: ClassificationParams, *, today: date, run_id: int, now: datetime
) -> dict:
    adapt = connection.ops.adapt_datetimefield_value
    until = _local_midnight(today)
    week_end_day = week_start(today)
    week_end = _local_midnight(week_end_day)
    weeks_since = _local_midnight(week_end_day - timedelta(days=7 * params.max_weeks))
    x_factor = 1 + params.x_max_cv**2
    y_factor = 1 + params.y_max_cv**2
    if connection.vendor != "postgresql":  # SQLite compares these as REAL
        x_factor, y_factor = float(x_factor), float(y_factor)
    return {
        "issue": MovementKind.ISSUE.value,
        "until": adapt(until),
        "since": adapt(_local_midnight(today - timedelta(days=DEMAND_DAYS))),
        "weeks_since": adapt(weeks_since),
        "week_end": adapt(week_end),
        "week_end_day": week_end_day.isoformat(),
        "tz": settings.TIME_ZONE,
        "today_day": today.isoformat(),
        "demand_since": adapt(
            _local_midnight(today - timedelta(days=params.demand_window_days))
        ),
        "demand_window": params.demand_window_days,
        "adi_cutoff": ADI_CUTOFF
        if connection.vendor != "postgresql"
        else Decimal(str(ADI_CUTOFF)),
        "cv2_factor": 1 + CV2_CUTOFF
        if connection.vendor != "postgresql"
        else (1 + Decimal(str(CV2_CUTOFF))),
        "min_weeks": params.min_weeks,
        "max_weeks": params.max_weeks,
        "x_factor": x_factor,
        "y_factor": y_factor,
        "jit": Policy.JIT.value,
        "reorder_point": Policy.REORDER_POINT.value,
        "min_max": Policy.MIN_MAX.value,
        "run_id": run_id,
        "now": adapt(now),
    }


def _limits(total, params: ClassificationParams) -> dict:
    """The exact running-total limits of A and B: ``cumulative ≤ A × total / 100``
    holds exactly when ``cumulative × 100 ≤ A × total``. On PostgreSQL the
    quotient is an exact decimal (division by 100); on SQLite, in integer units,
    ``cumulative ≤ ⌊A × total / 100⌋`` is the same test. A zero total: nothing is
    within any limit (every item C), and shares are NULL.

    The stored share (a figure for people, rounded to 0.001 %) is the running
    total times ``100 / total`` to 20 digits: a multiplication per row instead of
    a division, and the same result as exact rounding but within 10^-15 of a
    rounding boundary.

    ``a_alone`` is the same A limit for ``value > limit`` (an item alone above
    the A share); for integers ``value > ⌊A × total / 100⌋`` is
    ``value × 100 > A × total``. NULL for a zero total: no item is A."""
    if not total:
        return {"a_limit": -1, "b_limit": -1, "a_alone": None, "share_factor": None}
    if isinstance(total, int):  # SQLite, in units of 10^-7
        a_limit = params.a_threshold * total // 100
        return {
            "a_limit": a_limit,
            "b_limit": params.b_threshold * total // 100,
            "a_alone": a_limit,
            "share_factor": 100 / total,
        }
    with decimal.localcontext(prec=100):
        a_limit = params.a_threshold * total / 100
        b_limit = params.b_threshold * total / 100
    with decimal.localcontext(prec=20):
        share_factor = Decimal(100) / total
    return {
        "a_limit": a_limit,
        "b_limit": b_limit,
        "a_alone": a_limit,
        "share_factor": share_factor,
    }


def _classify(
    *, run: ClassificationRun, params: ClassificationParams, today: date
) -> WriteCounts:
    query_params = _query_params(params, today=today, run_id=run.pk, now=run.started_at)
    scope_all = params.jit_scope == JitScope.ALL
    postgresql = connection.vendor == "postgresql"
    sql = POSTGRESQL if postgresql else SQLITE
    with connection.cursor() as cursor:
        if postgresql:
            # One sort of every active item; keep it in memory for this
            # transaction. A plain scan and sort: compiling it (JIT) costs more
            # than it saves.
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(f"DROP TABLE IF EXISTS {HISTORY_TABLE}")
        cursor.execute(_history_sql(sql), query_params)
        if postgresql:
            cursor.execute(f"ANALYZE {HISTORY_TABLE}")  # small; plans hash it
        cursor.execute(_total_sql(sql), query_params)
        total, inexact = cursor.fetchone()
        if inexact is not None:
            raise ClassificationError(
                f"The annual value of {inexact} is too large to rank exactly on "
                "SQLite (more than 64-bit integers of 10^-7); check its unit cost "
                "and demand, or use PostgreSQL."
            )
        query_params.update(_limits(total, params))
        counts = _write(cursor, query_params, sql=sql, scope_all=scope_all)
        cursor.execute(f"DROP TABLE {HISTORY_TABLE}")
    return counts


def classification_counts() -> tuple[int, dict]:
    """(active items, {"abc": {...}, "xyz": {...}, "policy": {...}}), one query."""
    counts: dict[str, dict[str, int]] = {
        "abc": dict.fromkeys(AbcClass.values, 0),
        "xyz": dict.fromkeys([*XyzClass.values, "unknown"], 0),
        "policy": dict.fromkeys(Policy.values, 0),
    }
    total = 0
    rows = (
        Item.objects.active()
        .order_by()
        .values("abc_class", "xyz_class", "policy")
        .annotate(n=Count("pk"))
        .values_list("abc_class", "xyz_class", "policy", "n")
    )
    for abc, xyz, policy, n in rows:
        total += n
        for group, key in (("abc", abc), ("xyz", xyz), ("policy", policy)):
            key = key or "unknown"
            counts[group][key] = counts[group].get(key, 0) + n
    return total, counts


# --- services -------------------------------------------------------------------


def items_reclassify(
    *,
    a_threshold: int | None = None,
    b_threshold: int | None = None,
    jit_scope: str | None = None,
    today: date | None = None,
    requested_by=None,
    run: ClassificationRun | None = None,
) -> ClassificationRun:
    """Classify every active item now and record the run.

    Parameters default to the settings (ABC thresholds, XYZ limits) and the
    policy parameters (JIT scope). ``run`` continues a run record created
    earlier (pending); otherwise one is created. The classes, the history and the
    run's success are committed together; on an error nothing is written, the run
    is marked failed with the error, and the error is raised again.
    """
    params = check_classification_params(
        a_threshold=a_threshold, b_threshold=b_threshold, jit_scope=jit_scope
    )
    today = today or timezone.localdate()
    if run is None:
        run = ClassificationRun(requested_by=requested_by)
    run.status = ClassificationRunStatus.RUNNING
    run.started_at = timezone.now()
    run.parameters = {**params.as_json(), "as_of": today.isoformat()}
    run.save()
    clock = time.perf_counter()
    try:
        with transaction.atomic():
            written = _classify(run=run, params=params, today=today)
            total, counts = classification_counts()
            run.status = ClassificationRunStatus.SUCCEEDED
            run.items_total = total
            run.items_changed = written.changed
            run.counts = {
                **counts,
                "rows_updated": written.rows_updated,
                "first_classified": written.changed - written.logged,
            }
            run.finished_at = timezone.now()
            run.duration_seconds = round(time.perf_counter() - clock, 3)
            run.save()
    except BaseException as error:  # incl. Celery's soft time limit
        run.status = ClassificationRunStatus.FAILED
        run.error = f"{type(error).__name__}: {error}"[:2000]
        run.finished_at = timezone.now()
        run.duration_seconds = round(time.perf_counter() - clock, 3)
        try:
            run.save(
                update_fields=["status", "error", "finished_at", "duration_seconds"]
            )
        except DatabaseError:  # the database itself is gone: keep the first error
            logger.exception("Could not mark classification run %s failed", run.pk)
        raise
    return run
