from datetime import datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from suppliers.models import DeliveryStatus, SupplierScore
from suppliers.risk import assess_risk
from suppliers.selectors import supplier_scores_compute
from suppliers.services import supplier_scores_refresh
from tests.factories import (
    DeliveryFactory,
    DeliveryLineFactory,
    ItemFactory,
    SupplierFactory,
    SupplierItemFactory,
)

pytestmark = pytest.mark.django_db
# A fixed "today" (the suite must pass on any date): the clock is frozen there
# for every test of this module, so code that asks the clock agrees.
FROZEN = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
TODAY = FROZEN.date()


@pytest.fixture(autouse=True)
def _frozen_today(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    with time_machine.travel(FROZEN, tick=True):
        yield


def at(days_ago: int) -> datetime:
    day = TODAY - timedelta(days=days_ago)
    return timezone.make_aware(datetime(day.year, day.month, day.day, 10))


def delivery(supplier, *, ordered, lead, promised_after, received=D("10"), rejected=0):
    d = DeliveryFactory(
        supplier=supplier,
        status=DeliveryStatus.RECEIVED,
        ordered_at=at(ordered),
        received_at=at(ordered - lead),
        promised_date=(at(ordered) + timedelta(days=promised_after)).date(),
    )
    DeliveryLineFactory(
        delivery=d,
        quantity_ordered=D("10"),
        quantity_received=received,
        quantity_rejected=D(rejected),
    )
    return d


def test_supplier_score_by_hand():
    supplier = SupplierFactory(code="S")
    # lead times 5, 5, 7, 7 against promises of 6 days: two on time, two late
    delivery(supplier, ordered=100, lead=5, promised_after=6)
    delivery(supplier, ordered=80, lead=5, promised_after=6, received=D("8"))
    delivery(supplier, ordered=60, lead=7, promised_after=6, rejected=1)
    delivery(supplier, ordered=40, lead=7, promised_after=6)
    delivery(supplier, ordered=400, lead=30, promised_after=6)  # older than a year
    # A items: 1000 single-sourced here, 3000 with two sources → share 0.25
    SupplierItemFactory(
        supplier=supplier, item=ItemFactory(abc_class="A", annual_value=D("1000"))
    )
    shared = ItemFactory(abc_class="A", annual_value=D("3000"))
    SupplierItemFactory(supplier=supplier, item=shared)
    SupplierItemFactory(item=shared, priority=2)

    score = supplier_scores_compute(today=TODAY)[supplier.pk]
    assert score.deliveries_count == 4
    assert score.on_time_rate == D("0.5")
    assert score.fill_rate == D("0.95")  # 38 / 40
    assert score.defect_rate == D("0.0263")  # 1 / 38
    assert score.lead_time_mean_days == D("6.00")
    assert score.lead_time_std_days == D("1.15")  # sample std of 5, 5, 7, 7
    assert score.lead_time_cv == D("0.1925")
    assert score.single_source_exposure == D("1000")
    assert score.exposure_share == D("0.25")
    # issue 20: performance 50·min(0.5/0.5, 1) + 30·(0.0263/0.05) + 20·(0.1925/0.5)
    # = 50 + 15.78 + 7.7; dependency 60·(0.25/0.5) + 40·(6/42) = 30 + 5.71
    assert (score.performance_score, score.performance_level) == (D("73.5"), "high")
    assert (score.dependency_score, score.dependency_level) == (D("35.7"), "medium")
    assert score.dependency_lead_time_days == D("6.00")
    assert (score.risk_score, score.risk_level) == (D("73.5"), "high")
    assert score.history_sufficient


def test_fewer_than_three_deliveries_is_insufficient_history():
    supplier = SupplierFactory()
    delivery(supplier, ordered=30, lead=20, promised_after=5, rejected=5)
    delivery(supplier, ordered=20, lead=20, promised_after=5, rejected=5)
    score = supplier_scores_compute(today=TODAY)[supplier.pk]
    assert score.risk_level == "high"
    assert not score.history_sufficient


def test_supplier_without_deliveries_scores_zero():
    supplier = SupplierFactory()
    score = supplier_scores_compute(today=TODAY)[supplier.pk]
    assert (score.deliveries_count, score.risk_score, score.risk_level) == (
        0,
        D("0"),
        "low",
    )
    assert score.on_time_rate is None


@pytest.mark.parametrize(
    ("late", "defect", "cv", "share", "lead", "performance", "dependency", "level"),
    [
        ("0", "0", "0", "0", "0", "0.0", "0.0", "low"),
        ("1", "0.10", "1.0", "1", "90", "100.0", "100.0", "high"),  # saturating
        ("0.2", "0.05", "0", "0", "7", "50.0", "6.7", "high"),
        ("0", "0.02", "0.25", "0", "10", "22.0", "9.5", "low"),
        ("0.1", "0", "0", "0.25", "21", "10.0", "50.0", "high"),  # dependency wins
        ("0.3", "0", "0.1", "0.1", "5", "34.0", "16.8", "medium"),
        # FAREAST in the demo: 35 % late, only source of 56 % of A value, 44 days
        ("0.35", "0.0014", "0.129", "0.5646", "43.66", "41.0", "100.0", "high"),
    ],
)
def test_risk_is_the_worse_of_performance_and_dependency(
    late, defect, cv, share, lead, performance, dependency, level
):
    risk = assess_risk(
        on_time_rate=1 - D(late),
        defect_rate=D(defect),
        lead_time_cv=D(cv),
        exposure_share=D(share),
        lead_time_days=D(lead),
    )
    assert (risk.performance_score, risk.dependency_score, risk.risk_level) == (
        D(performance),
        D(dependency),
        level,
    )
    assert risk.risk_score == max(D(performance), D(dependency))


def test_dependency_uses_the_quoted_lead_time_before_any_delivery():
    source = SupplierItemFactory(quoted_lead_time_days=42)
    score = supplier_scores_compute(today=TODAY)[source.supplier_id]
    assert score.dependency_lead_time_days == D("42.00")
    assert (score.dependency_score, score.dependency_level) == (D("40.0"), "medium")
    assert score.risk_level == "medium" and not score.history_sufficient


def test_refresh_stores_one_row_per_supplier_and_updates_it():
    supplier = SupplierFactory()
    delivery(supplier, ordered=30, lead=3, promised_after=5)
    assert supplier_scores_refresh(today=TODAY) == 1
    assert supplier_scores_refresh(today=TODAY) == 1
    stored = SupplierScore.objects.get(supplier=supplier)
    assert stored.deliveries_count == 1 and stored.on_time_rate == D("1")
