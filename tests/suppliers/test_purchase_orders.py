"""Purchase orders (DESIGN §5): drafts, place, cancel, receiving rules, close short,
the document and the e-mail."""

from datetime import date, timedelta
from decimal import Decimal as D
from io import BytesIO

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from items.models import StockMovement
from jobs.models import Job
from suppliers.documents import purchase_order_pdf
from suppliers.models import Delivery, DeliveryLine, DeliveryStatus
from suppliers.selectors import supplier_scores_compute
from suppliers.services import (
    DeliveryError,
    InvalidReceipt,
    InvalidTransition,
    LineOrder,
    LineReceipt,
    OverReceipt,
    delivery_cancel,
    delivery_close_short,
    delivery_draft_add,
    delivery_line_remove,
    delivery_line_update,
    delivery_place_order,
    delivery_receive,
    delivery_send_order,
    delivery_send_order_or_queue,
)
from tests.factories import (
    DeliveryFactory,
    DeliveryLineFactory,
    SupplierFactory,
    SupplierItemFactory,
)

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(timezone.datetime(2026, 3, 2, 10, 0))


def draft_with(supplier=None, *specs):
    """A draft for ``supplier`` with (source, quantity) lines."""
    supplier = supplier or SupplierFactory()
    return delivery_draft_add(
        supplier=supplier,
        lines=[LineOrder(src.item, D(q), src.unit_price) for src, q in specs],
    )


def snapshot(delivery):
    delivery = Delivery.objects.get(pk=delivery.pk)
    lines = list(
        DeliveryLine.objects.filter(delivery=delivery)
        .order_by("pk")
        .values_list("item_id", "quantity_ordered", "quantity_received")
    )
    return delivery.status, delivery.ordered_at, delivery.promised_date, lines


# --- the one open draft per supplier ---


def test_accepting_twice_adds_to_the_one_open_draft_and_merges_an_item():
    supplier = SupplierFactory(code="ACME")
    a, b = (SupplierItemFactory(supplier=supplier) for _ in range(2))
    first = draft_with(supplier, (a, "5"))
    second = draft_with(supplier, (b, "2"), (a, "3"))
    assert first.pk == second.pk
    assert Delivery.objects.filter(supplier=supplier).count() == 1
    assert first.reference.startswith("JIT-") and "ACME" in first.reference
    quantities = dict(first.lines.values_list("item_id", "quantity_ordered"))
    assert quantities == {a.item_id: D("8"), b.item_id: D("2")}
    assert first.lines.get(item=a.item).unit_price == a.unit_price


def test_a_placed_order_is_not_reused_a_new_draft_gets_a_new_reference():
    supplier = SupplierFactory(code="ACME")
    src = SupplierItemFactory(supplier=supplier)
    first = draft_with(supplier, (src, "5"))
    delivery_place_order(delivery=first, send=False)
    second = draft_with(supplier, (src, "5"))
    assert second.pk != first.pk and second.status == DeliveryStatus.DRAFT
    assert second.reference != first.reference


def test_other_suppliers_get_their_own_draft():
    a, b = SupplierItemFactory(), SupplierItemFactory()
    assert draft_with(a.supplier, (a, "1")).pk != draft_with(b.supplier, (b, "1")).pk


@pytest.mark.parametrize("quantity", ["0", "-1", "1.0001", "2.5"])
def test_draft_refuses_bad_and_fractional_quantities_of_whole_unit_items(quantity):
    src = SupplierItemFactory(item__unit="ea")
    with pytest.raises(DeliveryError) as excinfo:
        draft_with(src.supplier, (src, quantity))
    assert excinfo.value.code == "invalid_quantity"
    assert not Delivery.objects.exists()


def test_fractions_are_fine_for_items_not_counted_in_whole_units():
    src = SupplierItemFactory(item__unit="kg")
    draft = draft_with(src.supplier, (src, "2.5"))
    assert draft.lines.get().quantity_ordered == D("2.5")


# --- editing drafts ---


