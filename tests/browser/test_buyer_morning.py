"""The buyer's morning, in a real browser: from the suggestions to an e-mailed
purchase order and back through incoming inspection."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core import mail
from django.utils import timezone

from suppliers.models import Delivery, DeliveryStatus
from tests.browser.test_staff_day import log_in
from tests.factories import SupplierFactory, SupplierItemFactory, UserFactory
from tests.replenishment.test_services import suggestion

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def morning():
    UserFactory(username="staff", is_staff=True)
    acme = SupplierFactory(code="ACME", name="Acme Fasteners", email="po@acme.example")
    today = timezone.localdate()
    for n, sku in enumerate(["BOLT-8", "NUT-6", "WASHER-4"]):
        source = SupplierItemFactory(
            supplier=acme, item__sku=sku, supplier_sku=f"AC-{sku}",
            unit_price=D("0.50"),
        )  # fmt: skip
        suggestion(source, "40", order_by=today - timedelta(days=n))
    return acme


def test_buyers_morning_from_suggestions_to_inspection(page, live_server, morning):
    log_in(page, live_server)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Suggestions"
    ).click()
    # choose two suggestions, change one quantity, accept
    page.get_by_label("Select BOLT-8").check()
    page.get_by_label("Select NUT-6").check()
    page.get_by_label("Quantity to order, NUT-6").fill("25")
    page.get_by_role("button", name="Accept selected").click()
    assert page.get_by_text(
        "Accepted 2 suggestion(s) into draft deliveries"
    ).is_visible()
    draft = Delivery.objects.get()
    assert draft.status == DeliveryStatus.DRAFT

    # open the draft from the delivery list ("to order"), place the order
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Deliveries"
    ).click()
    row = page.locator(f'tr[data-reference="{draft.reference}"]')
    assert "to order" in row.inner_text()
    row.get_by_role("link", name=draft.reference).click()
    assert page.get_by_test_id("delivery-status").inner_text() == "Draft — to order"
    assert page.locator('tr[data-sku="NUT-6"]').get_by_text("25 ea").is_visible()
    assert page.get_by_test_id("order-total").inner_text() == "32.50 EUR"
    page.get_by_role("button", name="Place order").click()
    assert page.get_by_text(
        "the purchase order was e-mailed to po@acme.example"
    ).is_visible()
    assert page.get_by_test_id("delivery-status").inner_text() == "Ordered"
    (message,) = mail.outbox
    assert message.attachments[0][2] == "application/pdf"

    # the PDF link serves the purchase order
    pdf_link = page.get_by_role("link", name="PDF")
    assert pdf_link.is_visible()
    response = page.request.get(live_server.url + pdf_link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"

    # goods arrive: one rejection; the line still expects the rejected parts
    page.get_by_label("Received now, BOLT-8").fill("40")
    page.get_by_label("Rejected, BOLT-8").fill("2")
    page.get_by_label("Reason, BOLT-8").fill("cracked")
    page.get_by_label("Received now, NUT-6").fill("25")
    page.get_by_role("button", name="Receive").click()
    assert page.get_by_text(
        f"Received {draft.reference}: now partially received."
    ).is_visible()
    assert page.get_by_test_id("expected-BOLT-8").inner_text() == "2"
    assert page.get_by_test_id("expected-NUT-6").inner_text() == "0"
    assert page.get_by_role("button", name="Close short").is_visible()
