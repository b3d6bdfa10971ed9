"""The admin cannot rewrite history (issue 13, finding 10): once stock was received
against a delivery line, its item and ordered quantity, the delivery's supplier and
the posted movements stay as they were; corrections go through the ledger."""

from decimal import Decimal as D
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from items.models import StockMovement
from items.services import stock_movement_post
from suppliers.models import DeliveryLine, DeliveryStatus
from suppliers.services import LineReceipt, delivery_receive
from tests.factories import (
    DeliveryFactory,
    DeliveryLineFactory,
    ItemFactory,
    SuperuserFactory,
    SupplierFactory,
)

pytestmark = pytest.mark.django_db
NOW = "2026-03-10 10:00:00+01:00"


@pytest.fixture
def received():
    """A delivery of two lines, the first received (8 of 10, 1 rejected)."""
    with time_machine.travel(NOW, tick=False):
        delivery = DeliveryFactory(reference="PO-7", supplier__code="ACME")
        first = DeliveryLineFactory(delivery=delivery, item__sku="BOLT-8")
        second = DeliveryLineFactory(delivery=delivery, item__sku="NUT-8")
        delivery_receive(
            delivery=delivery,
            receipts=[
                LineReceipt(
                    line_id=first.pk,
                    quantity_received=D("8"),
                    quantity_rejected=D("1"),
                    rejection_reason="bent",
                )
            ],
        )
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PARTIALLY_RECEIVED
    return delivery, first, second


