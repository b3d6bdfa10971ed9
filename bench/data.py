"""Build a large, realistic data set in a scratch PostgreSQL database with COPY.

Used by the benchmarks: ``setup_django(dbname)`` points Django at a fresh database
(dropped first, migrated), ``build(...)`` fills it: items with a Pareto spread of
value, suppliers, sources, a year of consumption and a delivery history, keeping
``on_hand`` equal to the sum of each item's movements. See bench/README.md.
"""

from __future__ import annotations

import http.client
import io
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")

#: The class mix the nightly run leaves (suggest.py, compare.py): a fifth of the
#: items A and jit, three tenths B and reorder point, half C and min/max.
CLASS_MIX_SQL = (
    "UPDATE items_item SET abc_class = CASE WHEN id % 10 < 2 THEN 'A' "
    "WHEN id % 10 < 5 THEN 'B' ELSE 'C' END, policy = CASE WHEN id % 10 < 2 "
    "THEN 'jit' WHEN id % 10 < 5 THEN 'reorder_point' ELSE 'min_max' END"
)


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank percentile (p95 of 200 samples is the 190th smallest)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def wait_for_server(port: int, *, attempts: int = 100) -> None:
    """Wait until the server on 127.0.0.1:``port`` answers /healthz."""
    for _ in range(attempts):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request(
                "GET", "/healthz"
            )
            return
        except OSError:
            time.sleep(0.2)


def setup_django(dbname: str, *, fresh: bool = True) -> None:
    """Create (or reuse) ``dbname`` and point Django at it."""
    import psycopg

    if fresh:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{dbname}"')
    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{dbname}"
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("CACHE_URL", "locmemcache://")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_site.settings.base")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # a reused database gets new migrations


def drop_database(dbname: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def _copy(cursor, table: str, columns: list[str], rows) -> int:
    """COPY rows (tuples of already-formatted strings) into ``table``."""
    count = 0
    buffer = io.StringIO()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            buffer.write("\t".join(row))
            buffer.write("\n")
            count += 1
            if count % 50_000 == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())
    return count


