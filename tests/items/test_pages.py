"""The item pages: the list filters and sorts, the movement form goes through
the ledger and says what went wrong."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from items.models import StockMovement
from tests.scenarios import make_items

pytestmark = pytest.mark.django_db


def test_item_list_filters_and_sorts(staff_client, world):
    make_items(30)
    response = staff_client.get(
        reverse("item_list"), {"abc_class": "B", "sort": "-on_hand"}
    )
    items = list(response.context["page"].object_list)
    assert items and all(i.abc_class == "B" for i in items)
    assert [i.on_hand for i in items] == sorted(
        (i.on_hand for i in items), reverse=True
    )
    response = staff_client.get(reverse("item_list"), {"q": "bolt"})
    assert [i.sku for i in response.context["page"].object_list] == ["BOLT-8"]
    response = staff_client.get(reverse("item_list"), {"below_rop": "on"})
    assert all(i.on_hand <= i.reorder_point for i in response.context["page"])


def test_recording_consumption_moves_stock(staff_client, world):
    item = world[0].item
    url = reverse("movement_create", args=[item.sku])
    response = staff_client.post(url, {"kind": "issue", "quantity": "5"}, follow=True)
    assert "Recorded issue of 5 ea; on hand now 15." in response.content.decode()
    item.refresh_from_db()
    assert item.on_hand == D("15")


def test_issuing_more_than_on_hand_says_so_and_changes_nothing(staff_client, world):
    item = world[0].item
    url = reverse("movement_create", args=[item.sku])
    response = staff_client.post(url, {"kind": "issue", "quantity": "21"}, follow=True)
    assert "Nothing recorded: Cannot take 21 of BOLT-8: only 20 on hand." in (
        response.content.decode()
    )
    item.refresh_from_db()
    assert item.on_hand == D("20")
    assert StockMovement.objects.filter(item=item).count() == 1


def test_bad_quantity_is_a_field_error(staff_client, world):
    url = reverse("movement_create", args=[world[0].item.sku])
    response = staff_client.post(
        url, {"kind": "issue", "quantity": "lots"}, follow=True
    )
    assert "Nothing recorded: Quantity: Enter a number." in response.content.decode()