def test_draft_lines_can_be_edited_and_removed():
    a, b = SupplierItemFactory(), SupplierItemFactory()
    draft = draft_with(a.supplier, (a, "5"))
    draft_with(a.supplier, (SupplierItemFactory(supplier=a.supplier, item=b.item), "1"))
    line = draft.lines.get(item=a.item)
    assert delivery_line_update(line=line, quantity="7").quantity_ordered == 7
    delivery_line_remove(line=line)
    assert list(draft.lines.values_list("item_id", flat=True)) == [b.item_id]


@pytest.mark.parametrize(
    "status", [DeliveryStatus.ORDERED, DeliveryStatus.RECEIVED, "cancelled"]
)
def test_lines_of_a_non_draft_cannot_be_edited_or_removed(status):
    line = DeliveryLineFactory(delivery__status=status)
    before = snapshot(line.delivery)
    with pytest.raises(InvalidTransition) as excinfo:
        delivery_line_update(line=line, quantity="3")
    assert excinfo.value.code == "not_draft"
    with pytest.raises(InvalidTransition):
        delivery_line_remove(line=line)
    assert snapshot(line.delivery) == before


# --- place ---


@time_machine.travel(NOW, tick=False)
def test_place_sets_ordered_at_and_promises_today_plus_the_quoted_lead_time():
    src = SupplierItemFactory(quoted_lead_time_days=9)
    draft = draft_with(src.supplier, (src, "5"))
    delivery = delivery_place_order(delivery=draft, send=False)
    assert delivery.status == DeliveryStatus.ORDERED
    assert delivery.ordered_at == NOW
    assert delivery.promised_date == date(2026, 3, 11)
    assert "Ordered 02 Mar 2026" in delivery.note


@time_machine.travel(NOW, tick=False)
def test_place_keeps_a_given_promised_date_and_refuses_one_in_the_past():
    src = SupplierItemFactory()
    draft = draft_with(src.supplier, (src, "5"))
    with pytest.raises(DeliveryError) as excinfo:
        delivery_place_order(delivery=draft, promised_date=date(2026, 3, 1))
    assert excinfo.value.code == "invalid_promised_date"
    assert Delivery.objects.get(pk=draft.pk).status == DeliveryStatus.DRAFT
    delivery = delivery_place_order(
        delivery=draft, promised_date=date(2026, 4, 1), send=False
    )
    assert delivery.promised_date == date(2026, 4, 1)


def test_place_fills_missing_unit_prices_from_the_source():
    src = SupplierItemFactory(unit_price=D("2.40"))
    draft = draft_with(src.supplier, (src, "5"))
    DeliveryLine.objects.update(unit_price=None)
    delivery_place_order(delivery=draft, send=False)
    assert draft.lines.get().unit_price == D("2.40")


def test_place_needs_at_least_one_line():
    src = SupplierItemFactory()
    draft = draft_with(src.supplier, (src, "5"))
    delivery_line_remove(line=draft.lines.get())
    with pytest.raises(InvalidTransition) as excinfo:
        delivery_place_order(delivery=draft)
    assert excinfo.value.code == "no_lines"
    assert Delivery.objects.get(pk=draft.pk).status == DeliveryStatus.DRAFT


@pytest.mark.parametrize(
    "status",
    [DeliveryStatus.ORDERED, DeliveryStatus.PARTIALLY_RECEIVED,
     DeliveryStatus.RECEIVED, DeliveryStatus.CANCELLED],
)  # fmt: skip
def test_only_a_draft_can_be_placed_and_nothing_changes(status):
    line = DeliveryLineFactory(delivery__status=status)
    before = snapshot(line.delivery)
    with pytest.raises(InvalidTransition) as excinfo:
        delivery_place_order(delivery=line.delivery)
    assert excinfo.value.code == "not_draft"
    assert snapshot(line.delivery) == before


# --- cancel ---


@pytest.mark.parametrize("status", [DeliveryStatus.DRAFT, DeliveryStatus.ORDERED])
def test_cancel_a_draft_or_an_order_with_a_reason(status, staff_user):
    line = DeliveryLineFactory(delivery__status=status)
    delivery = delivery_cancel(
        delivery=line.delivery, reason="  found a cheaper source ", user=staff_user
    )
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.CANCELLED
    assert delivery.cancel_reason == "found a cheaper source"
    assert delivery.cancelled_at is not None
    assert "by staff: found a cheaper source" in delivery.note