def change_post(delivery, lines, *, supplier, line_changes, delete=()):
    data = {
        "supplier": str(supplier.pk),
        "reference": delivery.reference,
        "ordered_at_0": "2026-03-01",
        "ordered_at_1": "09:00:00",
        "promised_date": "2026-03-09",
        "note": "edited in the admin",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": str(len(lines)),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for n, line in enumerate(lines):
        item, quantity = line_changes.get(line.pk, (line.item, line.quantity_ordered))
        data.update(
            {
                f"lines-{n}-id": str(line.pk),
                f"lines-{n}-delivery": str(delivery.pk),
                f"lines-{n}-item": str(item.pk),
                f"lines-{n}-quantity_ordered": str(quantity),
                f"lines-{n}-unit_price": "",
            }
        )
        if line.pk in delete:
            data[f"lines-{n}-DELETE"] = "on"
    return data


def ledger_is_consistent() -> bool:
    out = StringIO()
    call_command("check_ledger", stdout=out)
    return "Ledger consistent" in out.getvalue()


def test_a_received_lines_item_quantity_and_the_supplier_cannot_be_changed(
    admin_client_logged, received
):
    delivery, first, second = received
    other_item, other_supplier = ItemFactory(sku="OTHER"), SupplierFactory()
    url = reverse("admin:suppliers_delivery_change", args=[delivery.pk])
    page = admin_client_logged.get(url).content.decode()
    assert 'name="supplier"' not in page  # shown, not editable
    assert f'name="lines-0-item" value="{first.item.pk}" disabled' in page
    assert 'name="lines-0-DELETE" disabled' in page
    assert 'name="lines-1-DELETE" id=' in page  # nothing arrived on line 2
    data = change_post(
        delivery,
        [first, second],
        supplier=other_supplier,
        line_changes={first.pk: (other_item, D("99")), second.pk: (other_item, D("4"))},
        delete=(first.pk,),
    )
    response = admin_client_logged.post(url, data)
    assert response.status_code == 302, response.context and [
        f.errors for f in response.context["inline_admin_formsets"][0].formset
    ]
    delivery.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert delivery.supplier.code == "ACME"
    assert delivery.note == "edited in the admin"  # what may change did
    assert (first.item.sku, first.quantity_ordered) == ("BOLT-8", D("10"))
    assert (first.quantity_received, first.quantity_rejected) == (D("8"), D("1"))
    # The line nothing arrived on is still an order and may be changed.
    assert (second.item.sku, second.quantity_ordered) == ("OTHER", D("4"))
    movement = StockMovement.objects.get()
    assert (movement.item.sku, movement.quantity, movement.delivery_line_id) == (
        "BOLT-8",
        D("7"),
        first.pk,
    )
    first.item.refresh_from_db()
    assert first.item.on_hand == D("7")
    assert ledger_is_consistent()


def test_an_order_without_receipts_stays_editable(admin_client_logged):
    line = DeliveryLineFactory(delivery__reference="PO-8")
    delivery = line.delivery
    other_item, other_supplier = ItemFactory(sku="OTHER"), SupplierFactory()
    url = reverse("admin:suppliers_delivery_change", args=[delivery.pk])
    data = change_post(
        delivery,
        [line],
        supplier=other_supplier,
        line_changes={line.pk: (other_item, D("12"))},
    )
    assert admin_client_logged.post(url, data).status_code == 302
    delivery.refresh_from_db()
    line.refresh_from_db()
    assert delivery.supplier == other_supplier
    assert (line.item, line.quantity_ordered) == (other_item, D("12"))


def test_a_delivery_with_receipts_cannot_be_deleted_in_the_admin(
    admin_client_logged, received
):
    delivery, first, _ = received
    url = reverse("admin:suppliers_delivery_delete", args=[delivery.pk])
    assert admin_client_logged.get(url).status_code == 403
    assert admin_client_logged.post(url, {"post": "yes"}).status_code == 403
    assert DeliveryLine.objects.filter(delivery=delivery).count() == 2


def test_a_fully_rejected_line_is_history_too(admin_client_logged):
    """Nothing was posted (all rejected), but the inspection happened."""
    line = DeliveryLineFactory(delivery__reference="PO-9")
    delivery_receive(
        delivery=line.delivery,
        receipts=[
            LineReceipt(
                line_id=line.pk,
                quantity_received=D("10"),
                quantity_rejected=D("10"),
                rejection_reason="wet",
            )
        ],
    )
    line.refresh_from_db()
    assert not StockMovement.objects.exists()
    url = reverse("admin:suppliers_delivery_change", args=[line.delivery.pk])
    data = change_post(
        line.delivery,
        [line],
        supplier=line.delivery.supplier,
        line_changes={line.pk: (ItemFactory(), D("1"))},
        delete=(line.pk,),
    )
    assert admin_client_logged.post(url, data).status_code == 302
    line.refresh_from_db()
    assert line.quantity_ordered == D("10") and line.quantity_received == D("10")


def test_posted_movements_cannot_be_changed_or_deleted_in_the_admin(
    admin_client_logged,
):
    item = ItemFactory()
    movement = stock_movement_post(item=item, kind="receipt", quantity=D("5"))
    change = reverse("admin:items_stockmovement_change", args=[movement.pk])
    page = admin_client_logged.get(change)
    assert page.status_code == 200 and b'name="quantity"' not in page.content
    response = admin_client_logged.post(
        change, {"item": str(item.pk), "kind": "receipt", "quantity": "500"}
    )
    assert response.status_code == 403
    delete = reverse("admin:items_stockmovement_delete", args=[movement.pk])
    assert admin_client_logged.post(delete, {"post": "yes"}).status_code == 403
    movement.refresh_from_db()
    item.refresh_from_db()
    assert movement.quantity == D("5") and item.on_hand == D("5")


def test_the_api_offers_no_way_to_change_deliveries_or_movements(received):
    delivery, first, _ = received
    client = APIClient()
    client.force_authenticate(SuperuserFactory(username="root"))
    movement = StockMovement.objects.get()
    other = SupplierFactory(code="OTHER")
    attempts = [
        client.patch(
            f"/api/v1/deliveries/{delivery.reference}/", {"supplier": "OTHER"}
        ),
        client.put(f"/api/v1/deliveries/{delivery.reference}/", {"supplier": "OTHER"}),
        client.delete(f"/api/v1/deliveries/{delivery.reference}/"),
        client.patch(f"/api/v1/movements/{movement.pk}/", {"quantity": "500"}),
        client.delete(f"/api/v1/movements/{movement.pk}/"),
    ]
    assert [r.status_code for r in attempts] == [405, 405, 405, 404, 404]
    delivery.refresh_from_db()
    movement.refresh_from_db()
    assert delivery.supplier.code == "ACME" and other.deliveries.count() == 0
    assert movement.quantity == D("7")


def test_a_correction_goes_through_the_ledger_with_a_note(received):
    _, first, _ = received
    stock_movement_post(
        item=first.item,
        kind="adjustment",
        quantity=D("-2"),
        note="PO-7: two of the eight were for another site",
    )
    first.item.refresh_from_db()
    assert first.item.on_hand == D("5")
    assert ledger_is_consistent()


def test_bulk_delete_of_an_inspected_delivery_deletes_nothing(admin_client_logged):
    """All rejected: no movement protects the line, the receipt check does."""
    line = DeliveryLineFactory(delivery__reference="PO-10")
    delivery_receive(
        delivery=line.delivery,
        receipts=[
            LineReceipt(
                line_id=line.pk,
                quantity_received=D("10"),
                quantity_rejected=D("10"),
                rejection_reason="wet",
            )
        ],
    )
    response = admin_client_logged.post(
        reverse("admin:suppliers_delivery_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [str(line.delivery.pk)],
            "post": "yes",
        },
    )
    assert response.status_code == 403  # Django: no permission to delete a delivery
    assert DeliveryLine.objects.filter(pk=line.pk).exists()
