"""Items counted in whole units (``WHOLE_UNITS``, e.g. ``ea``) refuse fractional
quantities in every movement path; other units (kg, m) keep 3 decimal places."""

from decimal import Decimal as D

import pytest

from items.models import StockMovement
from items.services import (
    InvalidQuantity,
    MovementBatchError,
    MovementInput,
    check_whole_units,
    counts_in_whole_units,
    movements_bulk_post,
    stock_adjust,
    stock_issue,
    stock_receive,
)
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("unit", "whole"),
    [("ea", True), ("EA", True), (" pcs ", True), ("kg", False), ("m", False)],
)
def test_which_units_are_whole(unit, whole):
    assert counts_in_whole_units(unit) is whole


def test_the_whole_units_come_from_settings(settings):
    settings.WHOLE_UNITS = ["roll"]
    assert counts_in_whole_units("roll") and not counts_in_whole_units("ea")


def test_check_whole_units_names_the_item_and_quantity():
    with pytest.raises(InvalidQuantity, match="BOLT-8 is counted in whole ea: 2.5"):
        check_whole_units(sku="BOLT-8", unit="ea", quantity=D("2.5"))
    check_whole_units(sku="BOLT-8", unit="ea", quantity=D("3.000"))
    check_whole_units(sku="FLOUR", unit="kg", quantity=D("2.5"))


@pytest.mark.parametrize("post", [stock_receive, stock_issue, stock_adjust])
def test_movements_of_whole_unit_items_refuse_fractions(post):
    item = ItemFactory(unit="ea")
    stock_receive(item=item, quantity=D("10"))
    with pytest.raises(InvalidQuantity, match="whole ea"):
        post(item=item, quantity=D("0.5"))
    item.refresh_from_db()
    assert item.on_hand == D("10")
    assert StockMovement.objects.count() == 1


def test_a_batch_with_a_fraction_of_a_whole_unit_item_writes_nothing():
    whole, kg = ItemFactory(unit="ea"), ItemFactory(unit="kg")
    now = whole.created_at
    batch = [
        MovementInput(kg.pk, "receipt", D("1.5"), now),
        MovementInput(whole.pk, "receipt", D("1.5"), now),
    ]
    with pytest.raises(MovementBatchError) as excinfo:
        movements_bulk_post(movements=batch)
    assert list(excinfo.value.errors) == [1]
    assert "whole ea" in excinfo.value.errors[1]
    assert not StockMovement.objects.exists()
