"""A staff member's morning, in a real browser."""

from decimal import Decimal as D

import pytest

from items.services import stock_receive
from replenishment.generation import suggestions_generate
from replenishment.models import Suggestion
from suppliers.models import DeliveryStatus
from tests.factories import DeliveryLineFactory, SupplierItemFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-test-password"


@pytest.fixture
def world():
    UserFactory(username="staff", is_staff=True)
    source = SupplierItemFactory(
        item__sku="BOLT-8", item__name="Hex bolt M8", item__annual_demand=D("3650"),
        item__abc_class="A", item__policy="jit", supplier__code="ACME",
    )  # fmt: skip
    stock_receive(item=source.item, quantity=D("20"))
    line = DeliveryLineFactory(
        item=source.item, delivery__supplier=source.supplier,
        delivery__reference="PO-100", quantity_ordered=D("10"),
    )  # fmt: skip
    suggestions_generate()
    return source, line


def log_in(page, live_server):
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill("staff")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")


def test_log_in_and_see_the_dashboard(page, live_server, world):
    log_in(page, live_server)
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    assert page.get_by_test_id("open-suggestions").inner_text() == "1"
    assert page.get_by_role("heading", name="Riskiest suppliers").is_visible()


def test_record_consumption(page, live_server, world):
    log_in(page, live_server)
    page.goto(f"{live_server.url}/items/BOLT-8/")
    page.get_by_label("What happened").select_option("issue")
    page.get_by_label("Quantity").fill("4")
    page.get_by_role("button", name="Record").click()
    assert page.get_by_text("Recorded issue of 4 ea; on hand now 16.").is_visible()
    assert page.get_by_test_id("on-hand").inner_text() == "16 ea"
    # more than on hand: refused with a clear message, nothing changes
    page.get_by_label("Quantity").fill("99")
    page.get_by_role("button", name="Record").click()
    assert page.get_by_text("only 16 on hand").is_visible()
    assert page.get_by_test_id("on-hand").inner_text() == "16 ea"


def test_accept_a_suggestion(page, live_server, world):
    log_in(page, live_server)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Suggestions"
    ).click()
    page.get_by_role("button", name="Accept BOLT-8").click()
    assert page.get_by_text("draft deliveries JIT-").is_visible()
    suggestion = Suggestion.objects.get()
    assert suggestion.status == "accepted"
    assert suggestion.delivery.status == DeliveryStatus.DRAFT


def test_receive_a_delivery_with_inspection(page, live_server, world):
    _, line = world
    log_in(page, live_server)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Deliveries"
    ).click()
    page.get_by_role("link", name="PO-100").click()
    page.get_by_label("Received now, BOLT-8").fill("10")
    page.get_by_label("Rejected, BOLT-8").fill("2")
    page.get_by_label("Reason, BOLT-8").fill("scratched")
    page.get_by_role("button", name="Receive").click()
    # the 2 rejected are still owed (DESIGN §5)
    assert page.get_by_text("Received PO-100: now partially received.").is_visible()
    assert page.get_by_test_id("expected-BOLT-8").inner_text() == "2"
    line.item.refresh_from_db()
    assert line.item.on_hand == D("28")
