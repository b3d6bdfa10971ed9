"""Issue 17 end to end: the nightly run stores the demand pattern, suggestions
plan sporadic demand by Croston/SBA, blend and clean lead times, and flag a
minimum order that shelf life cannot hold (DESIGN §7)."""

from datetime import datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from items.models import Item
from items.services import MovementInput, movements_bulk_post
from replenishment.classification import items_reclassify
from replenishment.generation import suggestions_generate
from replenishment.models import Suggestion
from suppliers.models import DeliveryStatus
from tests.factories import DeliveryLineFactory, ItemFactory, SupplierItemFactory

pytestmark = pytest.mark.django_db

FROZEN = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
TODAY = FROZEN.date()


@pytest.fixture(autouse=True)
def _frozen_today(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    with time_machine.travel(FROZEN, tick=True):
        yield


def at(days_ago: int, hour: int = 12) -> datetime:
    day = TODAY - timedelta(days=days_ago)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def issues(item: Item, quantities: dict[int, int], *, opening: int = 10_000):
    """An opening receipt 200 days ago, then ``quantities[days_ago]`` issued."""
    moves = [MovementInput(item.pk, "receipt", D(opening), at(200))]
    moves += [
        MovementInput(item.pk, "issue", -D(q), at(days_ago))
        for days_ago, q in sorted(quantities.items(), reverse=True)
    ]
    movements_bulk_post(movements=moves)


def test_nightly_classification_stores_the_pattern_and_keeps_sporadic_off_jit():
    smooth = ItemFactory(sku="SMOOTH", unit_cost=D("10"), jit_pilot=True)
    issues(smooth, dict.fromkeys(range(1, 365), 10))  # every day: ADI 1, CV² 0
    sparse = ItemFactory(sku="SPARSE", unit_cost=D("10"), jit_pilot=True)
    # 70 units every 7th day: weekly CV 0 (X), but ADI 90/13 = 6.9 → intermittent
    issues(sparse, {d: 70 for d in range(1, 365) if d % 7 == 3})
    lumpy = ItemFactory(sku="LUMPY", unit_cost=D("10"))
    # every 5th day 1 or 99: CV² = 18·(9 + 9·9801)/(18·50)² − 1 = 0.96 → lumpy
    issues(lumpy, {d: (1 if d % 10 == 0 else 99) for d in range(1, 91) if d % 5 == 0})
    items_reclassify(jit_scope="pilot", a_threshold=100, b_threshold=100)
    rows = dict(Item.objects.values_list("sku", "demand_pattern"))
    assert rows == {"SMOOTH": "smooth", "SPARSE": "intermittent", "LUMPY": "lumpy"}
    policies = dict(Item.objects.values_list("sku", "policy"))
    assert policies["SMOOTH"] == "jit"
    assert policies["SPARSE"] == "reorder_point"  # X and a pilot, but intermittent


def test_sporadic_items_are_planned_by_croston_sba():
    item = ItemFactory(sku="SPARSE", abc_class="A", policy="jit", unit_cost=D("5"))
    SupplierItemFactory(item=item, supplier__code="ACME", quoted_lead_time_days=5)
    # 20 units every 4th day over the window (days 1, 5, …, 89: 23 demand days)
    issues(item, dict.fromkeys(range(1, 91, 4), 20), opening=470)
    item.refresh_from_db()
    assert item.on_hand == D("10")
    suggestions_generate(today=TODAY)
    s = Suggestion.objects.get(item=item, status="open")
    # size 20 every 4 d (every gap is 4): d = 0.95·20/4 = 4.75
    assert s.avg_daily_demand == D("4.75")
    assert s.policy == "reorder_point"
    assert "4.8/day by Croston/SBA, intermittent demand: 20 every 4 d × 0.95" in (
        s.reason
    )
    assert "intermittent demand is never jit" in s.reason


def test_one_delivery_blends_and_a_minimum_order_beyond_shelf_life_is_flagged():
    item = ItemFactory(sku="MILK", abc_class="A", policy="jit", shelf_life_days=5)
    source = SupplierItemFactory(
        item=item, supplier__code="DAIRY", quoted_lead_time_days=2,
        min_order_qty=D("500"),
    )  # fmt: skip
    issues(item, dict.fromkeys(range(1, 91), 10), opening=920)  # 20 left
    DeliveryLineFactory(
        item=item,
        delivery__supplier=source.supplier,
        delivery__status=DeliveryStatus.RECEIVED,
        delivery__ordered_at=at(40),
        delivery__received_at=at(35),  # one delivery of 5 d against a quote of 2
        delivery__promised_date=(at(40) + timedelta(days=2)).date(),
        quantity_ordered=D("10"),
        quantity_received=D("10"),
    )
    suggestions_generate(today=TODAY)
    s = Suggestion.objects.get(item=item, status="open")
    # L = (5 + 2 + 2)/3 = 3, σL = √((2² + 1² + 1²)/2) = √3 = 1.73
    assert (s.lead_time_days, s.lead_time_std_days) == (D("3.00"), D("1.73"))
    assert "lead time 3 d from 1 delivery (5 d) blended with the quoted 2 d" in (
        s.reason
    )
    assert s.quantity == D("500")
    assert s.problem.startswith("the minimum order of 500 is more than the ")
    assert "Problem: the minimum order of 500" in s.reason
