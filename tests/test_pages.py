"""The staff web interface as a whole: every page loads, runs a constant number of
queries and works without data; viewers look but do not change. Each app's own
pages are tested in tests/<app>/test_pages.py."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from items.models import Item
from replenishment.models import Suggestion
from tests.factories import DeliveryLineFactory, SupplierItemFactory, UserFactory
from tests.scenarios import make_items

pytestmark = pytest.mark.django_db


PAGES = [
    ("overview", []),
    ("item_list", []),
    ("item_detail", ["BOLT-8"]),
    ("suggestion_list", []),
    ("delivery_list", []),
    ("delivery_detail", ["PO-100"]),
    ("supplier_list", []),
    ("supplier_detail", ["ACME"]),
]


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_pages_load_for_staff(staff_client, world, name, args):
    response = staff_client.get(reverse(name, args=args))
    assert response.status_code == 200
    assert b"<h1>" in response.content


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_pages_run_a_constant_number_of_queries(staff_client, world, name, args):
    counts = []
    for extra in (10, 500):  # the 10 and 500 items
        items = make_items(extra)
        for item in items[:extra:25]:
            SupplierItemFactory(item=item, supplier=world[0].supplier)
        cache.clear()  # measure the uncached path (the dashboard caches figures)
        with CaptureQueriesContext(connection) as ctx:
            assert staff_client.get(reverse(name, args=args)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_non_staff_users_can_look_but_not_change(client, world):
    client.force_login(UserFactory(username="viewer", is_staff=False))
    assert client.get(reverse("item_detail", args=["BOLT-8"])).status_code == 200
    url = reverse("movement_create", args=["BOLT-8"])
    assert client.post(url, {"kind": "issue", "quantity": "1"}).status_code == 403
    s = Suggestion.objects.get()
    assert (
        client.post(reverse("suggestions_accept"), {"suggestion": s.pk}).status_code
        == 403
    )


def test_pages_work_without_any_data(staff_client):
    for name, args in PAGES:
        if not args:
            assert staff_client.get(reverse(name)).status_code == 200
    assert not Item.objects.exists()  # the pages really had no data


def test_a_refusal_is_not_repeated_in_the_message(staff_client, world):
    _, line = world
    data = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-0-line": str(line.pk),
        "lines-0-quantity_received": "0",
        "lines-0-quantity_rejected": "0",
    }
    response = staff_client.post(reverse("delivery_receive", args=["PO-100"]), data)
    content = response.content.decode()
    assert "Nothing received: enter at least one quantity." in content
    assert "Nothing received: Nothing received" not in content


def test_dashboard_cards_link_to_the_list_they_count(staff_client, world):
    import re

    make_items(14)  # on_hand i % 7: two stocked out, several below the point
    Item.objects.filter(sku="BULK-00001").update(active=False, on_hand=0)
    DeliveryLineFactory(delivery__reference="PO-200")
    content = staff_client.get(reverse("overview")).content.decode()
    cards = {
        "stockouts": ("item_list", "stockout=on"),
        "below-rop": ("item_list", "below_rop=on"),
        "open-deliveries": ("delivery_list", "status=open"),
    }
    for testid, (name, query) in cards.items():
        url = f"{reverse(name)}?{query}"
        assert f'href="{url}"' in content, testid
        shown = re.search(rf'data-testid="{testid}"[^>]*>([\d,]+)<', content)
        listed = staff_client.get(url).context["page"].paginator.count
        assert int(shown.group(1).replace(",", "")) == listed, testid