def build(
    *,
    items: int,
    movements_per_item: int = 50,
    sources_per_item: int = 3,
    suppliers: int = 200,
    deliveries_per_item: int = 6,
    seed: int = 7,
    today: datetime | None = None,
    log=print,
) -> dict:
    """Fill the database; returns row counts. Set-based, by COPY."""
    from django.db import connection

    rng = random.Random(seed)
    now = today or datetime.now(UTC).replace(microsecond=0)
    year_ago = now - timedelta(days=365)
    counts: dict[str, int] = {}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg cursor, for COPY
        counts["suppliers"] = _copy(
            raw,
            "suppliers_supplier",
            ["id", "code", "name", "contact_name", "email", "phone", "jit_pilot",
             "active", "created_at"],
            (
                (str(s), f"S{s:04d}", f"Supplier {s}", "", "", "", "f", "t",
                 now.isoformat())
                for s in range(1, suppliers + 1)
            ),
        )  # fmt: skip

        on_hand: list[float] = [0.0] * (items + 1)
        daily: list[float] = [0.0] * (items + 1)

        def item_rows():
            for i in range(1, items + 1):
                # Pareto: a few expensive fast movers, a long cheap tail
                unit_cost = round(rng.paretovariate(1.2) * 2, 2)
                rate = round(rng.lognormvariate(0.5, 1.0), 3)
                daily[i] = rate
                yield (
                    str(i), f"SKU-{i:07d}", f"Item {i}", "ea", f"{unit_cost:.4f}",
                    f"{rate * 365:.3f}", "0", "", "", "reorder_point", "",
                    "t" if i % 20 == 0 else "f", "\\N", "\\N", "t", "0", "\\N",
                    "0", "0", "0", "\\N", now.isoformat(), now.isoformat(), "",
                )  # fmt: skip

        counts["items"] = _copy(
            raw,
            "items_item",
            ["id", "sku", "name", "unit", "unit_cost", "annual_demand", "on_hand",
             "abc_class", "xyz_class", "policy", "policy_override", "jit_pilot",
             "safety_time_days", "shelf_life_days", "active", "annual_value",
             "abc_cumulative_share", "avg_daily_demand", "daily_demand_std",
             "reorder_point", "planned_at", "created_at", "updated_at",
             "demand_pattern"],
            item_rows(),
        )  # fmt: skip
        log(f"  items and suppliers: {time.perf_counter() - started:.1f} s")

        def source_rows():
            sid = 0
            for i in range(1, items + 1):
                chosen = rng.sample(range(1, suppliers + 1), sources_per_item)
                for priority, supplier in enumerate(chosen, start=1):
                    sid += 1
                    yield (
                        str(sid), str(supplier), str(i), "", "1.0000",
                        str(rng.choice([3, 5, 7, 10, 14])), str(rng.choice([0, 10, 50])),
                        str(rng.choice([1, 6, 12, 25])), str(priority), "t",
                    )  # fmt: skip

        counts["sources"] = _copy(
            raw,
            "suppliers_supplieritem",
            ["id", "supplier_id", "item_id", "supplier_sku", "unit_price",
             "quoted_lead_time_days", "min_order_qty", "order_multiple", "priority",
             "active"],
            source_rows(),
        )  # fmt: skip
        log(f"  sources: {time.perf_counter() - started:.1f} s")

        # Deliveries: received ones over the year, lines of the item's primary
        # supplier (ids as generated above: item i's sources are 3(i-1)+1…).
        delivery_rows, line_rows, receipt_moves = [], [], []
        did = 0
        cursor.execute(
            "SELECT item_id, supplier_id FROM suppliers_supplieritem WHERE priority = 1"
        )
        primary = dict(cursor.fetchall())
        for i in range(1, items + 1):
            for k in range(deliveries_per_item):
                did += 1
                ordered = year_ago + timedelta(days=30 + k * 60 + rng.randint(0, 20))
                lead = rng.choice([3, 4, 5, 5, 6, 8])
                received = ordered + timedelta(days=lead, hours=rng.randint(0, 8))
                promised = (ordered + timedelta(days=5)).date()
                qty = max(1, round(daily[i] * 60))
                rejected = 1 if rng.random() < 0.05 and qty > 1 else 0
                delivery_rows.append(
                    (str(did), str(primary[i]), f"PO-{did:08d}", "received",
                     ordered.isoformat(), promised.isoformat(), received.isoformat(),
                     "", ordered.isoformat(), "\\N", "", "", "")
                )  # fmt: skip
                line_rows.append(
                    (str(did), str(did), str(i), str(qty), str(qty), str(rejected), "",
                     "\\N", "0", "", "0")
                )  # fmt: skip
                receipt_moves.append((i, received, qty - rejected, did))
        counts["deliveries"] = _copy(
            raw,
            "suppliers_delivery",
            ["id", "supplier_id", "reference", "status", "ordered_at", "promised_date",
             "received_at", "note", "created_at", "created_by_id", "sent_to",
             "send_error", "cancel_reason"],
            delivery_rows,
        )  # fmt: skip
        counts["delivery_lines"] = _copy(
            raw,
            "suppliers_deliveryline",
            ["id", "delivery_id", "item_id", "quantity_ordered", "quantity_received",
             "quantity_rejected", "rejection_reason", "unit_price", "quantity_short",
             "response", "quantity_shipped"],
            line_rows,
        )  # fmt: skip
        del delivery_rows, line_rows
        log(f"  deliveries: {time.perf_counter() - started:.1f} s")

        def movement_rows():
            mid = 0
            receipts_by_item: dict[int, list] = {}
            for item_id, at, qty, line_id in receipt_moves:
                receipts_by_item.setdefault(item_id, []).append((at, qty, line_id))
            for i in range(1, items + 1):
                opening = max(1, round(daily[i] * 30))
                mid += 1
                on_hand[i] = opening
                yield (str(mid), str(i), "adjustment", str(opening),
                       year_ago.isoformat(), "\\N", "opening balance", "\\N",
                       year_ago.isoformat())  # fmt: skip
                events = [
                    (at, qty, line) for at, qty, line in receipts_by_item.get(i, [])
                ]
                issues = movements_per_item - len(events) - 1
                for _ in range(max(issues, 0)):
                    at = year_ago + timedelta(
                        minutes=rng.randint(60, 365 * 24 * 60 - 60)
                    )
                    events.append((at, -max(1, round(daily[i] * 365 / issues)), None))
                events.sort(key=lambda e: e[0])
                for at, qty, line in events:
                    if qty < 0 and on_hand[i] + qty < 0:
                        qty = -on_hand[i]
                        if qty == 0:
                            continue
                    on_hand[i] += qty
                    mid += 1
                    yield (
                        str(mid), str(i), "receipt" if qty > 0 else "issue", str(qty),
                        at.isoformat(), "\\N" if line is None else str(line), "",
                        "\\N", at.isoformat(),
                    )  # fmt: skip

        counts["movements"] = _copy(
            raw,
            "items_stockmovement",
            ["id", "item_id", "kind", "quantity", "occurred_at", "delivery_line_id",
             "note", "created_by_id", "created_at"],
            movement_rows(),
        )  # fmt: skip
        log(f"  movements: {time.perf_counter() - started:.1f} s")
        cursor.execute(
            """
            UPDATE items_item i SET on_hand = m.total
              FROM (SELECT item_id, SUM(quantity) AS total
                      FROM items_stockmovement GROUP BY item_id) m
             WHERE m.item_id = i.id
            """
        )
        for table in (
            "suppliers_supplier", "items_item", "suppliers_supplieritem",
            "suppliers_delivery", "suppliers_deliveryline", "items_stockmovement",
        ):  # fmt: skip
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
            cursor.execute(f"ANALYZE {table}")
    log(f"  on_hand, sequences, analyze: {time.perf_counter() - started:.1f} s")
    return counts
