"""Running a backtest (DESIGN §6): read a chunk, replay it, add the chunks up.

``backtest_chunk`` is what one worker does for one range of item ids (a fixed
number of queries, then the pure replay of ``backtest.py``); ``backtest_run`` runs
every chunk in-process and returns the §6 report. Chunks never overlap and every
figure they return is a sum or a union, so a chunked Celery run equals this one.

What-if parameters (``overrides``) change only the policy's planning parameters:
``z`` or ``service_level`` (a fill target such as 0.98, turned into z by the normal
quantile), ``min_safety_time_days`` and ``delivery_interval_days`` per class. The
baseline and actual do not depend on them.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from statistics import NormalDist

from django.utils import timezone

from .backtest import BacktestTotals, backtest_items
from .backtest_selectors import CHUNK_SIZE, backtest_histories, backtest_item_ranges
from .generation import planning_params
from .models import Backtest, BacktestStatus
from .planning import PlanningParams

DEFAULT_DAYS = 365
DEFAULT_SEED = 0
CLASSES = ("A", "B", "C")


class BacktestError(Exception):
    """A backtest cannot be run as asked; the message is meant for the user."""


def check_overrides(overrides: dict | None) -> dict:
    """Validate what-if parameters; returns them cleaned (plain JSON values)."""
    clean: dict = {}
    for key, value in (overrides or {}).items():
        if value in (None, "", {}):
            continue
        if key == "service_level":
            level = Decimal(str(value))
            if not Decimal("0.5") <= level < 1:
                raise BacktestError("service_level must be at least 0.5 and below 1.")
            clean[key] = str(level)
        elif key == "z":
            z = Decimal(str(value))
            if not 0 <= z <= 5:
                raise BacktestError("z must be between 0 and 5.")
            clean[key] = str(z)
        elif key in ("min_safety_time_days", "delivery_interval_days"):
            if not isinstance(value, dict):
                raise BacktestError(f"{key} must map classes A, B, C to days.")
            per_class = {}
            for abc, days in value.items():
                if abc not in CLASSES or days in (None, ""):
                    if abc not in CLASSES:
                        raise BacktestError(f"{key}: unknown class {abc!r}.")
                    continue
                days = int(days)
                low = 1 if key == "delivery_interval_days" else 0
                if not low <= days <= 365:
                    raise BacktestError(f"{key}[{abc}] must be {low}–365 days.")
                per_class[abc] = days
            if per_class:
                clean[key] = per_class
        else:
            raise BacktestError(f"Unknown parameter {key!r}.")
    return clean


def backtest_params(overrides: dict | None = None) -> PlanningParams:
    """The nightly run's planning parameters with the what-if overrides applied."""
    params = planning_params()
    overrides = check_overrides(overrides)
    if "service_level" in overrides:
        z = NormalDist().inv_cdf(float(overrides["service_level"]))
        params.z = Decimal(f"{z:.2f}")
    if "z" in overrides:
        params.z = Decimal(overrides["z"])
    for key in ("min_safety_time_days", "delivery_interval_days"):
        if key in overrides:
            setattr(params, key, {**getattr(params, key), **overrides[key]})
    return params


def params_json(params: PlanningParams) -> dict:
    data = dataclasses.asdict(params)
    data["z"] = None if params.z is None else str(params.z)
    data["service_targets"] = {k: str(v) for k, v in params.service_targets.items()}
    return data


def backtest_chunk(
    *,
    first_id: int,
    last_id: int,
    today: date,
    days: int,
    params: PlanningParams,
    seed: int,
    skus: list[str] | None = None,
) -> BacktestTotals:
    """Read and replay the active items with ids in [first_id, last_id]."""
    histories = backtest_histories(
        first_id=first_id,
        last_id=last_id,
        today=today,
        days=days,
        window=params.demand_window_days,
        skus=skus,
    )
    return backtest_items(
        histories,
        days=days,
        start=today - timedelta(days=days),
        params=params,
        seed=seed,
    )


def backtest_header(
    *, today: date, days: int, seed: int, params: PlanningParams, overrides: dict
) -> dict:
    start = today - timedelta(days=days)
    return {
        "seed": seed,
        "period": {
            "start": start.isoformat(),
            "end": (today - timedelta(days=1)).isoformat(),
        },
        "parameters": params_json(params),
        "overrides": overrides,
    }


def check_days(days: int) -> int:
    if not 7 <= days <= 3 * 365:
        raise BacktestError("days must be between 7 and 1095.")
    return days


def backtest_run(
    *,
    days: int = DEFAULT_DAYS,
    skus: list[str] | None = None,
    seed: int = DEFAULT_SEED,
    overrides: dict | None = None,
    today: date | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> dict:
    """Replay every active item (or only ``skus``) in-process; the §6 report."""
    today = today or timezone.localdate()
    check_days(days)
    overrides = check_overrides(overrides)
    params = backtest_params(overrides)
    totals = BacktestTotals(days=days)
    for first_id, last_id in backtest_item_ranges(skus=skus, chunk_size=chunk_size):
        totals.merge(
            backtest_chunk(
                first_id=first_id,
                last_id=last_id,
                today=today,
                days=days,
                params=params,
                seed=seed,
                skus=skus,
            )
        )
    return totals.report(
        **backtest_header(
            today=today, days=days, seed=seed, params=params, overrides=overrides
        )
    )


def backtest_item_series(*, run: Backtest, sku: str) -> dict | None:
    """One item's end-of-day stock in a stored run, per day, for policy, baseline
    and actual (replayed again on its own: the same seed, parameters and period
    give the same days as the run). None when the item cannot be replayed."""
    from items.models import Item

    from .backtest import replay_item, skip_reason

    item = Item.objects.filter(sku=sku, active=True).only("pk").first()
    if item is None:
        return None
    params = backtest_params(run.overrides)
    start = run.today - timedelta(days=run.days)
    [history] = backtest_histories(
        first_id=item.pk,
        last_id=item.pk,
        today=run.today,
        days=run.days,
        window=params.demand_window_days,
    )
    if skip_reason(history, days=run.days):
        return None
    result = replay_item(
        history,
        days=run.days,
        start=start,
        params=params,
        seed=run.seed,
        with_series=True,
    )
    return {"start": start, "series": result.series}


def backtest_latest_for(item) -> Backtest | None:
    """The newest finished backtest that replayed ``item`` (a run limited to other
    SKUs does not count)."""
    runs = Backtest.objects.filter(status=BacktestStatus.SUCCEEDED).only(
        "pk", "skus", "today", "days", "seed", "overrides", "finished_at"
    )
    for run in runs[:20]:
        if not run.skus or item.sku in run.skus:
            return run
    return None


def item_replay(item) -> dict | None:
    """For the item page: the item's replayed stock in the newest finished backtest
    beside what actually happened, ``{"run", "start", "series"}``; None when no run
    replayed it. A run never changes once finished, so the series is cached per run
    and item (a replay reads the item's ledger: a few queries and milliseconds)."""
    from django.core.cache import cache

    run = backtest_latest_for(item)
    if run is None:
        return None
    key = f"backtest:{run.pk}:item:{item.pk}"
    replayed = cache.get(key)
    if replayed is None:
        replayed = backtest_item_series(run=run, sku=item.sku) or {}
        cache.set(key, replayed, 24 * 3600)
    if not replayed:
        return None
    return {"run": run, **replayed}
