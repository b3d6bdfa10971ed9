"""The buyer's pages for purchase orders: wiring, permissions, messages, and that
a refusal changes nothing."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from replenishment.models import Suggestion
from suppliers.models import Delivery, DeliveryStatus
from tests.factories import (
    DeliveryFactory,
    DeliveryLineFactory,
    SupplierFactory,
    SupplierItemFactory,
    UserFactory,
)
from tests.replenishment.test_services import suggestion

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    supplier = SupplierFactory(code="ACME", email="orders@acme.example")
    sources = [
        SupplierItemFactory(
            supplier=supplier, item__sku=f"BOLT-{n}", unit_price=D("2.00")
        )
        for n in range(3)
    ]
    today = timezone.localdate()
    suggestions = [
        suggestion(src, "10", order_by=today + timedelta(days=n - 1))
        for n, src in enumerate(sources)
    ]  # BOLT-0 and BOLT-1 due, BOLT-2 tomorrow
    return supplier, sources, suggestions


def test_suggestions_page_has_checkboxes_quantities_and_accept_all_due(
    staff_client, acme
):
    content = staff_client.get(reverse("suggestion_list")).content.decode()
    assert 'type="checkbox" name="suggestion"' in content
    assert "Accept selected" in content
    assert "Accept all 2 due for ACME" in content
    assert "<script" not in content


def test_accept_selected_with_one_changed_quantity(staff_client, acme):
    _, _, (s0, s1, s2) = acme
    response = staff_client.post(
        reverse("suggestions_accept"),
        {"suggestion": [s0.pk, s1.pk], f"quantity-{s1.pk}": "4",
         f"quantity-{s2.pk}": "99"},
        follow=True,
    )  # fmt: skip
    assert "Accepted 2 suggestion(s) into draft deliveries JIT-" in (
        response.content.decode()
    )
    draft = Delivery.objects.get()
    assert dict(draft.lines.values_list("item__sku", "quantity_ordered")) == {
        "BOLT-0": D("10"), "BOLT-1": D("4"),
    }  # fmt: skip
    assert Suggestion.objects.get(pk=s2.pk).status == "open"


def test_a_rows_own_accept_button_takes_only_that_row(staff_client, acme):
    _, _, (s0, s1, _) = acme
    staff_client.post(
        reverse("suggestions_accept"),
        {"only": s1.pk, "suggestion": [s0.pk], f"quantity-{s1.pk}": "6"},
    )
    assert list(Suggestion.objects.filter(status="accepted")) == [s1]
    assert Delivery.objects.get().lines.get().quantity_ordered == D("6")


def test_accept_all_due_for_a_supplier(staff_client, acme):
    staff_client.post(reverse("suggestions_accept"), {"due_supplier": "ACME"})
    assert Suggestion.objects.filter(status="accepted").count() == 2


@pytest.mark.parametrize("quantity", ["abc", "2.5", "0"])
def test_a_bad_quantity_accepts_nothing_and_says_why(staff_client, acme, quantity):
    _, _, (s0, *_) = acme
    response = staff_client.post(
        reverse("suggestions_accept"),
        {"suggestion": [s0.pk], f"quantity-{s0.pk}": quantity},
        follow=True,
    )
    assert "Nothing accepted:" in response.content.decode()
    assert not Delivery.objects.exists()


def draft_of(acme, client):
    _, _, (s0, s1, _) = acme
    client.post(reverse("suggestions_accept"), {"suggestion": [s0.pk, s1.pk]})
    return Delivery.objects.get()


def test_draft_page_edits_removes_places_and_links_the_document(staff_client, acme):
    draft = draft_of(acme, staff_client)
    url = reverse("delivery_detail", args=[draft.reference])
    content = staff_client.get(url).content.decode()
    assert "Draft — to order" in content and "Place order" in content
    assert "40.00 EUR" in content  # 2 × 10 × 2.00
    assert reverse("delivery_document_pdf", args=[draft.reference]) in content
    assert reverse("delivery_document_print", args=[draft.reference]) in content
    line0, line1 = draft.lines.order_by("item__sku")
    staff_client.post(
        reverse("delivery_line_quantity", args=[line0.pk]), {"quantity": "12"}
    )
    line0.refresh_from_db()
    assert line0.quantity_ordered == D("12")
    response = staff_client.post(
        reverse("draft_line_remove", args=[line1.pk]), follow=True
    )
    assert "Its suggestion is open again." in response.content.decode()
    assert Suggestion.objects.get(item=line1.item).status == "open"
    response = staff_client.post(
        reverse("delivery_place", args=[draft.reference]), follow=True
    )
    draft.refresh_from_db()
    assert draft.status == DeliveryStatus.ORDERED
    assert "e-mailed" in response.content.decode() or "not e-mailed" in (
        response.content.decode()
    )


def test_placing_from_the_page_emails_the_order(staff_client, acme, settings):
    draft = draft_of(acme, staff_client)
    # the page test runs inside a transaction: send as the commit hook would
    from suppliers.services import delivery_send_order

    staff_client.post(reverse("delivery_place", args=[draft.reference]))
    assert delivery_send_order(delivery_id=draft.pk)
    assert mail.outbox[0].attachments[0][2] == "application/pdf"
    content = staff_client.get(
        reverse("delivery_detail", args=[draft.reference])
    ).content.decode()
    assert "e-mailed to orders@acme.example" in content


def test_placing_twice_from_the_page_is_refused_with_a_message(staff_client, acme):
    draft = draft_of(acme, staff_client)
    staff_client.post(reverse("delivery_place", args=[draft.reference]))
    response = staff_client.post(reverse("delivery_place", args=[draft.reference]))
    assert response.status_code == 409
    assert "only a draft can be placed" in response.content.decode()


def test_cancel_needs_a_reason_then_cancels(staff_client, acme):
    draft = draft_of(acme, staff_client)
    url = reverse("delivery_cancel", args=[draft.reference])
    assert staff_client.post(url, {"reason": ""}).status_code == 400
    assert Delivery.objects.get().status == "draft"
    response = staff_client.post(url, {"reason": "wrong supplier"}, follow=True)
    assert "may be suggested again" in response.content.decode()
    assert Delivery.objects.get().status == "cancelled"


def test_received_delivery_cannot_be_cancelled_from_the_page(staff_client):
    line = DeliveryLineFactory(delivery__status="received", delivery__reference="R-1")
    response = staff_client.post(
        reverse("delivery_cancel", args=["R-1"]), {"reason": "x"}
    )
    assert response.status_code == 409
    assert Delivery.objects.get(pk=line.delivery_id).status == "received"


def test_over_receipt_is_refused_on_the_page_naming_the_line(staff_client):
    line = DeliveryLineFactory(
        quantity_ordered=D("98"), item__sku="NUT-1", delivery__reference="PO-9"
    )
    data = {
        "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "1",
        "lines-0-line": str(line.pk), "lines-0-quantity_received": "500",
        "lines-0-quantity_rejected": "0",
    }  # fmt: skip
    response = staff_client.post(reverse("delivery_receive", args=["PO-9"]), data)
    assert response.status_code == 400
    assert "NUT-1" in response.content.decode()
    assert "at most 107 is allowed" in response.content.decode()
    line.refresh_from_db()
    assert line.quantity_received == 0


def test_close_short_from_the_page(staff_client):
    line = DeliveryLineFactory(
        delivery__status="partially_received", delivery__reference="P-1",
        quantity_ordered=D("10"), quantity_received=D("10"), quantity_rejected=D("2"),
    )  # fmt: skip
    staff_client.post(reverse("delivery_close_short", args=["P-1"]))
    line.refresh_from_db()
    assert line.delivery.status == "received" and line.quantity_short == D("2")


def test_the_print_page_and_the_pdf(staff_client, acme):
    draft = draft_of(acme, staff_client)
    page = staff_client.get(reverse("delivery_document_print", args=[draft.reference]))
    content = page.content.decode()
    assert "BOLT-0" in content and "40.00 EUR" in content and "<script" not in content
    pdf = staff_client.get(reverse("delivery_document_pdf", args=[draft.reference]))
    assert pdf["Content-Type"] == "application/pdf"


def test_delivery_list_shows_drafts_to_order_and_late_ones_first(staff_client):
    today = timezone.localdate()
    DeliveryFactory(reference="ON-TIME", promised_date=today + timedelta(days=3))
    DeliveryFactory(reference="DRAFT-1", status="draft", promised_date=None)
    DeliveryFactory(reference="LATE-1", promised_date=today - timedelta(days=2))
    content = staff_client.get(reverse("delivery_list")).content.decode()
    order = [content.index(ref) for ref in ("LATE-1", "DRAFT-1", "ON-TIME")]
    assert order == sorted(order)
    assert "to order" in content
    assert f"late since {today - timedelta(days=2):%-d %b}" in content
    late_only = staff_client.get(reverse("delivery_list") + "?status=late")
    assert "ON-TIME" not in late_only.content.decode()


def test_item_page_shows_on_order_and_late_since(staff_client):
    today = timezone.localdate()
    src = SupplierItemFactory(item__sku="GEAR-1", supplier__code="ACME")
    DeliveryLineFactory(
        item=src.item, delivery__supplier=src.supplier, delivery__reference="LATE-1",
        delivery__promised_date=today - timedelta(days=4),
    )  # fmt: skip
    content = staff_client.get(reverse("item_detail", args=["GEAR-1"])).content.decode()
    assert "from ACME on" in content and "LATE-1" in content
    assert f"late since {today - timedelta(days=4):%-d %b %Y}" in content
    assert "Late deliveries are not in the projection" in content


def test_late_delivery_is_not_projected_to_arrive_today(staff_client):
    from replenishment.pages import item_page

    today = timezone.localdate()
    src = SupplierItemFactory(item__avg_daily_demand=D("1"))
    DeliveryLineFactory(
        item=src.item, delivery__supplier=src.supplier, quantity_ordered=D("50"),
        delivery__promised_date=today - timedelta(days=1),
    )  # fmt: skip
    DeliveryLineFactory(
        item=src.item, delivery__supplier=src.supplier, quantity_ordered=D("30"),
        delivery__promised_date=today + timedelta(days=2),
    )  # fmt: skip
    page = item_page(src.item)
    assert page["next_line"].quantity_ordered == D("30")
    assert [x.is_late for x in page["on_order"]] == [True, False]


def test_dashboard_shows_late_deliveries_and_drafts(staff_client):
    today = timezone.localdate()
    DeliveryFactory(promised_date=today - timedelta(days=2))
    DeliveryFactory(status="draft", promised_date=None)
    content = staff_client.get(reverse("overview")).content.decode()
    assert 'data-testid="late-deliveries" class="error">1<' in content
    assert 'data-testid="drafts-to-order">1<' in content


@pytest.mark.parametrize(
    "name",
    ["delivery_place", "delivery_cancel", "delivery_close_short", "delivery_send"],
)
def test_viewers_cannot_act_on_deliveries(client, name):
    DeliveryFactory(reference="D-1", status="draft")
    client.force_login(UserFactory(username="viewer", is_staff=False))
    assert client.post(reverse(name, args=["D-1"]), {"reason": "x"}).status_code == 403
    assert Delivery.objects.get().status == "draft"