def test_cancel_needs_a_reason():
    line = DeliveryLineFactory()
    with pytest.raises(DeliveryError) as excinfo:
        delivery_cancel(delivery=line.delivery, reason="  ")
    assert excinfo.value.code == "reason_required"
    assert not isinstance(excinfo.value, InvalidTransition)
    assert Delivery.objects.get(pk=line.delivery_id).status == DeliveryStatus.ORDERED


@pytest.mark.parametrize(
    "status",
    [DeliveryStatus.PARTIALLY_RECEIVED, DeliveryStatus.RECEIVED,
     DeliveryStatus.CANCELLED],
)  # fmt: skip
def test_cancel_refuses_received_and_cancelled_deliveries(status):
    line = DeliveryLineFactory(delivery__status=status)
    before = snapshot(line.delivery)
    with pytest.raises(InvalidTransition) as excinfo:
        delivery_cancel(delivery=line.delivery, reason="oops")
    assert excinfo.value.code == "not_cancellable"
    assert snapshot(line.delivery) == before


# --- receiving: rejected parts are owed, tolerance, whole units, close short ---


def test_rejected_parts_stay_owed_forty_ordered_forty_received_two_rejected():
    line = DeliveryLineFactory(quantity_ordered=D("40"))
    delivery = delivery_receive(
        delivery=line.delivery,
        receipts=[LineReceipt(line.pk, D("40"), D("2"), "cracked")],
    )
    line.refresh_from_db()
    line.item.refresh_from_db()
    assert line.item.on_hand == D("38")
    assert delivery.status == DeliveryStatus.PARTIALLY_RECEIVED
    assert line.quantity_open == D("2")
    # the replacement arrives: the line and the delivery are complete
    delivery = delivery_receive(
        delivery=delivery, receipts=[LineReceipt(line.pk, D("2"))]
    )
    line.refresh_from_db()
    line.item.refresh_from_db()
    assert delivery.status == DeliveryStatus.RECEIVED
    assert line.item.on_hand == D("40")
    assert line.quantity_open == 0 and line.quantity_short == 0


def test_close_short_records_the_shortfall_for_the_fill_rate(staff_user):
    line = DeliveryLineFactory(quantity_ordered=D("40"))
    delivery_receive(
        delivery=line.delivery,
        receipts=[LineReceipt(line.pk, D("40"), D("2"), "cracked")],
    )
    delivery = delivery_close_short(delivery=line.delivery, user=staff_user)
    line.refresh_from_db()
    assert delivery.status == DeliveryStatus.RECEIVED
    assert delivery.received_at is not None
    assert line.quantity_short == D("2")
    assert f"2 {line.item.sku} not delivered" in delivery.note
    score = supplier_scores_compute()[line.delivery.supplier_id]
    assert score.fill_rate == D("0.95")  # 38 of 40
    assert score.defect_rate == D("0.05")  # 2 of 40 received


@pytest.mark.parametrize(
    "status",
    [DeliveryStatus.DRAFT, DeliveryStatus.ORDERED, DeliveryStatus.RECEIVED,
     DeliveryStatus.CANCELLED],
)  # fmt: skip
def test_only_a_partially_received_delivery_can_be_closed_short(status):
    line = DeliveryLineFactory(delivery__status=status)
    before = snapshot(line.delivery)
    with pytest.raises(InvalidTransition) as excinfo:
        delivery_close_short(delivery=line.delivery)
    assert excinfo.value.code == "not_closable"
    assert snapshot(line.delivery) == before


def test_over_receipt_beyond_the_tolerance_is_refused_naming_line_and_maximum():
    line = DeliveryLineFactory(quantity_ordered=D("98"), item__sku="BOLT-8")
    with pytest.raises(OverReceipt) as excinfo:
        delivery_receive(
            delivery=line.delivery, receipts=[LineReceipt(line.pk, D("500"))]
        )
    error = excinfo.value
    assert error.line_id == line.pk and error.sku == "BOLT-8"
    assert error.maximum == D("107")  # 98 × 1.1 = 107.8, whole ea
    assert "BOLT-8" in str(error) and "at most 107" in str(error)
    assert error.code == "over_receipt"
    line.refresh_from_db()
    assert line.quantity_received == 0 and not StockMovement.objects.exists()


