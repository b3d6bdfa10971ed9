from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from items.models import StockMovement
from suppliers.models import DeliveryLine, DeliveryStatus
from suppliers.services import (
    DeliveryError,
    DeliveryNotReceivable,
    InvalidReceipt,
    LineOrder,
    LineReceipt,
    delivery_cancel,
    delivery_create,
    delivery_place_order,
    delivery_receive,
)
from tests.factories import (
    DeliveryFactory,
    DeliveryLineFactory,
    ItemFactory,
    SupplierFactory,
    SupplierItemFactory,
)

pytestmark = pytest.mark.django_db


def test_delivery_receive_posts_accepted_quantity_and_keeps_rejects_out(staff_user):
    line = DeliveryLineFactory(quantity_ordered=Decimal("10"))
    delivery = delivery_receive(
        delivery=line.delivery,
        receipts=[LineReceipt(line.pk, Decimal("10"), Decimal("2"), "scratched")],
        user=staff_user,
    )
    line.refresh_from_db()
    line.item.refresh_from_db()
    # the 2 rejected are still owed (DESIGN §5): the delivery stays open for them
    assert delivery.status == DeliveryStatus.PARTIALLY_RECEIVED
    assert delivery.received_at is None
    assert line.quantity_open == Decimal("2")
    assert (line.quantity_received, line.quantity_rejected) == (10, 2)
    assert line.rejection_reason == "scratched"
    assert line.item.on_hand == Decimal("8")
    movement = StockMovement.objects.get(item=line.item)
    assert (movement.kind, movement.quantity, movement.delivery_line_id) == (
        "receipt",
        Decimal("8"),
        line.pk,
    )


def test_receiving_the_same_delivery_twice_never_doubles_stock():
    line = DeliveryLineFactory(quantity_ordered=Decimal("5"))
    receipt = [LineReceipt(line.pk, Decimal("5"))]
    delivery_receive(delivery=line.delivery, receipts=receipt)
    with pytest.raises(DeliveryNotReceivable, match="Received"):
        delivery_receive(delivery=line.delivery, receipts=receipt)
    line.item.refresh_from_db()
    assert line.item.on_hand == Decimal("5")
    assert StockMovement.objects.filter(delivery_line=line).count() == 1


def test_partial_receipt_then_the_rest_completes_the_delivery():
    delivery = DeliveryFactory()
    a = DeliveryLineFactory(delivery=delivery, quantity_ordered=Decimal("10"))
    b = DeliveryLineFactory(delivery=delivery, quantity_ordered=Decimal("4"))
    delivery = delivery_receive(
        delivery=delivery, receipts=[LineReceipt(a.pk, Decimal("6"))]
    )
    assert delivery.status == DeliveryStatus.PARTIALLY_RECEIVED
    assert delivery.received_at is None
    delivery = delivery_receive(
        delivery=delivery,
        receipts=[LineReceipt(a.pk, Decimal("4")), LineReceipt(b.pk, Decimal("4"))],
    )
    assert delivery.status == DeliveryStatus.RECEIVED
    a.item.refresh_from_db()
    assert a.item.on_hand == Decimal("10")


def test_short_shipment_can_be_closed():
    line = DeliveryLineFactory(quantity_ordered=Decimal("10"))
    delivery = delivery_receive(
        delivery=line.delivery,
        receipts=[LineReceipt(line.pk, Decimal("7"))],
        close=True,
    )
    assert delivery.status == DeliveryStatus.RECEIVED


@pytest.mark.parametrize(
    ("received", "rejected", "message"),
    [
        (Decimal("-1"), Decimal("0"), "received quantity must be zero or more"),
        (Decimal("2"), Decimal("3"), "cannot reject 3, only 2 received"),
        (Decimal("0"), Decimal("0"), "Nothing received"),
    ],
)
def test_invalid_receipts_change_nothing(received, rejected, message):
    line = DeliveryLineFactory(quantity_ordered=Decimal("10"))
    with pytest.raises(InvalidReceipt, match=message):
        delivery_receive(
            delivery=line.delivery, receipts=[LineReceipt(line.pk, received, rejected)]
        )
    line.refresh_from_db()
    line.delivery.refresh_from_db()
    assert line.quantity_received == 0
    assert line.delivery.status == DeliveryStatus.ORDERED
    assert not StockMovement.objects.exists()


