from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, Min, Sum
from django.utils import timezone

from demo.services import demo_plan_build
from items.models import Item, MovementKind, StockMovement
from suppliers.models import (
    Delivery,
    DeliveryLine,
    DeliveryStatus,
    Supplier,
    SupplierItem,
)
from tests.factories import SupplierFactory

SMALL = 30
ANCHOR = date(2026, 3, 18)  # a fixed "today" for the pure plan tests


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def q3(value) -> Decimal:
    """To the ledger's 3 places (SQLite stores and sums decimals as floats)."""
    return Decimal(value or 0).quantize(Decimal("0.001"))


def row_counts() -> dict[str, int]:
    return {
        "items": Item.objects.count(),
        "suppliers": Supplier.objects.count(),
        "sources": SupplierItem.objects.count(),
        "deliveries": Delivery.objects.count(),
        "lines": DeliveryLine.objects.count(),
        "movements": StockMovement.objects.count(),
    }


@pytest.mark.django_db
def test_seed_demo_creates_items_suppliers_sources_deliveries_and_movements():
    output = seed("--items", str(SMALL))

    counts = row_counts()
    assert counts["items"] == SMALL
    assert counts["suppliers"] == 12
    assert counts["sources"] >= SMALL
    assert counts["deliveries"] > 0
    assert counts["lines"] >= counts["deliveries"]
    assert counts["movements"] > 50 * SMALL  # a year of daily consumption
    assert f"{SMALL} items" in output
    assert Item.objects.filter(jit_pilot=True).exists()
    assert Supplier.objects.filter(jit_pilot=True).exists()
    kinds = set(StockMovement.objects.values_list("kind", flat=True))
    assert {MovementKind.ISSUE, MovementKind.RECEIPT, MovementKind.ADJUSTMENT} <= kinds


@pytest.mark.django_db
def test_seed_demo_on_hand_is_the_sum_of_movements_and_never_negative():
    seed("--items", str(SMALL))

    totals = dict(
        StockMovement.objects.values("item_id")
        .annotate(total=Sum("quantity"))
        .values_list("item_id", "total")
    )
    for item in Item.objects.all():
        assert item.on_hand >= 0
        assert q3(item.on_hand) == q3(totals.get(item.pk)), item.sku

    # Replayed in time order, no item's stock ever drops below zero.
    balance: dict[int, Decimal] = defaultdict(Decimal)
    rows = StockMovement.objects.order_by("occurred_at", "id").values_list(
        "item_id", "quantity"
    )
    for item_id, quantity in rows:
        balance[item_id] += quantity
        assert balance[item_id] >= 0


@pytest.mark.django_db
def test_seed_demo_movements_are_aware_and_within_the_last_year():
    seed("--items", str(SMALL))

    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(today - timedelta(days=365), time.min))
    span = StockMovement.objects.aggregate(first=Min("occurred_at"))
    assert span["first"] >= start
    assert not StockMovement.objects.filter(occurred_at__gt=timezone.now()).exists()
    assert not Delivery.objects.filter(ordered_at__gt=timezone.now()).exists()
    movement = StockMovement.objects.first()
    assert timezone.is_aware(movement.occurred_at)


@pytest.mark.django_db
def test_seed_demo_sources_have_one_primary_and_consecutive_priorities():
    seed("--items", str(SMALL))

    priorities = defaultdict(list)
    for item_id, priority in SupplierItem.objects.values_list("item_id", "priority"):
        priorities[item_id].append(priority)
    assert len(priorities) == SMALL
    for found in priorities.values():
        assert 1 <= len(found) <= 3
        assert sorted(found) == list(range(1, len(found) + 1))
    assert SupplierItem.objects.filter(order_multiple__lte=0).count() == 0
    assert not SupplierItem.objects.filter(quoted_lead_time_days=0).exists()


@pytest.mark.django_db
def test_seed_demo_receipts_match_the_accepted_quantity_of_each_delivery_line():
    seed("--items", str(SMALL))

    receipts = dict(
        StockMovement.objects.filter(delivery_line__isnull=False)
        .values("delivery_line_id")
        .annotate(total=Sum("quantity"))
        .values_list("delivery_line_id", "total")
    )
    assert receipts
    for line in DeliveryLine.objects.select_related("delivery"):
        accepted = line.quantity_received - line.quantity_rejected
        assert q3(receipts.get(line.pk)) == q3(accepted)
        assert line.quantity_received <= line.quantity_ordered
        if line.quantity_rejected:
            assert line.rejection_reason
        if line.delivery.status == DeliveryStatus.ORDERED:
            assert line.quantity_received == 0
    assert not StockMovement.objects.filter(
        kind=MovementKind.RECEIPT, delivery_line__isnull=True
    ).exists()

    for delivery in Delivery.objects.filter(status=DeliveryStatus.RECEIVED):
        assert delivery.ordered_at < delivery.received_at
        assert delivery.promised_date > timezone.localtime(delivery.ordered_at).date()
    assert not Delivery.objects.filter(
        status=DeliveryStatus.ORDERED, received_at__isnull=False
    ).exists()
    assert not Delivery.objects.annotate(n=Count("lines")).filter(n=0).exists()