def test_over_receipt_within_the_tolerance_is_booked_and_noted():
    line = DeliveryLineFactory(quantity_ordered=D("40"), item__sku="NUT-6")
    delivery = delivery_receive(
        delivery=line.delivery, receipts=[LineReceipt(line.pk, D("44"))]
    )
    line.item.refresh_from_db()
    assert line.item.on_hand == D("44")
    assert delivery.status == DeliveryStatus.RECEIVED
    assert delivery.receipt_notes == [
        "Over-receipt of NUT-6: 44 accepted against 40 ordered "
        "(within the 10 % tolerance)."
    ]
    assert "Over-receipt of NUT-6" in Delivery.objects.get(pk=delivery.pk).note


def test_the_tolerance_counts_accepted_parts_so_replacements_are_allowed():
    line = DeliveryLineFactory(quantity_ordered=D("40"))
    delivery_receive(
        delivery=line.delivery, receipts=[LineReceipt(line.pk, D("40"), D("10"), "x")]
    )
    # 50 received in all, but only 40 accepted: not an over-receipt
    delivery = delivery_receive(
        delivery=line.delivery, receipts=[LineReceipt(line.pk, D("10"))]
    )
    assert delivery.status == DeliveryStatus.RECEIVED


def test_the_tolerance_comes_from_settings(settings):
    settings.RECEIPT_OVER_TOLERANCE = "0"
    line = DeliveryLineFactory(quantity_ordered=D("10"))
    with pytest.raises(OverReceipt, match="at most 10 is allowed"):
        delivery_receive(
            delivery=line.delivery, receipts=[LineReceipt(line.pk, D("11"))]
        )


@pytest.mark.parametrize(("received", "rejected"), [("2.5", "0"), ("3", "0.5")])
def test_whole_unit_items_refuse_fractional_receipts(received, rejected):
    line = DeliveryLineFactory(quantity_ordered=D("10"), item__unit="pcs")
    with pytest.raises(InvalidReceipt, match="whole pcs"):
        delivery_receive(
            delivery=line.delivery,
            receipts=[LineReceipt(line.pk, D(received), D(rejected), "bad")],
        )
    assert not StockMovement.objects.exists()


# --- a draft counts as on order; cancelling gives the quantity back ---


def test_open_quantity_for_planning_counts_rejected_parts_as_owed():

    from replenishment.generation import Chunk, _on_order, _on_order_send

    line = DeliveryLineFactory(quantity_ordered=D("40"))
    delivery_receive(
        delivery=line.delivery, receipts=[LineReceipt(line.pk, D("40"), D("2"), "x")]
    )
    assert _on_order(_on_order_send(Chunk(ids=(line.item_id,)))) == {
        line.item_id: D("2")
    }
    delivery_cancel_or_close = delivery_close_short(delivery=line.delivery)
    assert delivery_cancel_or_close.status == DeliveryStatus.RECEIVED
    assert _on_order(_on_order_send(Chunk(ids=(line.item_id,)))) == {}


# --- the document and the e-mail ---


def placed_order(email="orders@acme.example"):
    supplier = SupplierFactory(code="ACME", name="Acme Fasteners", email=email)
    a = SupplierItemFactory(
        supplier=supplier, item__sku="BOLT-8", item__name="Hex bolt M8",
        supplier_sku="AC-B8", unit_price=D("0.25"),
    )  # fmt: skip
    b = SupplierItemFactory(
        supplier=supplier, item__sku="NUT-6", item__unit="kg",
        supplier_sku="AC-N6", unit_price=D("4.10"),
    )  # fmt: skip
    draft = draft_with(supplier, (a, "400"), (b, "2.5"))
    return delivery_place_order(delivery=draft, send=False)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def test_the_pdf_shows_reference_lines_quantities_and_total(settings):
    settings.COMPANY_NAME = "Muster Maschinenbau GmbH"
    delivery = placed_order()
    data = purchase_order_pdf(delivery)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for expected in [
        "Muster Maschinenbau GmbH", delivery.reference, "Acme Fasteners",
        "BOLT-8", "AC-B8", "Hex bolt M8", "400", "NUT-6", "AC-N6", "2.5",
        "0.25", "100.00", "10.25", "Order total: 110.25 EUR",
        f"{delivery.promised_date:%d %b %Y}",
    ]:  # fmt: skip
        assert expected in text, expected


