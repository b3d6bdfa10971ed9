"""An admin importing a large file in a real browser: the upload goes to a
background run whose page refreshes until the outcome is there."""

import pytest
from playwright.sync_api import expect

from bulk.models import ImportRun
from bulk.services import import_run_execute
from items.models import Item
from tests.factories import SuperuserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-test-password"


def test_a_large_import_runs_in_the_background(page, live_server, settings, tmp_path):
    settings.IMPORT_BACKGROUND_ROWS = 10
    SuperuserFactory(username="boss", is_staff=True)
    rows = "".join(f"B{n:03d},Bolt {n},0.25,1000\n" for n in range(40))
    csv = tmp_path / "bolts.csv"
    csv.write_text("sku,name,unit_cost,annual_demand\n" + rows)

    page.goto(f"{live_server.url}/admin/items/item/import/")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("input[type=file]").set_input_files(str(csv))
    page.get_by_role("button", name="Submit").click()

    assert page.get_by_role("status").inner_text() == "Waiting for a worker"
    assert page.get_by_text("40 rows: a background worker imports them").is_visible()
    import_run_execute(run_id=ImportRun.objects.get().pk)  # the worker's part
    # the page refreshes by itself (no script: the CSP allows none inline)
    expect(page.get_by_role("status")).to_have_text("Imported", timeout=10_000)
    assert page.get_by_text("40 created, 0 updated, 0 unchanged").is_visible()
    assert Item.objects.count() == 40
    page.get_by_role("link", name="See the items").click()
    assert page.url == f"{live_server.url}/admin/items/item/"
    page.screenshot(path=str(tmp_path / "import.png"), full_page=True)
