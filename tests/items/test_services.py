from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from items.models import MovementKind, StockMovement
from items.services import (
    InsufficientStock,
    InvalidQuantity,
    MovementBatchError,
    MovementInput,
    movements_bulk_post,
    stock_adjust,
    stock_issue,
    stock_movement_post,
    stock_receive,
    stock_scrap,
)
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


def ledger_sum(item) -> Decimal:
    """Sum of the item's movements to the ledger's 3 places (SQLite sums floats)."""
    total = StockMovement.objects.filter(item=item).aggregate(s=Sum("quantity"))["s"]
    return Decimal(total or 0).quantize(Decimal("0.001"))


def test_stock_receive_then_issue_moves_on_hand_and_writes_signed_movements(
    staff_user,
):
    item = ItemFactory(unit="kg")  # fractions: not counted in whole units
    stock_receive(item=item, quantity=Decimal("10"), user=staff_user, note="count")
    stock_issue(item=item, quantity="3.5", user=staff_user)
    item.refresh_from_db()
    assert item.on_hand == Decimal("6.5")
    kinds = list(
        StockMovement.objects.filter(item=item)
        .order_by("id")
        .values_list("kind", "quantity", "created_by__username")
    )
    assert kinds == [
        ("receipt", Decimal("10"), "staff"),
        ("issue", Decimal("-3.5"), "staff"),
    ]


def test_stock_issue_refuses_more_than_on_hand_and_changes_nothing():
    item = ItemFactory()
    stock_receive(item=item, quantity=5)
    with pytest.raises(InsufficientStock) as excinfo:
        stock_issue(item=item, quantity=6)
    assert "only 5 on hand" in str(excinfo.value)
    item.refresh_from_db()
    assert item.on_hand == Decimal("5")
    assert StockMovement.objects.filter(item=item).count() == 1


def test_negative_adjustment_and_scrap_cannot_go_below_zero():
    item = ItemFactory()
    stock_receive(item=item, quantity=2)
    with pytest.raises(InsufficientStock):
        stock_adjust(item=item, quantity=-3)
    with pytest.raises(InsufficientStock):
        stock_scrap(item=item, quantity=3)
    stock_adjust(item=item, quantity=-2)
    item.refresh_from_db()
    assert item.on_hand == 0


@pytest.mark.parametrize(
    ("kind", "quantity", "message"),
    [
        ("issue", "0", "must not be zero"),
        ("issue", "-1", "must be positive"),
        ("receipt", "abc", "not a number"),
        ("receipt", "NaN", "not a number"),
        ("receipt", "1.0001", "3 decimal places"),
        ("receipt", "1e20", "too large"),
        ("teleport", "1", "Unknown movement kind"),
    ],
)
def test_stock_movement_post_rejects_bad_quantities(kind, quantity, message):
    item = ItemFactory()
    with pytest.raises(InvalidQuantity, match=message):
        stock_movement_post(item=item, kind=kind, quantity=quantity)
    assert not StockMovement.objects.exists()


MOVE = st.tuples(
    st.sampled_from(MovementKind.values),
    st.decimals(
        min_value=Decimal("-50"), max_value=Decimal("50"), places=3, allow_nan=False
    ).filter(lambda d: d != 0),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(moves=st.lists(MOVE, max_size=25))
def test_on_hand_always_equals_sum_of_movements(moves):
    with transaction.atomic():
        item = ItemFactory(unit="kg")  # fractions: not counted in whole units
        expected = Decimal("0")
        for kind, quantity in moves:
            entered = quantity if kind == "adjustment" else abs(quantity)
            sign = {"receipt": 1, "issue": -1, "scrap": -1}.get(kind)
            change = entered if sign is None else sign * entered
            try:
                stock_movement_post(item=item, kind=kind, quantity=entered)
            except InsufficientStock:
                assert expected + change < 0
            else:
                expected += change
            item.refresh_from_db()
            assert item.on_hand == expected == ledger_sum(item)
            assert item.on_hand >= 0
        transaction.set_rollback(True)


def test_movements_bulk_post_is_all_or_nothing_with_row_errors():
    item = ItemFactory()
    other = ItemFactory()
    stock_receive(item=item, quantity=5)
    now = item.created_at
    batch = [
        MovementInput(item.pk, "issue", Decimal("-4"), now),
        MovementInput(other.pk, "receipt", Decimal("7"), now),
        MovementInput(item.pk, "issue", Decimal("-2"), now),  # only 1 left
    ]
    with pytest.raises(MovementBatchError) as excinfo:
        movements_bulk_post(movements=batch)
    assert list(excinfo.value.errors) == [2]
    assert "only 1 on hand" in excinfo.value.errors[2]
    item.refresh_from_db()
    other.refresh_from_db()
    assert (item.on_hand, other.on_hand) == (Decimal("5"), Decimal("0"))
    assert StockMovement.objects.count() == 1

    assert movements_bulk_post(movements=batch[:2]) == 2
    item.refresh_from_db()
    other.refresh_from_db()
    assert (item.on_hand, other.on_hand) == (Decimal("1"), Decimal("7"))
    assert ledger_sum(item) == item.on_hand and ledger_sum(other) == other.on_hand


def test_database_refuses_negative_on_hand():
    item = ItemFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(item).objects.filter(pk=item.pk).update(on_hand=Decimal("-1"))


def test_database_refuses_issue_with_positive_sign():
    item = ItemFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovement.objects.create(item=item, kind="issue", quantity=Decimal("1"))


def test_database_refuses_duplicate_sku():
    ItemFactory(sku="DUP")
    with pytest.raises(IntegrityError), transaction.atomic():
        ItemFactory(sku="DUP")


def test_database_refuses_negative_unit_cost():
    with pytest.raises(IntegrityError), transaction.atomic():
        ItemFactory(unit_cost=Decimal("-0.01"))


def test_movements_bulk_post_reports_sign_and_kind_errors_by_row():
    item = ItemFactory()
    now = item.created_at
    batch = [
        MovementInput(item.pk, "receipt", Decimal("5"), now),
        MovementInput(item.pk, "issue", Decimal("1"), now),  # issues are negative
        MovementInput(item.pk, "receipt", Decimal("0"), now),
        MovementInput(item.pk, "gift", Decimal("1"), now),
        MovementInput(item.pk, "receipt", Decimal("0.0001"), now),
    ]
    with pytest.raises(MovementBatchError) as excinfo:
        movements_bulk_post(movements=batch)
    errors = excinfo.value.errors
    assert sorted(errors) == [1, 2, 3, 4]
    assert "Issue removes stock" in errors[1]
    assert "must not be zero" in errors[2]
    assert "Unknown movement kind 'gift'" in errors[3]
    assert "3 decimal places" in errors[4]
    assert not StockMovement.objects.exists()


def test_movements_bulk_post_moves_many_items_at_once():
    items = [ItemFactory(unit="kg") for _ in range(5)]  # fractions: not whole units
    now = items[0].created_at
    batch = [MovementInput(i.pk, "receipt", Decimal("1.5"), now) for i in items]
    batch += [MovementInput(i.pk, "issue", Decimal("-0.5"), now) for i in items]
    assert movements_bulk_post(movements=batch) == 10
    for item in items:
        item.refresh_from_db()
        assert item.on_hand == Decimal("1") == ledger_sum(item)
