"""Benchmark: the backtest of DESIGN §6 at scale on PostgreSQL.

10,000 items, 3 sources each and a year of ledger in ``jit_bench_h16_backtest``;
times a 365-day backtest on one worker (reading and replaying apart) and projects
100,000 items over two workers. Details and past results: bench/README.md.

Usage: .venv/bin/python bench/backtest.py [--items 10000] [--days 365]
       [--movements-per-item 380] [--keep] [--reuse]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import build, drop_database, setup_django  # noqa: E402

DB = "jit_bench_h16_backtest"
TARGET_SECONDS = 30


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--movements-per-item", type=int, default=380)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep an existing db")
    args = parser.parse_args()

    setup_django(DB, fresh=not args.reuse)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from items.models import Item, StockMovement
    from replenishment.backtest import BacktestTotals, backtest_items
    from replenishment.backtest_runner import backtest_header, backtest_params
    from replenishment.backtest_selectors import (
        backtest_histories,
        backtest_item_ranges,
    )

    if not args.reuse:
        t = time.perf_counter()
        print(f"building {args.items:,} items …", flush=True)
        build(items=args.items, movements_per_item=args.movements_per_item)
        with connection.cursor() as cursor:  # a class mix, as the nightly run leaves it
            cursor.execute(
                """
                UPDATE items_item SET
                  abc_class = CASE WHEN id % 10 < 2 THEN 'A' WHEN id % 10 < 5 THEN 'B' ELSE 'C' END,
                  xyz_class = CASE WHEN id % 3 = 0 THEN 'X' WHEN id % 3 = 1 THEN 'Y' ELSE 'Z' END,
                  policy = CASE WHEN id % 10 < 2 THEN 'jit' WHEN id % 10 < 5 THEN 'reorder_point'
                                ELSE 'min_max' END
                """
            )  # fmt: skip
            cursor.execute("VACUUM (ANALYZE)")
        print(f"  built and vacuumed in {time.perf_counter() - t:.1f} s", flush=True)

    movements = StockMovement.objects.count()
    items = Item.objects.count()
    today = timezone.localdate()
    days = args.days
    params = backtest_params()
    window = params.demand_window_days
    since = today - timedelta(days=days + window)
    in_scope = StockMovement.objects.filter(
        occurred_at__date__gte=since, kind="issue"
    ).count()

    # --- end to end on one worker ---
    read_s = replay_s = read_cpu = replay_cpu = 0.0
    started, started_cpu = time.perf_counter(), time.process_time()
    ranges = backtest_item_ranges()
    totals = BacktestTotals(days=days)
    for first_id, last_id in ranges:
        t, c = time.perf_counter(), time.process_time()
        histories = backtest_histories(
            first_id=first_id, last_id=last_id, today=today, days=days, window=window
        )
        t2, c2 = time.perf_counter(), time.process_time()
        totals.merge(
            backtest_items(
                histories,
                days=days,
                start=today - timedelta(days=days),
                params=params,
                seed=0,
            )
        )
        read_s += t2 - t
        replay_s += time.perf_counter() - t2
        read_cpu += c2 - c
        replay_cpu += time.process_time() - c2
    t, c = time.perf_counter(), time.process_time()
    report = totals.report(
        **backtest_header(today=today, days=days, seed=0, params=params, overrides={})
    )
    text = json.dumps(report)
    report_s = time.perf_counter() - t
    report_cpu = time.process_time() - c
    total_s = time.perf_counter() - started
    total_cpu = time.process_time() - started_cpu

    first_id, last_id = ranges[0]
    with CaptureQueriesContext(connection) as ctx:
        backtest_histories(
            first_id=first_id, last_id=last_id, today=today, days=days, window=window
        )
    per_chunk = len(ctx.captured_queries)

    per_item = total_s / items
    projected = per_item * 100_000 / 2
    rows = [
        ("read (5 queries per chunk of 1,000)", read_s, read_cpu),
        ("replay (policy + baseline + actual)", replay_s, replay_cpu),
        ("report (merge, KPIs, JSON)", report_s, report_cpu),
        (f"end to end, {items:,} items, 1 worker", total_s, total_cpu),
        ("projection: 100,000 items, 2 workers", projected, total_cpu / items * 50_000),
    ]
    print()
    print(
        f"PostgreSQL · {items:,} items × {days} days · {movements:,} movements "
        f"({in_scope:,} issues in the period and its window) · load {_load()}"
    )
    print(f"{'step':<44} {'wall s':>9} {'vs 30 s':>9} {'worker CPU s':>13}")
    print("-" * 78)
    for name, seconds, cpu in rows:
        print(
            f"{name:<44} {seconds:>9.2f} {seconds / TARGET_SECONDS:>8.2f}× {cpu:>13.2f}"
        )
    print("-" * 78)
    print(
        "worker CPU = this process only (the database's share of reading is in "
        "wall time); on a loaded machine wall time is CPU time plus waiting"
    )
    print(
        f"queries per chunk: {per_chunk} (constant); report {len(text) / 1e6:.1f} MB; "
        f"{report['items']:,} replayed, {report['skipped']['count']:,} skipped"
    )
    print(
        f"policy fill {report['policy']['fill_rate']:.3f}, baseline "
        f"{report['baseline']['fill_rate']:.3f}; on-hand value policy "
        f"{report['policy']['avg_on_hand_value']:,.0f}, baseline "
        f"{report['baseline']['avg_on_hand_value']:,.0f}, actual "
        f"{report['actual']['avg_on_hand_value']:,.0f}"
    )
    print(
        f"≥ 3,000,000 movements: {'met' if movements >= 3_000_000 else 'NOT met'}; "
        f"≤ {TARGET_SECONDS} s end to end on one worker: "
        f"{'met' if total_s <= TARGET_SECONDS else 'NOT met'} ({total_s:.1f} s); "
        f"100,000 items on two workers: {projected:.0f} s"
    )
    if not args.keep:
        drop_database(DB)


if __name__ == "__main__":
    main()
