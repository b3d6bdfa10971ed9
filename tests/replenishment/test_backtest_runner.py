"""Reading the ledger for the backtest, the service, the command and stored runs."""

import json
from datetime import date, datetime, timedelta
from decimal import Decimal as D
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from items.models import Item, MovementKind
from items.services import MovementInput, movements_bulk_post
from replenishment.backtest_runner import BacktestError, backtest_params, backtest_run
from replenishment.backtest_selectors import backtest_histories
from suppliers.models import DeliveryStatus
from tests.factories import (
    DeliveryLineFactory,
    ItemFactory,
    SupplierFactory,
    SupplierItemFactory,
)

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=BERLIN)
DAYS = 30


@pytest.fixture(autouse=True)
def _site_in_berlin(settings):
    """These replays are written in Berlin time, whatever TIME_ZONE the suite
    runs with (a 00:30 issue belongs to its Berlin date)."""
    settings.TIME_ZONE = "Europe/Berlin"


START = TODAY - timedelta(days=DAYS)  # 8 Feb 2026 is day 0


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    """Local time on day ``day`` of the period (negative: before it)."""
    moment = datetime.combine(START + timedelta(days=day), datetime.min.time())
    return moment.replace(hour=hour, minute=minute, tzinfo=BERLIN)


def post(item, rows):
    sign = {MovementKind.ISSUE: -1, MovementKind.SCRAP: -1}
    movements_bulk_post(
        movements=[
            MovementInput(item.pk, kind, D(qty) * sign.get(kind, 1), moment)
            for kind, qty, moment in rows
        ]
    )


def received(source, *, ordered_day: int, lead: int, item):
    return DeliveryLineFactory(
        delivery__supplier=source.supplier,
        delivery__status=DeliveryStatus.RECEIVED,
        delivery__ordered_at=at(ordered_day),
        delivery__received_at=at(ordered_day + lead, hour=15),
        item=item,
        quantity_ordered=D("50"),
        quantity_received=D("50"),
    )


@pytest.fixture
def stocked():
    """BOLT-8: 300 received before the window; 5 a day issued from day −20;
    40 received on day 10; 10 adjusted in on day 12; 7 issued today (after the
    period); one issue at 00:30 local on day 3 (23:30 UTC the day before)."""
    item = ItemFactory(sku="BOLT-8", abc_class="A", policy="jit", xyz_class="X")
    source = SupplierItemFactory(item=item, quoted_lead_time_days=4)
    rows = [(MovementKind.RECEIPT, "300", at(-100))]
    rows += [(MovementKind.ISSUE, "5", at(day)) for day in range(-20, DAYS)]
    rows += [(MovementKind.RECEIPT, "40", at(10, hour=8))]
    rows += [(MovementKind.ISSUE, "2", at(3, hour=0, minute=30))]
    rows += [(MovementKind.ISSUE, "7", NOW - timedelta(hours=1))]
    rows += [(MovementKind.ADJUSTMENT, "10", at(12))]
    rows.sort(key=lambda row: row[2])
    post(item, rows)
    for ordered_day, lead in ((-60, 3), (-30, 5), (-2, 5), (5, 4)):
        received(source, ordered_day=ordered_day, lead=lead, item=item)
    return item, source


@time_machine.travel(NOW, tick=False)
def test_histories_rebuild_the_start_stock_and_daily_series(stocked):
    item, source = stocked
    [h] = backtest_histories(
        first_id=item.pk, last_id=item.pk, today=TODAY, days=DAYS, window=90
    )
    item.refresh_from_db()
    # now: 300 + 40 + 10 − 5·50 (days −20 … 29) − 2 − 7 = 91; the start of day 0
    # is that minus everything since (+40 + 10 − 5·30 − 2 − 7) = 300 − 5·20 = 200
    assert item.on_hand == 91
    assert h.start_on_hand == 200_000
    assert h.issued[-20] == h.issued[0] == 5000
    assert h.issued[3] == 7000  # 5 + the 00:30 issue, counted on its local date
    assert DAYS not in h.issued  # today's issue is after the period
    assert h.net[10] == 40_000 - 5000 and h.receipt_days == frozenset({10})
    assert h.first_issue_day == -20
    assert h.other == {12: 10_000}
    # lead times in site days, in order of receipt: received on days −57, −25, 3, 9
    assert h.deliveries == ((-57, 3), (-25, 5), (3, 5), (9, 4))
    # ordered on day −2 and received on day 3: on order at the start
    assert h.pipeline == ((3, 50_000),)
    assert h.sources[0].source_id == source.pk and h.source_count == 1
    assert len(h.actual_orders) == 1  # the one ordered on day 5