@pytest.mark.django_db
def test_seed_demo_twice_does_not_duplicate():
    seed("--items", str(SMALL))
    before = row_counts()
    on_hand = dict(Item.objects.values_list("sku", "on_hand"))

    output = seed("--items", str(SMALL))

    assert output.strip() == (
        f"Demo data already present ({SMALL} items); nothing to do."
    )
    assert row_counts() == before
    assert dict(Item.objects.values_list("sku", "on_hand")) == on_hand


@pytest.mark.django_db
def test_seed_demo_refuses_a_database_with_suppliers_but_no_items():
    SupplierFactory(code="ACME")

    with pytest.raises(CommandError, match="only fills an empty database"):
        seed("--items", "5")

    assert Item.objects.count() == 0
    assert Supplier.objects.count() == 1


class _Rollback(Exception):
    pass


def _fingerprint() -> tuple:
    return (
        row_counts(),
        list(Item.objects.order_by("sku").values_list("sku", "name", "on_hand")),
        list(
            Delivery.objects.order_by("reference").values_list(
                "reference", "status", "promised_date"
            )
        ),
    )


@pytest.mark.django_db
def test_seed_demo_is_deterministic_into_fresh_databases():
    with pytest.raises(_Rollback), transaction.atomic():
        seed("--items", str(SMALL), "--seed", "7")
        first = _fingerprint()
        raise _Rollback
    assert Item.objects.count() == 0  # rolled back: a fresh database again

    seed("--items", str(SMALL), "--seed", "7")

    assert _fingerprint() == first


def test_demo_plan_build_is_deterministic_and_depends_on_the_seed():
    first = demo_plan_build(items=SMALL, seed=11, today=ANCHOR)
    again = demo_plan_build(items=SMALL, seed=11, today=ANCHOR)
    other = demo_plan_build(items=SMALL, seed=12, today=ANCHOR)

    assert first == again
    assert first != other
    assert [i.sku for i in first.items] == sorted(i.sku for i in first.items)


def test_demo_plan_for_the_default_range_looks_like_a_real_store():
    plan = demo_plan_build(today=ANCHOR)  # 300 items, the default seed

    assert len(plan.items) == 300
    assert len({i.sku for i in plan.items}) == 300
    assert len({i.name for i in plan.items}) == 300
    assert {i.unit for i in plan.items} >= {"ea", "box", "kg", "m", "l"}
    assert 10 <= sum(i.jit_pilot for i in plan.items) <= 20  # about 5 %
    assert sum(i.shelf_life_days is not None for i in plan.items) >= 10
    assert all(i.unit_cost > 0 and i.annual_demand > 0 for i in plan.items)
    assert 1 <= sum(s.jit_pilot for s in plan.suppliers) <= 2
    assert 50_000 <= len(plan.movements) <= 150_000

    # Pareto: few items carry most of the issued value.
    cost = {i.sku: i.unit_cost for i in plan.items}
    value: Counter = Counter()
    for m in plan.movements:
        if m.kind == MovementKind.ISSUE:
            value[m.sku] -= m.quantity * cost[m.sku]
    ranked = [v for _, v in value.most_common()]
    total = sum(ranked)
    top_fifth = sum(ranked[: len(plan.items) // 5])
    assert top_fifth >= Decimal("0.7") * total
    assert ranked[0] < Decimal("0.3") * total

    # Some items have a single (valuable, sole) source, some several.
    sources = Counter(s.sku for s in plan.sources)
    assert set(sources.values()) == {1, 2, 3}

    # Suppliers differ: some almost always on time, some often late, some reject.
    on_time: dict[str, list[bool]] = defaultdict(list)
    rejected: Counter = Counter()
    for d in plan.deliveries:
        if d.received_at is not None:
            arrived = timezone.localtime(d.received_at).date()
            on_time[d.supplier_code].append(arrived <= d.promised_date)
            rejected[d.supplier_code] += sum(
                1 for li in d.lines if li.quantity_rejected
            )
    rates = {code: sum(v) / len(v) for code, v in on_time.items()}
    assert max(rates.values()) >= 0.95
    assert min(rates.values()) <= 0.7
    assert rejected.most_common(1)[0][1] >= 10

    open_deliveries = [d for d in plan.deliveries if d.received_at is None]
    assert open_deliveries
    assert any(d.promised_date < ANCHOR for d in open_deliveries)
    assert all(d.status == DeliveryStatus.ORDERED for d in open_deliveries)
