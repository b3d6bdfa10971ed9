"""Issue 20: the staff pages at a desktop (1366 px) and a tablet (820 px) width,
on the demo data. Every page is screenshotted into ``var/screenshots/`` (the CI
artefact folder, see ``.ci/run``); at 820 px no page is wider than the viewport,
SKUs stay on one line, the movement form is on the first screen of the item page
and keyboard focus is visible."""

import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from replenishment.classification import items_reclassify
from replenishment.generation import suggestions_generate
from replenishment.models import Suggestion
from suppliers.services import supplier_scores_refresh
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-test-password"
SCREENSHOTS = Path(
    os.environ.get(
        "SCREENSHOTS_DIR",
        Path(__file__).resolve().parents[2] / "var" / "screenshots",
    )
)
WIDTHS = {"desktop": (1366, 900), "tablet": (820, 1180)}


@pytest.fixture
def demo():
    call_command("seed_demo", "--items", "60", stdout=StringIO())
    items_reclassify()
    supplier_scores_refresh()
    suggestions_generate()
    UserFactory(username="staff", is_staff=True)
    suggestion = Suggestion.objects.open().select_related("item").first()
    assert suggestion is not None
    return {
        "dashboard": "/",
        "items": "/items/",
        "item": suggestion.item.get_absolute_url(),
        "suggestions": "/suggestions/",
        "deliveries": "/deliveries/",
        "suppliers": "/suppliers/",
    }


def _log_in(browser, live_server, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("staff")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    return context, page


@pytest.mark.parametrize("device", list(WIDTHS))
def test_pages_fit_the_screen_and_are_screenshotted(browser, live_server, demo, device):
    width, height = WIDTHS[device]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context, page = _log_in(browser, live_server, width, height)
    too_wide, wrapped = {}, {}
    try:
        for name, path in demo.items():
            page.goto(f"{live_server.url}{path}")
            page.screenshot(
                path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True
            )
            scroll, inner = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            if scroll > inner:
                too_wide[name] = (scroll, inner)
            # a SKU link on two lines has two client rectangles
            broken = page.evaluate(
                "[...document.querySelectorAll('a.sku')]"
                ".filter(a => a.getClientRects().length > 1).map(a => a.textContent)"
            )
            if broken:
                wrapped[name] = broken[:5]
    finally:
        context.close()
    assert not too_wide, too_wide
    assert not wrapped, wrapped
    for name in demo:
        assert (SCREENSHOTS / f"{name}-{width}.png").stat().st_size > 10_000


def test_the_movement_form_is_on_the_first_screen_of_the_item_page(
    browser, live_server, demo
):
    context, page = _log_in(browser, live_server, *WIDTHS["tablet"])
    try:
        page.goto(f"{live_server.url}{demo['item']}")
        assert page.get_by_role("heading", name="Reorder suggestion").is_visible()
        record = page.get_by_role("button", name="Record").bounding_box()
        assert record["y"] + record["height"] <= WIDTHS["tablet"][1]
        # keyboard: the skip link first, then the navigation, with a visible ring
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid"
        assert page.get_by_label("Quantity").is_visible()  # labelled fields
    finally:
        context.close()
