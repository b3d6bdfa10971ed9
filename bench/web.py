"""Benchmark: server time of the staff pages at scale on PostgreSQL.

100,000 items and 5 million movements in ``jit_bench_web``; requests go through
Django's full stack in-process with a signed-in staff user (server time without the
network). Target and past results: bench/README.md.

Usage: .venv/bin/python bench/web.py [--items 100000] [--requests 200] [--db NAME]
       [--keep] [--reuse]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import build, drop_database, percentile, setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--db", default="jit_bench_web")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()

    setup_django(args.db, fresh=not args.reuse)
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from items.models import Item, StockMovement
    from replenishment.generation import suggestions_generate
    from suppliers.services import supplier_scores_refresh

    if not args.reuse:
        t = time.perf_counter()
        print(f"Building {args.items:,} items in {args.db} …", flush=True)
        build(items=args.items)
        print(f"  built in {time.perf_counter() - t:.0f} s", flush=True)
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE items_item SET
                  abc_class = CASE WHEN id %% 10 < 2 THEN 'A' WHEN id %% 10 < 5 THEN 'B' ELSE 'C' END,
                  policy = CASE WHEN id %% 10 < 2 THEN 'jit' WHEN id %% 10 < 5 THEN 'reorder_point'
                                ELSE 'min_max' END,
                  abc_cumulative_share = LEAST(100, id * 100.0 / %s)
                """,
                [args.items],
            )  # fmt: skip
            cursor.execute("VACUUM ANALYZE")
        supplier_scores_refresh()
        suggestions_generate()
    items = Item.objects.count()
    movements = StockMovement.objects.count()

    user, _ = get_user_model().objects.get_or_create(
        username="bench-staff", defaults={"is_staff": True}
    )
    client = Client()
    client.force_login(user)
    skus = list(Item.objects.order_by("?").values_list("sku", flat=True)[:500])
    rng = random.Random(3)
    from django.core.cache import cache

    pages = {
        "dashboard / (cold: cache cleared)": lambda: (cache.clear(), "/")[1],
        "dashboard /": lambda: "/",
        "item page /items/<sku>/": lambda: f"/items/{rng.choice(skus)}/",
        "item list /items/": lambda: "/items/",
        "item list, below ROP, sorted by cover": lambda: (
            "/items/?below_rop=on&sort=cover"
        ),
        "item list, search": lambda: f"/items/?q={rng.choice(skus)[-4:]}",
        "suggestions /suggestions/": lambda: "/suggestions/",
        "suppliers /suppliers/": lambda: "/suppliers/",
    }
    rows = []
    for name, url in pages.items():
        for _ in range(5):  # warm up caches and connections
            client.get(url())
        times, queries = [], 0
        for _ in range(args.requests):
            target = url()
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(target)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (target, response.status_code)
            queries = max(queries, len(ctx.captured_queries))
        rows.append(
            (name, statistics.median(times), percentile(times, 95), max(times), queries)
        )

    print()
    print(f"PostgreSQL · {items:,} items · {movements:,} movements · "
          f"{args.requests} requests per page, in-process (server time)")  # fmt: skip
    print(
        f"{'page':<40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}  target"
    )
    print("-" * 92)
    for name, p50, p95, worst, queries in rows:
        target = ""
        if name.startswith(("dashboard /", "item page")) and "cold" not in name:
            target = "p95 ≤ 100 ms: " + ("met" if p95 <= 100 else "NOT met")
        print(
            f"{name:<40} {p50:>8.1f} {p95:>8.1f} {worst:>8.1f} {queries:>8}  {target}"
        )
    if not args.keep:
        drop_database(args.db)


if __name__ == "__main__":
    main()