def test_a_line_of_another_delivery_is_refused_and_nothing_is_posted():
    line = DeliveryLineFactory()
    foreign = DeliveryLineFactory()
    with pytest.raises(InvalidReceipt, match="is not on delivery"):
        delivery_receive(
            delivery=line.delivery,
            receipts=[
                LineReceipt(line.pk, Decimal("10")),
                LineReceipt(foreign.pk, Decimal("1")),
            ],
        )
    assert not StockMovement.objects.exists()
    line.refresh_from_db()
    assert line.quantity_received == 0


@pytest.mark.parametrize("status", [DeliveryStatus.DRAFT, DeliveryStatus.CANCELLED])
def test_drafts_and_cancelled_deliveries_cannot_be_received(status):
    line = DeliveryLineFactory(delivery__status=status)
    with pytest.raises(DeliveryNotReceivable):
        delivery_receive(
            delivery=line.delivery, receipts=[LineReceipt(line.pk, Decimal("1"))]
        )


def test_create_and_order_a_delivery_promises_by_the_longest_quoted_lead_time():
    supplier = SupplierFactory()
    fast = SupplierItemFactory(supplier=supplier, quoted_lead_time_days=3)
    slow = SupplierItemFactory(supplier=supplier, quoted_lead_time_days=9)
    delivery = delivery_create(
        supplier=supplier,
        reference="PO-1",
        lines=[LineOrder(fast.item, Decimal("5")), LineOrder(slow.item, Decimal("2"))],
    )
    assert delivery.status == DeliveryStatus.DRAFT
    assert delivery.lines.count() == 2
    ordered_at = timezone.make_aware(timezone.datetime(2026, 3, 2, 10, 0))
    delivery = delivery_place_order(delivery=delivery, ordered_at=ordered_at)
    assert delivery.status == DeliveryStatus.ORDERED
    assert delivery.promised_date == date(2026, 3, 11)


def test_delivery_create_refuses_an_item_twice():
    item = ItemFactory()
    with pytest.raises(DeliveryError, match="twice"):
        delivery_create(
            supplier=SupplierFactory(),
            reference="PO-2",
            lines=[LineOrder(item, Decimal("1")), LineOrder(item, Decimal("2"))],
        )


def test_cancel_refuses_a_partially_received_delivery():
    line = DeliveryLineFactory(quantity_ordered=Decimal("10"))
    delivery_receive(
        delivery=line.delivery, receipts=[LineReceipt(line.pk, Decimal("1"))]
    )
    with pytest.raises(DeliveryError, match="can be cancelled"):
        delivery_cancel(delivery=line.delivery)


def test_database_refuses_rejected_above_received():
    line = DeliveryLineFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        DeliveryLine.objects.filter(pk=line.pk).update(
            quantity_received=Decimal("1"), quantity_rejected=Decimal("2")
        )


def test_database_refuses_a_second_source_for_the_same_supplier_and_item():
    source = SupplierItemFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SupplierItemFactory(supplier=source.supplier, item=source.item)


def test_database_refuses_duplicate_delivery_reference_and_supplier_code():
    DeliveryFactory(reference="PO-X", supplier__code="S1")
    with pytest.raises(IntegrityError), transaction.atomic():
        DeliveryFactory(reference="PO-X")
    with pytest.raises(IntegrityError), transaction.atomic():
        SupplierFactory(code="S1")


def test_a_second_receipt_keeps_the_earlier_rejection_reason():
    line = DeliveryLineFactory(quantity_ordered=Decimal("10"))
    receipt = LineReceipt(line.pk, Decimal("5"), Decimal("1"), "bent")
    delivery_receive(delivery=line.delivery, receipts=[receipt])
    receipt = LineReceipt(line.pk, Decimal("5"), Decimal("1"), "rusty")
    delivery_receive(delivery=line.delivery, receipts=[receipt])
    line.refresh_from_db()
    assert line.rejection_reason == "bent; rusty"
    assert line.quantity_rejected == Decimal("2")
