"""Unmet demand on the item page, in a real browser (issue 17, item 4)."""

import pytest

from items.models import UnmetDemand
from tests.browser.test_staff_day import log_in, world  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_refused_issue_records_its_shortfall_and_the_form_records_more(
    page,
    live_server,
    world,  # noqa: F811
):
    log_in(page, live_server)
    page.goto(f"{live_server.url}/items/BOLT-8/")
    page.get_by_label("What happened").select_option("issue")
    page.get_by_label("Quantity", exact=True).fill("25")
    page.get_by_label("record the shortfall as unmet demand").check()
    page.get_by_role("button", name="Record", exact=True).click()
    # 25 asked, 20 on hand: nothing issued, 25 − 20 = 5 recorded
    assert page.get_by_text("Recorded 5 ea as unmet demand.").is_visible()
    assert page.get_by_test_id("on-hand").inner_text() == "20 ea"
    page.get_by_label("Units not served").fill("3")
    page.get_by_role("button", name="Save as unmet demand").click()
    assert page.get_by_text("Recorded 3 ea of unmet demand").is_visible()
    table = page.get_by_test_id("unmet-demand")
    assert "Issue refused for lack of stock" in table.inner_text()
    assert sorted(UnmetDemand.objects.values_list("quantity", flat=True)) == [3, 5]
