"""A supplier opens its portal link on a phone: sees the forecast zones,
confirms one line and changes the date of another — no login, no JavaScript."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from portal.selectors import expected_arrivals
from portal.services import portal_link_create
from tests.factories import DeliveryFactory, DeliveryLineFactory, SupplierItemFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def order():
    bolt = SupplierItemFactory(
        supplier__code="ACME", item__sku="BOLT", item__abc_class="A",
        item__policy="jit", item__annual_demand=D("3650"),
    )  # fmt: skip
    nut = SupplierItemFactory(supplier=bolt.supplier, item__sku="NUT")
    delivery = DeliveryFactory(
        supplier=bolt.supplier,
        reference="PO/7",
        promised_date=timezone.localdate() + timedelta(days=6),
    )
    lines = [
        DeliveryLineFactory(delivery=delivery, item=i.item, quantity_ordered=D("10"))
        for i in (bolt, nut)
    ]
    return bolt.supplier, lines


def test_confirm_one_line_and_change_the_date_of_another_on_a_phone(
    browser, live_server, order
):
    supplier, (bolt, nut) = order
    url, _ = portal_link_create(supplier=supplier)
    path = url.split("://", 1)[1].split("/", 1)[1]
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{live_server.url}/{path}forecast/")
        assert page.get_by_role("heading", name="Forecast").is_visible()
        assert page.locator(".badge.zone-firm").first.is_visible()
        # No horizontal scrolling of the page itself at phone width.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        page.get_by_role("link", name="Orders").click()
        page.get_by_role("link", name="PO/7").click()
        line = page.locator(f"#line-{bolt.pk}")
        line.get_by_label("Confirm", exact=True).check()
        line.get_by_role("button", name="Send answer for BOLT").click()
        assert page.get_by_text("Thank you: BOLT recorded.").is_visible()

        later = timezone.localdate() + timedelta(days=10)
        line = page.locator(f"#line-{nut.pk}")
        line.get_by_label("Change", exact=True).check()
        line.get_by_label("New date (change)").fill(later.isoformat())
        line.get_by_label("Reason (change or reject)").fill("Plant holiday")
        line.get_by_role("button", name="Send answer for NUT").click()
        assert page.get_by_text("Thank you: NUT recorded.").is_visible()
    finally:
        context.close()
    arrivals = expected_arrivals([bolt.pk, nut.pk])
    assert arrivals[bolt.pk] == bolt.delivery.promised_date
    assert arrivals[nut.pk] == later