def test_the_pdf_survives_text_outside_latin_1():
    delivery = placed_order()
    delivery.supplier.name = "Łódź Śruby Sp. z o.o. — 东莞"
    delivery.supplier.save()
    text = pdf_text(purchase_order_pdf(delivery))
    assert "Lódz Sruby Sp. z o.o. — ??" in text


def test_placing_emails_the_pdf_and_records_it(django_capture_on_commit_callbacks):
    supplier = SupplierFactory(email="orders@acme.example")
    src = SupplierItemFactory(supplier=supplier, item__sku="BOLT-8")
    draft = draft_with(supplier, (src, "10"))
    with django_capture_on_commit_callbacks(execute=True):
        delivery_place_order(delivery=draft)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["orders@acme.example"]
    assert draft.reference in message.subject
    ((name, content, mimetype),) = message.attachments
    assert (name, mimetype) == (f"{draft.reference}.pdf", "application/pdf")
    assert "BOLT-8" in pdf_text(content)
    draft.refresh_from_db()
    assert draft.sent_to == "orders@acme.example" and draft.sent_at is not None
    # sending again does nothing
    assert delivery_send_order(delivery_id=draft.pk)
    assert len(mail.outbox) == 1


def test_a_send_failure_keeps_the_order_is_shown_and_queued_for_retry(
    settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.suppliers.test_purchase_orders.BrokenBackend"
    supplier = SupplierFactory(email="orders@acme.example")
    src = SupplierItemFactory(supplier=supplier)
    draft = draft_with(supplier, (src, "10"))
    with django_capture_on_commit_callbacks(execute=True):
        delivery_place_order(delivery=draft)
    draft.refresh_from_db()
    assert draft.status == DeliveryStatus.ORDERED
    assert draft.sent_at is None
    assert draft.send_error == "ConnectionRefusedError: mail server down"
    job = Job.objects.get()
    assert job.task_name == "suppliers.tasks.delivery_send_order_task"
    assert job.args == [draft.pk]
    # the retry (what the task runs) succeeds once the server is back
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from suppliers.tasks import delivery_send_order_task

    assert delivery_send_order_task.run(draft.pk)
    draft.refresh_from_db()
    assert draft.sent_at is not None and draft.send_error == ""


def test_the_retry_task_raises_while_the_server_is_down(settings):
    settings.EMAIL_BACKEND = "tests.suppliers.test_purchase_orders.BrokenBackend"
    delivery = placed_order()
    with pytest.raises(ConnectionRefusedError):
        delivery_send_order(delivery_id=delivery.pk, raise_errors=True)


def test_a_supplier_without_an_address_is_shown_not_retried():
    delivery = placed_order(email="")
    assert not delivery_send_order_or_queue(delivery.pk)
    delivery.refresh_from_db()
    assert "has no e-mail address" in delivery.send_error
    assert not Job.objects.exists() and not mail.outbox


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def test_late_means_open_and_promised_before_today():
    today = timezone.localdate()
    late = DeliveryFactory(promised_date=today - timedelta(days=1))
    due = DeliveryFactory(promised_date=today)
    done = DeliveryFactory(
        promised_date=today - timedelta(days=3), status=DeliveryStatus.RECEIVED
    )
    assert late.is_late() and not due.is_late() and not done.is_late()


def test_an_order_being_sent_elsewhere_is_not_sent_twice():
    from inventory_site.locks import job_lock

    delivery = placed_order()
    with job_lock(f"purchase-order-send:{delivery.pk}", expiry=60) as mine:
        assert mine
        assert not delivery_send_order(delivery_id=delivery.pk)
    assert not mail.outbox
    assert delivery_send_order(delivery_id=delivery.pk)
    assert len(mail.outbox) == 1
