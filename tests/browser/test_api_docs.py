"""The API documentation page works under the site's strict CSP (no inline
script: drf-spectacular's split view serves its script as a file)."""

import pytest
from playwright.sync_api import expect

from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_list_the_operations(page, live_server):
    UserFactory(username="staff", is_staff=True)
    blocked = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text
            and "script" in message.text
            and blocked.append(message.text)
        ),
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("staff")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/api/v1/docs/")

    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=15_000)
    assert page.locator(".opblock-summary-path", has_text="/api/v1/items/").count()
    assert blocked == []  # (one inline *style* of Swagger UI is blocked: cosmetic)
