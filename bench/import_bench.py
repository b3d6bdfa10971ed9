"""Benchmark: bulk import of 100,000 items on PostgreSQL.

In ``jit_bench_import`` (``--db``): new and changed items through a fresh
``manage.py import_data`` process, the library's default resource for comparison,
100,000 movements, a 50 MB file and an .xlsx zip bomb, each checked against the
database afterwards. The steps, targets and past results: bench/README.md.

Usage: .venv/bin/python bench/import_bench.py [--items 100000]
       [--default-items 10000] [--movements 100000] [--big-mb 50] [--db NAME]
       [--keep] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import os
import pstats
import random
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import ROOT, drop_database, setup_django  # noqa: E402

DB = "jit_bench_import"  # the default; --db picks another (runs must not share one)
ITEM_COLUMNS = [
    "sku", "name", "unit_cost", "annual_demand", "unit", "shelf_life_days", "jit_pilot",
]  # fmt: skip
MOVEMENT_COLUMNS = ["sku", "kind", "quantity", "occurred_at", "note"]
UNITS = ["ea", "box", "kg", "m", "l"]
PILOT_WORDS = ["1", "0", "true", "false"]  # what the default BooleanWidget reads


def log(message: str) -> None:
    print(message, flush=True)


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


# --- data -------------------------------------------------------------------------


def item_row(i: int, *, prefix: str, version: int) -> list[str]:
    """Deterministic values for item ``i``; version 2 changes name and unit_cost."""
    cents = (i * 7919) % 99_000 + 100 + (125 if version == 2 else 0)
    return [
        f"{prefix}{i:07d}",
        f"Item {i} {'(revised)' if version == 2 else ''}".strip(),
        f"{cents // 100}.{cents % 100:02d}",
        f"{(i * 131) % 50_000}.{i % 1000:03d}",
        UNITS[i % len(UNITS)],
        "" if i % 3 == 0 else str(i % 720 + 1),
        PILOT_WORDS[i % len(PILOT_WORDS)],
    ]


def expected_item(i: int, *, prefix: str, version: int) -> tuple:
    sku, name, cost, demand, unit, shelf, pilot = item_row(
        i, prefix=prefix, version=version
    )
    return (
        sku,
        name,
        Decimal(cost),
        Decimal(demand),
        unit,
        int(shelf) if shelf else None,
        pilot in ("1", "true"),
    )


def write_items(path: Path, n: int, *, prefix: str, version: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(ITEM_COLUMNS)
        for i in range(1, n + 1):
            writer.writerow(item_row(i, prefix=prefix, version=version))


MOVES_PER_ITEM = (  # kind, quantity in the file, signed change
    ("receipt", "100", Decimal(100)),
    ("issue", "30.5", Decimal("-30.5")),
    ("scrap", "2", Decimal(-2)),
    ("adjustment", "-3.25", Decimal("-3.25")),
)


def write_movements(path: Path, n: int, *, prefix: str) -> tuple[int, Decimal]:
    """Movements for the first n/4 items, in time order per item; returns the
    number of items touched and the on_hand each ends with."""
    items = n // len(MOVES_PER_ITEM)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(MOVEMENT_COLUMNS)
        for step, (kind, quantity, _) in enumerate(MOVES_PER_ITEM):
            day = 1 + step * 7
            for i in range(1, items + 1):
                at = f"2025-03-{day:02d}T{8 + i % 10:02d}:{i % 60:02d}:00+01:00"
                if i % 5 == 0:
                    at = f"2025-03-{day:02d}"  # a date alone: site midnight
                writer.writerow(
                    [f"{prefix}{i:07d}", kind, quantity, at, f"bench {kind}"]
                )
    return items, sum(change for _, _, change in MOVES_PER_ITEM)


# --- checks -----------------------------------------------------------------------


class CheckFailed(SystemExit):
    pass


def fail(message: str) -> None:
    raise CheckFailed(f"CHECK FAILED: {message}")


def check_items(*, prefix: str, n: int, version: int, total: int) -> None:
    """Count, and 500 sampled rows (plus the first and last) equal the file."""
    from items.models import Item

    count = Item.objects.count()
    if count != total:
        fail(f"{count:,} items in the database, expected {total:,}")
    if Item.objects.filter(sku__startswith=prefix).count() != n:
        fail(f"not {n:,} items with sku prefix {prefix}")
    rng = random.Random(n + version)
    sample = {1, n, *rng.sample(range(1, n + 1), min(500, n))}
    expected = {
        e[0]: e
        for e in (expected_item(i, prefix=prefix, version=version) for i in sample)
    }
    found = {
        row[0]: row
        for row in Item.objects.filter(sku__in=expected).values_list(*ITEM_COLUMNS)
    }
    for sku, values in expected.items():
        if found.get(sku) != values:
            fail(f"{sku}: database has {found.get(sku)}, the file {values}")
    if Item.objects.filter(sku__startswith=prefix).exclude(on_hand=0).exists():
        fail("an item import changed on_hand")


def check_movements(*, prefix: str, n: int, items: int, on_hand: Decimal) -> None:
    from django.core.management import call_command

    from items.models import Item, StockMovement

    count = StockMovement.objects.count()
    if count != n:
        fail(f"{count:,} movements in the database, expected {n:,}")
    moved = Item.objects.filter(sku__startswith=prefix, on_hand=on_hand).count()
    if moved != items:
        fail(f"{moved:,} items with on_hand {on_hand}, expected {items:,}")
    out = io.StringIO()
    call_command("check_ledger", stdout=out)  # raises CommandError on drift
    log(f"  {out.getvalue().strip()}")


# --- runs -------------------------------------------------------------------------


def run_command(*args: str, refused: str = "") -> dict:
    """``manage.py import_data ARGS -v 2`` in a fresh process: wall time, the
    import time the command reports, the child's peak RSS, its output. With
    ``refused``, the command must fail with that text in its error output."""
    command = [sys.executable, str(ROOT / "manage.py"), "import_data", *args, "-v", "2"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode()
        stderr = err.read().decode()
    if refused:
        if child.returncode == 0 or refused not in stderr:
            log(stdout)
            log(stderr[-5000:])
            fail(f"import_data {' '.join(args)} was not refused with {refused!r}")
        log(f"  refused: {stderr.strip().splitlines()[-1]}")
        return {"wall": wall, "rss_mb": usage.ru_maxrss / 1024, "stdout": stdout}
    if child.returncode != 0:
        log(stdout)
        log(stderr[-5000:])
        fail(f"import_data {' '.join(args)} exited with {child.returncode}")
    timing = re.search(
        r"read (\d+) rows in ([\d.]+) s, validated and wrote them in ([\d.]+) s", stdout
    )
    if not timing:
        fail(f"no timing line in the command's output: {stdout!r}")
    return {
        "wall": wall,
        "read": float(timing[2]),
        "import": float(timing[3]),
        "rss_mb": usage.ru_maxrss / 1024,  # KiB on Linux
        "stdout": stdout.strip(),
    }


def expect_counts(stdout: str, *, created: int, updated: int, unchanged: int) -> None:
    wanted = f"{created} created, {updated} updated, {unchanged} unchanged"
    if wanted not in stdout:
        fail(f"expected '{wanted}' in the command's output: {stdout!r}")


def write_zip_bomb(path: Path, rows: int = 2_000_000) -> None:
    """An .xlsx whose sheet declares and holds ``rows`` tiny rows: deflate packs
    the identical rows to well under a megabyte."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["sku"])
    template = io.BytesIO()
    book.save(template)
    head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns='
        '"http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:A{rows}"/><sheetData>'
    ).encode()
    block = b"<row><c><v>1</v></c></row>" * 100_000
    with (
        zipfile.ZipFile(io.BytesIO(template.getvalue())) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            if member.filename != "xl/worksheets/sheet1.xml":
                target.writestr(member, source.read(member))
                continue
            with target.open(member.filename, "w", force_zip64=True) as stream:
                stream.write(head)
                for _ in range(rows // 100_000):
                    stream.write(block)
                stream.write(b"</sheetData></worksheet>")


def default_resource_class():
    from import_export import resources

    from items.models import Item

    class DefaultItemResource(resources.ModelResource):
        class Meta:
            model = Item
            fields = tuple(ITEM_COLUMNS)
            import_id_fields = ["sku"]

    return DefaultItemResource


def run_default(path: Path, *, new: int, updated: int) -> float:
    """The library's default resource on a CSV loaded by tablib, as its docs show."""
    import tablib
    from import_export.results import RowResult

    dataset = tablib.Dataset().load(path.read_text(encoding="utf-8"), format="csv")
    resource = default_resource_class()()
    started = time.perf_counter()
    result = resource.import_data(dataset, dry_run=False)
    seconds = time.perf_counter() - started
    if result.has_errors() or result.has_validation_errors():
        fail(f"default resource: {len(result.invalid_rows)} invalid rows, errors")
    totals = result.totals
    if (totals[RowResult.IMPORT_TYPE_NEW], totals[RowResult.IMPORT_TYPE_UPDATE]) != (
        new,
        updated,
    ):
        fail(f"default resource: totals {dict(totals)}")
    return seconds


def profile_in_process(path: Path, label: str) -> None:
    from items.imports import read_dataset
    from suppliers.resources import RESOURCES

    profiler = cProfile.Profile()
    profiler.enable()
    dataset = read_dataset(path)
    result = RESOURCES["items"]().import_data(dataset, dry_run=False, preview=False)
    profiler.disable()
    if result.has_errors() or result.has_validation_errors():
        fail(f"profiled import of {path.name} failed")
    log(f"\ncProfile, in-process import_data items ({label}), top 25 by cumulative:")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--default-items", type=int, default=10_000)
    parser.add_argument("--movements", type=int, default=100_000, help="0: skip")
    parser.add_argument("--big-mb", type=int, default=50, help="0: skip")
    parser.add_argument("--db", default=DB, help=f"scratch database (default {DB})")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    try:
        bench(args)
    finally:
        if not args.keep:
            drop_database(args.db)


def bench(args) -> None:
    n, m = args.items, args.default_items

    uptime_start = subprocess.run(["uptime"], capture_output=True, text=True).stdout
    log(f"Fresh database {args.db} … ({load()})")
    setup_django(args.db)
    from django.db import connection

    from items.models import Item, StockMovement

    rows: list[tuple] = []  # (step, rows, the run's figures)
    with tempfile.TemporaryDirectory(prefix="import_bench_") as tmp:
        tmp = Path(tmp)
        new_csv, changed_csv = tmp / "items_new.csv", tmp / "items_changed.csv"
        write_items(new_csv, n, prefix="IMP-", version=1)
        write_items(changed_csv, n, prefix="IMP-", version=2)
        log(f"  {n:,}-row CSVs: {new_csv.stat().st_size / 1e6:.1f} MB each")

        log(f"1. import_data items, {n:,} new ({load()})")
        new = run_command("items", str(new_csv))
        log(f"  {new['stdout'].splitlines()[-1]}")
        expect_counts(new["stdout"], created=n, updated=0, unchanged=0)
        check_items(prefix="IMP-", n=n, version=1, total=n)
        rows.append((f"ours: {n:,} new items", n, new))

        log(f"2. import_data items, {n:,} changed ({load()})")
        changed = run_command("items", str(changed_csv))
        log(f"  {changed['stdout'].splitlines()[-1]}")
        expect_counts(changed["stdout"], created=0, updated=n, unchanged=0)
        check_items(prefix="IMP-", n=n, version=2, total=n)
        rows.append((f"ours: {n:,} items, every row changed", n, changed))

        log(f"3. default ModelResource, {m:,} new then changed ({load()})")
        default_new_csv = tmp / "default_new.csv"
        default_changed_csv = tmp / "default_changed.csv"
        write_items(default_new_csv, m, prefix="DEF-", version=1)
        write_items(default_changed_csv, m, prefix="DEF-", version=2)
        default_new = run_default(default_new_csv, new=m, updated=0)
        check_items(prefix="DEF-", n=m, version=1, total=n + m)
        default_changed = run_default(default_changed_csv, new=0, updated=m)
        check_items(prefix="DEF-", n=m, version=2, total=n + m)
        for label, seconds in (("new", default_new), ("changed", default_changed)):
            rows.append((f"default ModelResource: {m:,} {label} (measured)", m,
                         {"wall": seconds, "import": seconds}))  # fmt: skip
            rows.append((f"default ModelResource: {label}, extrapolated", n,
                         {"wall": seconds * n / m, "import": seconds * n / m}))  # fmt: skip

        moves = None
        if args.movements:
            log(f"4. import_data movements, {args.movements:,} ({load()})")
            moves_csv = tmp / "movements.csv"
            touched, on_hand = write_movements(moves_csv, args.movements, prefix="IMP-")
            moves = run_command("movements", str(moves_csv))
            log(f"  {moves['stdout'].splitlines()[-1]}")
            expect_counts(moves["stdout"], created=args.movements, updated=0,
                          unchanged=0)  # fmt: skip
            check_movements(
                prefix="IMP-", n=args.movements, items=touched, on_hand=on_hand
            )
            rows.append((f"ours: {args.movements:,} movements (no target)",
                         args.movements, moves))  # fmt: skip

        big = None
        if args.big_mb:
            big_csv = tmp / "items_big.csv"
            row_bytes = new_csv.stat().st_size / (n + 1)
            big_n = int(args.big_mb * 1e6 / row_bytes)
            write_items(big_csv, big_n, prefix="BIG-", version=1)
            size = big_csv.stat().st_size / 1e6
            log(f"5. import_data items, a {size:.0f} MB file: {big_n:,} new "
                f"({load()})")  # fmt: skip
            before = Item.objects.count()
            big = run_command("items", str(big_csv))
            log(f"  {big['stdout'].splitlines()[-1]}")
            expect_counts(big["stdout"], created=big_n, updated=0, unchanged=0)
            check_items(prefix="BIG-", n=big_n, version=1, total=before + big_n)
            rows.append((f"ours: {size:.0f} MB file, {big_n:,} new items", big_n,
                         big))  # fmt: skip

        log(f"6. import_data items, a zip bomb ({load()})")
        bomb = tmp / "bomb.xlsx"
        write_zip_bomb(bomb)
        before = Item.objects.count()
        bombed = run_command("items", str(bomb), refused="more than 1,000,000")
        if Item.objects.count() != before:
            fail("the zip bomb changed the items")
        bomb_kb = bomb.stat().st_size / 1024
        rows.append((f"zip bomb: {bomb_kb:.0f} KB xlsx, 2,000,000 rows (refused)",
                     2_000_000, bombed))  # fmt: skip

        if args.profile:
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE items_stockmovement, items_item CASCADE")
            profile_in_process(new_csv, "new")
            profile_in_process(changed_csv, "changed")
        items_total, movements_total = (
            Item.objects.count(),
            StockMovement.objects.count(),
        )

    env = {k: v for k, v in os.environ.items() if k != "TZ"}  # Django sets TZ
    uptime_end = subprocess.run(
        ["uptime"], capture_output=True, text=True, env=env
    ).stdout
    print()
    print(f"PostgreSQL {connection.pg_version // 10000} · {os.cpu_count()} cores "
          f"(shared) · {items_total:,} items, {movements_total:,} movements at the "
          "end")  # fmt: skip
    print(f"uptime at start: {uptime_start.strip()}")
    print(f"uptime at end:   {uptime_end.strip()}")
    print("seconds: wall time of a fresh `manage.py import_data` process, start-up "
          "included (the default resource: in-process, no start-up); start-up: "
          "seconds − read − import; read: the file into rows; import: validate and "
          "write, as the command reports it")  # fmt: skip
    header = (
        f"{'step':<50} {'rows':>8} {'seconds':>8} {'start-up':>8} {'read':>6} "
        f"{'import':>7} {'rows/s':>8} {'peak RSS MB':>11}"
    )
    print(header)
    print("-" * len(header))
    for name, count, run in rows:
        if "read" in run:
            startup = run["wall"] - run["read"] - run["import"]
            detail = f"{startup:>8.2f} {run['read']:>6.2f} {run['import']:>7.2f}"
        elif "import" in run:
            detail = f"{'—':>8} {'—':>6} {run['import']:>7.2f}"
        else:
            detail = f"{'—':>8} {'—':>6} {'—':>7}"
        rss = f"{run['rss_mb']:>11.0f}" if "rss_mb" in run else f"{'—':>11}"
        print(f"{name:<50} {count:>8,} {run['wall']:>8.2f} {detail} "
              f"{count / run['wall']:>8,.0f} {rss}")  # fmt: skip
    print("-" * len(header))

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    peak = max(new["rss_mb"], changed["rss_mb"])
    ratio_new = (default_new / m) / (new["wall"] / n)
    ratio_changed = (default_changed / m) / (changed["wall"] / n)
    if n != 100_000:
        print(f"(the targets are for 100,000 rows; this run imported {n:,})")
    print(f"100k new ≤ 10 s:          {verdict(new['wall'] <= 10)} "
          f"({new['wall']:.1f} s wall, {new['import']:.1f} s import)")  # fmt: skip
    print(f"100k changed ≤ 20 s:      {verdict(changed['wall'] <= 20)} "
          f"({changed['wall']:.1f} s wall, {changed['import']:.1f} s import)")  # fmt: skip
    print(
        f"peak RSS ≤ 400 MB:        {verdict(peak <= 400)} ({peak:.0f} MB, items"
        + (f"; movements {moves['rss_mb']:.0f} MB" if moves else "")
        + ")"
    )
    if big:
        print(f"{args.big_mb} MB file peak RSS:    {big['rss_mb']:.0f} MB "
              f"({big['rss_mb'] / args.big_mb:.0f}× the file; no target)")  # fmt: skip
    print(f"zip bomb refused:         {bombed['wall']:.1f} s, "
          f"{bombed['rss_mb']:.0f} MB peak RSS")  # fmt: skip
    print(f"≥ 20× default per row:    {verdict(min(ratio_new, ratio_changed) >= 20)} "
          f"(new {ratio_new:.0f}×, changed {ratio_changed:.0f}×; ours with start-up, "
          "the default in-process without)")  # fmt: skip


if __name__ == "__main__":
    main()