def _fund(item, *, daily: str, days: int = 120):
    rows = [(MovementKind.RECEIPT, "1000", at(-days - 1))]
    rows += [(MovementKind.ISSUE, daily, at(day)) for day in range(-days, DAYS)]
    post(item, rows)


@time_machine.travel(NOW, tick=False)
def test_chunked_run_equals_single_run_and_is_reproducible():
    suppliers = [SupplierFactory(), SupplierFactory()]
    for n, daily in enumerate(["2", "3", "1.5"]):
        item = ItemFactory(sku=f"I-{n}", abc_class="ABC"[n], policy="jit", unit="kg")
        SupplierItemFactory(item=item, supplier=suppliers[n % 2])
        _fund(item, daily=daily)
    ItemFactory(sku="QUIET")  # no history: listed as skipped
    single = backtest_run(days=DAYS, seed=3)
    chunked = backtest_run(days=DAYS, seed=3, chunk_size=1)
    assert chunked == single
    assert single["items"] == 3
    assert single["skipped"]["items"] == [
        {"sku": "QUIET", "reason": "no active source"}
    ]
    assert single["period"] == {"start": "2026-02-08", "end": "2026-03-09"}
    only = backtest_run(days=DAYS, seed=3, skus=["I-1"])
    assert only["items"] == 1 and only["per_item"][0]["sku"] == "I-1"


@time_machine.travel(NOW, tick=False)
def test_backtest_command_prints_design_json():
    item = ItemFactory(sku="GLOVE-L", abc_class="B", policy="jit")
    SupplierItemFactory(item=item)
    _fund(item, daily="4")
    out = StringIO()
    call_command(
        "backtest", "--days", str(DAYS), "--format", "json", "--seed", "2", stdout=out
    )
    report = json.loads(out.getvalue())
    kpis = {"fill_rate", "cycle_service_level", "stockout_days", "avg_on_hand_value"}
    kpis |= {"turns", "orders"}
    assert {"days", "items", "policy", "baseline", "actual", "by_class"} <= set(report)
    assert {"by_pattern", "per_item", "seed", "period", "parameters"} <= set(report)
    assert report["days"] == DAYS and report["items"] == 1 and report["seed"] == 2
    for run in ("policy", "baseline", "actual"):
        assert kpis <= set(report[run])
        assert kpis <= set(report["by_class"]["B"][run])
    assert kpis <= set(report["by_pattern"]["unknown"]["policy"])
    row = report["per_item"][0]
    assert row["sku"] == "GLOVE-L" and kpis <= set(row["policy"])
    assert kpis <= set(row["baseline"])
    text = StringIO()
    call_command("backtest", "--days", str(DAYS), stdout=text)
    assert "Backtest of 1 items over 30 days" in text.getvalue()
    assert "class B" in text.getvalue()


def test_backtest_refuses_bad_parameters():
    with pytest.raises(CommandError, match="days must be between"):
        call_command("backtest", "--days", "2", stdout=StringIO())
    with pytest.raises(BacktestError, match="service_level"):
        backtest_params({"service_level": "1.2"})
    with pytest.raises(BacktestError, match="unknown class"):
        backtest_params({"delivery_interval_days": {"Q": 3}})


def test_what_if_parameters_change_only_the_policy():
    params = backtest_params(
        {"service_level": "0.98", "min_safety_time_days": {"A": 4}}
    )
    assert params.z == D("2.05")  # Φ⁻¹(0.98) = 2.054
    assert params.min_safety_time_days == {"A": 4, "B": 2, "C": 3}
    assert params.delivery_interval_days == {"A": 7, "B": 14, "C": 60}
    assert Item.objects.count() == 0
