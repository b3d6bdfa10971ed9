"""The backtest counts recorded unmet demand as demand of its day (issue 17,
item 4; DESIGN §6): the replay's demand and its d include it, and "actual"
counts it as lost."""

from datetime import date, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine

from items.models import MovementKind
from items.services import MovementInput, movements_bulk_post, unmet_demand_record
from replenishment.backtest import actual, nightly_figures
from replenishment.backtest_selectors import backtest_histories
from tests.factories import ItemFactory, SupplierItemFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=BERLIN)
DAYS = 30
START = TODAY - timedelta(days=DAYS)


@pytest.fixture(autouse=True)
def _site_in_berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    with time_machine.travel(NOW, tick=False):
        yield


def at(day: int, hour: int = 10) -> datetime:
    moment = datetime.combine(START + timedelta(days=day), datetime.min.time())
    return moment.replace(hour=hour, tzinfo=BERLIN)


@pytest.fixture
def item():
    """60 received on day −10; 5 issued a day on days −10 … 1 (60, stock 0 from
    day 2 on); staff record 5 unmet a day on days 2 … 5, and 3 more on day 1."""
    item = ItemFactory(sku="BOLT-8", abc_class="A", policy="jit", unit="ea")
    SupplierItemFactory(item=item, quoted_lead_time_days=4)
    moves = [MovementInput(item.pk, MovementKind.RECEIPT, D("60"), at(-11))]
    moves += [
        MovementInput(item.pk, MovementKind.ISSUE, D("-5"), at(day))
        for day in range(-10, 2)
    ]
    movements_bulk_post(movements=moves)
    for day in range(2, 6):
        unmet_demand_record(item=item, quantity="5", occurred_at=at(day))
    unmet_demand_record(item=item, quantity="3", occurred_at=at(1, hour=23))
    unmet_demand_record(item=item, quantity="9", occurred_at=NOW - timedelta(hours=1))
    return item


def test_the_days_demand_is_issued_plus_unmet(item):
    [h] = backtest_histories(
        first_id=item.pk, last_id=item.pk, today=TODAY, days=DAYS, window=90
    )
    # day 1: issued 5 + unmet 3 (23:00 local is still day 1) = 8
    assert h.issued[1] == 8000
    assert [h.issued.get(day) for day in (0, 2, 3, 4, 5, 6)] == [
        5000, 5000, 5000, 5000, 5000, None
    ]  # fmt: skip
    assert h.unmet == {1: 3000, 2: 5000, 3: 5000, 4: 5000, 5: 5000}
    assert DAYS not in h.issued  # today's unmet demand is after the period

    # d on the night before day 6: the item's first demand was day −10, so the
    # window is 16 days (−10 … 5): (12 × 5 issued + 3 + 4 × 5 unmet) / 16 = 83/16
    nightly = nightly_figures(h, days=DAYS, window=90)
    assert nightly.d[6] == pytest.approx(83 / 16)

    # actual: demanded 2·5 (days 0, 1) + 3 + 4·5 = 33 in the period, served the
    # 10 issued: fill rate 10/33
    run = actual(h, days=DAYS, unit_cost=1.0)
    assert (run.demanded, run.served) == (33.0, 10.0)
    assert run.kpis(DAYS)["fill_rate"] == round(10 / 33, 4)


def test_an_item_with_only_unmet_demand_starts_its_window_there():
    item = ItemFactory(sku="NEW-1", unit="ea")
    SupplierItemFactory(item=item, quoted_lead_time_days=4)
    unmet_demand_record(item=item, quantity="14", occurred_at=at(3))
    [h] = backtest_histories(
        first_id=item.pk, last_id=item.pk, today=TODAY, days=DAYS, window=90
    )
    assert h.first_issue_day == 3
    assert h.issued == {3: 14000}
    # night before day 12: 14 over the 9 days since day 3 (at least 7)
    assert nightly_figures(h, days=DAYS, window=90).d[12] == pytest.approx(14 / 9)
