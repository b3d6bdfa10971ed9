"""Benchmark: does the policy keep its promise? (issue 17, DESIGN §7)

Replays a generated scenario set (demand patterns × suppliers × ABC classes ×
seeds) with the pure backtest engine, no database: this working tree (AFTER)
against the planning code of ``--before`` (BEFORE), both beside the ERP min/max
baseline; prints fill rate, stock value and order lines against the issue's
targets. The scenarios and targets are described in bench/README.md.

Usage: .venv/bin/python bench/policy.py [--seeds 5] [--before REF] [--no-before]
       [--cells]
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BEFORE_REF = "a877f47"  # main when issue 17 started
DAYS = 365
WINDOW = 90
START = date(2025, 1, 6)
QUOTE = 5
SCENARIOS = (
    "smooth CV 0.2",
    "smooth CV 0.5",
    "erratic",
    "seasonal",
    "step",
    "spike",
    "intermittent",
    "lumpy",
)
PATTERN_OF = {
    "smooth CV 0.2": "smooth",
    "smooth CV 0.5": "smooth",
    "seasonal": "smooth",
    "step": "smooth",
    "spike": "smooth",
    "erratic": "erratic",
    "intermittent": "intermittent",
    "lumpy": "lumpy",
}
SUPPLIERS = ("reliable", "jittery", "late")
CLASSES = {"A": 20.0, "B": 5.0, "C": 1.0}
FILL_TARGET = {"smooth": 0.98, "erratic": 0.98, "intermittent": 0.95, "lumpy": 0.95}


def _gamma(rng: random.Random, mean: float, cv: float) -> float:
    shape = 1 / (cv * cv)
    return rng.gammavariate(shape, mean / shape)


def demand(kind: str, rng: random.Random, level: float) -> list[int]:
    """Whole units per day for days −WINDOW … DAYS−1."""
    out = []
    for t in range(-WINDOW, DAYS):
        if kind == "intermittent":
            q = rng.gauss(4 * level, 0.3 * 4 * level) if rng.random() < 0.25 else 0
        elif kind == "lumpy":
            q = _gamma(rng, 5 * level, 1.2) if rng.random() < 0.2 else 0
        elif kind == "erratic":
            q = _gamma(rng, level, 0.9)
        else:
            mean, cv = level, 0.2
            if kind == "smooth CV 0.5":
                cv = 0.5
            elif kind == "seasonal":
                mean = level * (1 + 0.5 * math.sin(2 * math.pi * t / 365))
            elif kind == "step" and t >= 150:
                mean = 2 * level
            elif kind == "spike" and 150 <= t < 157:
                mean = 4 * level
            q = rng.gauss(mean, cv * mean)
        q = max(round(q), 0)
        out.append(q)
    return out


def lead_time(supplier: str, rng: random.Random) -> int:
    if supplier == "reliable":
        return QUOTE
    if supplier == "jittery":
        return rng.randint(2, 10)
    return rng.randint(8, 10)


def xyz(series: list[int]) -> str:
    """The nightly XYZ class from the weekly CV of the window before the year."""
    weeks = [sum(series[k : k + 7]) for k in range(WINDOW % 7, WINDOW, 7)]
    mean = sum(weeks) / len(weeks)
    if mean <= 0:
        return ""
    cv = math.sqrt(sum((w - mean) ** 2 for w in weeks) / len(weeks)) / mean
    return "X" if cv <= 0.5 else "Y" if cv <= 1.0 else "Z"


def policy_for(abc: str, xyz_class: str, *, sporadic: bool, after: bool) -> str:
    if abc == "C":
        return "min_max"
    if xyz_class in ("X", "Y") and not (after and sporadic):
        return "jit"
    return "reorder_point"


def scenario_items(seeds: int):
    """Plain descriptions of every item (the same for both code versions)."""
    items = []
    item_id = 0
    for seed in range(seeds):
        rng = random.Random(f"policy-bench:{seed}")
        for kind in SCENARIOS:
            for supplier in SUPPLIERS:
                for abc, cost in CLASSES.items():
                    item_id += 1
                    level = rng.uniform(5, 20)
                    series = demand(kind, rng, level)
                    history_leads = [lead_time(supplier, rng) for _ in range(15)]
                    items.append(
                        {
                            "item_id": item_id,
                            "sku": f"{kind}/{supplier}/{abc}/{seed}",
                            "kind": kind,
                            "supplier": supplier,
                            "abc": abc,
                            "cost": cost,
                            "level": level,
                            "series": series,
                            "leads": history_leads,
                            "xyz": xyz(series[:WINDOW]),
                        }
                    )
    return items


def histories(items, planning, backtest, *, after: bool):
    for spec in items:
        series = spec["series"]
        issued = {
            t - WINDOW: q * 1000 for t, q in enumerate(series) if q
        }  # day −WINDOW first
        source = planning.SourceFigures(
            source_id=spec["item_id"],
            supplier_id=spec["item_id"],
            supplier_code=spec["supplier"],
            priority=1,
            quoted_lead_time_days=QUOTE,
        )
        sporadic = spec["kind"] in ("intermittent", "lumpy")
        yield backtest.ItemHistory(
            item_id=spec["item_id"],
            sku=spec["sku"],
            abc_class=spec["abc"],
            xyz_class=spec["xyz"],
            policy=policy_for(spec["abc"], spec["xyz"], sporadic=sporadic, after=after),
            unit_cost=spec["cost"],
            annual_demand=Decimal(f"{spec['level'] * 365:.0f}"),
            start_on_hand=round(spec["level"] * 20 * 1000),
            issued=issued,
            first_issue_day=-WINDOW - 300,
            sources=(source,),
            source_count=2,
            # received every 20 days before the year, newest last
            deliveries=tuple(
                (-20 * (15 - k), lt) for k, lt in enumerate(spec["leads"])
            ),
        )


def load_version(ref: str | None):
    """(planning, backtest) modules: the working tree, or ``ref`` from git."""
    if ref is None:
        from replenishment import backtest, planning

        return planning, backtest
    folder = Path(tempfile.mkdtemp(prefix="policy-bench-"))
    package = folder / "before_replenishment"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("planning", "backtest"):
        text = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{ref}:replenishment/{name}.py"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        (package / f"{name}.py").write_text(text)
    modules = []
    for name in ("planning", "backtest"):
        spec = importlib.util.spec_from_file_location(
            f"before_replenishment.{name}",
            package / f"{name}.py",
            submodule_search_locations=None,
        )
        module = importlib.util.module_from_spec(spec)
        module.__package__ = "before_replenishment"
        sys.modules[spec.name] = module
        if "before_replenishment" not in sys.modules:
            init = importlib.util.spec_from_file_location(
                "before_replenishment",
                package / "__init__.py",
                submodule_search_locations=[str(package)],
            )
            sys.modules["before_replenishment"] = importlib.util.module_from_spec(init)
        spec.loader.exec_module(module)
        modules.append(module)
    return modules[0], modules[1]


def run(items, planning, backtest, *, after: bool):
    """Per item: (scenario, supplier, policy RunTotals, baseline RunTotals)."""
    params = planning.PlanningParams()
    rows = []
    for history in histories(items, planning, backtest, after=after):
        result = backtest.replay_item(
            history, days=DAYS, start=START, params=params, seed=0
        )
        kind, supplier = history.sku.split("/")[:2]
        rows.append((kind, supplier, result.runs["policy"], result.runs["baseline"]))
    return rows


def _sum(rows):
    keys = ("demanded", "served", "on_hand_value", "order_lines", "items")
    policy = {k: sum(getattr(r[2], k) for r in rows) for k in keys}
    baseline = {k: sum(getattr(r[3], k) for r in rows) for k in keys}
    return policy, baseline


def figures(rows) -> tuple[float, float, float, float]:
    """(fill, stock value ÷ baseline's, order lines per item-year, baseline fill)."""
    policy, baseline = _sum(rows)
    fill = policy["served"] / policy["demanded"]
    ratio = policy["on_hand_value"] / baseline["on_hand_value"]
    orders = policy["order_lines"] / policy["items"] * 365 / DAYS
    return fill, ratio, orders, baseline["served"] / baseline["demanded"]


def table(title: str, groups: dict, before: dict | None, after: dict) -> None:
    print(f"\n{title}")
    head = f"{'':28} {'ERP fill':>8} |"
    if before is not None:
        head += f" {'BEFORE fill':>11} {'stock':>6} {'orders':>6} |"
    head += f" {'AFTER fill':>10} {'stock':>6} {'orders':>6}"
    print(head)
    print(
        f"{'':28} {'':>8} |"
        + (f" {'':>11} {'× ERP':>6} {'/year':>6} |" if before is not None else "")
        + f" {'':>10} {'× ERP':>6} {'/year':>6}"
    )
    for key in groups:
        fill, ratio, orders, erp = figures(after[key])
        line = f"{key:28} {erp:8.1%} |"
        if before is not None:
            b_fill, b_ratio, b_orders, _ = figures(before[key])
            line += f" {b_fill:11.1%} {b_ratio:6.2f} {b_orders:6.1f} |"
        line += f" {fill:10.1%} {ratio:6.2f} {orders:6.1f}"
        print(line)


def grouped(rows):
    by_scenario, by_pattern, by_cell = (
        defaultdict(list),
        defaultdict(list),
        defaultdict(list),
    )
    for row in rows:
        kind, supplier = row[0], row[1]
        by_scenario[kind].append(row)
        by_pattern[PATTERN_OF[kind]].append(row)
        by_cell[f"{kind} / {supplier}"].append(row)
    by_pattern["overall"] = list(rows)
    return by_scenario, by_pattern, by_cell


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--before", default=BEFORE_REF, help="git ref of BEFORE")
    parser.add_argument("--no-before", action="store_true")
    parser.add_argument("--cells", action="store_true", help="also per supplier")
    args = parser.parse_args()

    items = scenario_items(args.seeds)
    print(
        f"{len(items)} items ({len(SCENARIOS)} scenarios × {len(SUPPLIERS)} "
        f"suppliers × {len(CLASSES)} classes × {args.seeds} seeds), {DAYS} days, "
        "lost sales"
    )
    clock = time.perf_counter()
    after_rows = run(items, *load_version(None), after=True)
    after_time = time.perf_counter() - clock
    before_rows = None
    if not args.no_before:
        clock = time.perf_counter()
        before_rows = run(items, *load_version(args.before), after=False)
        print(
            f"replay: AFTER {after_time:.1f} s, BEFORE ({args.before}) "
            f"{time.perf_counter() - clock:.1f} s"
        )
    a_scen, a_pat, a_cell = grouped(after_rows)
    b_scen, b_pat, b_cell = grouped(before_rows) if before_rows else (None,) * 3
    table("Per scenario", a_scen, b_scen, a_scen)
    table("Per demand pattern", a_pat, b_pat, a_pat)
    if args.cells:
        table("Per scenario and supplier", a_cell, b_cell, a_cell)

    print("\nTargets (AFTER)")
    ok = True
    for pattern, target in FILL_TARGET.items():
        fill = figures(a_pat[pattern])[0]
        hold = fill >= target
        ok &= hold
        print(
            f"  fill {pattern:13} {fill:6.1%} ≥ {target:.0%}  {'ok' if hold else 'MISSED'}"
        )
    for pattern, limit in (("smooth", 0.5), ("overall", 0.8)):
        ratio = figures(a_pat[pattern])[1]
        hold = ratio <= limit
        ok &= hold
        print(
            f"  stock {pattern:12} {ratio:6.2f} ≤ {limit} × ERP  "
            f"{'ok' if hold else 'MISSED'}"
        )
    print("all targets hold" if ok else "some targets missed")


if __name__ == "__main__":
    main()
