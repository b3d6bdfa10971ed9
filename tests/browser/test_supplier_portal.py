"""A supplier opens its portal link on a phone: sees the forecast zones,
confirms one line, changes the date of another and posts a ship notice — no
login, no JavaScript; then the buyer sees all of it on the delivery page."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from portal.selectors import expected_arrivals
from portal.services import portal_link_create
from tests.browser.test_staff_day import log_in
from tests.factories import (
    DeliveryFactory,
    DeliveryLineFactory,
    SupplierItemFactory,
    UserFactory,
)

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


def answer_on_a_phone(browser, live_server, order):
    """The supplier's part: returns (ship-notice arrival, NUT's new date)."""
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

        arrival = timezone.localdate() + timedelta(days=3)
        page.get_by_label("Arrives on").fill(arrival.isoformat())
        page.get_by_label("Shipped of BOLT").fill("6")
        page.get_by_label("Shipped of NUT").fill("0")
        page.get_by_role("button", name="Send ship notice").click()
        assert page.get_by_text("Thank you: ship notice recorded.").is_visible()
    finally:
        context.close()
    return arrival, later


def test_confirm_one_line_change_another_and_ship_on_a_phone(
    browser, live_server, order
):
    _, (bolt, nut) = order
    arrival, later = answer_on_a_phone(browser, live_server, order)
    arrivals = expected_arrivals([bolt.pk, nut.pk])
    assert arrivals[bolt.pk] == arrival  # the ship notice wins
    assert arrivals[nut.pk] == later
    bolt.refresh_from_db()
    assert bolt.response == "confirm" and bolt.confirmed_date == (
        bolt.delivery.promised_date
    )


def test_the_buyer_sees_the_answers_and_receives_from_the_ship_notice(
    browser, live_server, order, page
):
    _, (bolt, nut) = order
    arrival, later = answer_on_a_phone(browser, live_server, order)
    UserFactory(username="staff", is_staff=True)
    log_in(page, live_server)
    alert = page.get_by_test_id("supplier-changes")
    assert "NUT changed" in alert.inner_text()
    alert.get_by_role("link", name="PO/7").click()
    page.wait_for_url(f"{live_server.url}/deliveries/PO/7/")
    fmt = "%-d %b %Y"
    assert page.get_by_test_id("arrival-BOLT").inner_text() == arrival.strftime(fmt)
    assert page.get_by_test_id("arrival-NUT").inner_text() == later.strftime(fmt)
    assert "Changed" in page.get_by_test_id("answer-NUT").inner_text()
    assert "shipped 6" in page.get_by_test_id("answer-BOLT").inner_text()
    assert page.get_by_test_id("ship-notice").is_visible()
    answers = page.get_by_test_id("supplier-answers").inner_text()
    assert "BOLT confirmed 10" in answers and "Plant holiday" in answers
    assert "ship notice, arriving " + arrival.strftime(fmt) in answers
    assert page.get_by_test_id("firm-zone-alert").is_visible()
    # Receiving starts from what shipped: 6 of BOLT (10 ordered).
    assert page.get_by_label("Received now, BOLT").input_value() == "6"
    page.get_by_label("Received now, NUT").fill("0")
    page.get_by_role("button", name="Receive").click()
    assert page.get_by_test_id("delivery-status").inner_text() == ("Partially received")
    bolt.refresh_from_db()
    assert bolt.quantity_received == D("6")
