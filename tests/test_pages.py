"""The staff web interface: pages load, forms go through the services, errors are
clear, and every page runs a constant number of queries."""

from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from items.models import Item, StockMovement
from items.services import stock_receive
from replenishment.generation import suggestions_generate
from replenishment.models import Suggestion
from suppliers.models import DeliveryStatus, SupplierScore
from tests.factories import (
    DeliveryLineFactory,
    ItemFactory,
    SupplierItemFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def make_items(n: int, supplier=None) -> list[Item]:
    start = Item.objects.count()
    items = Item.objects.bulk_create(
        Item(
            sku=f"BULK-{start + i:05d}",
            name=f"Bulk item {i}",
            unit_cost=D("3"),
            annual_demand=D("365"),
            abc_class="ABC"[i % 3],
            policy="jit",
            on_hand=D(i % 7),
            avg_daily_demand=D("1"),
            reorder_point=D("3"),
            abc_cumulative_share=D(min(100, i + 1)),
        )
        for i in range(n)
    )
    return items


@pytest.fixture
def world():
    source = SupplierItemFactory(
        item__sku="BOLT-8", item__annual_demand=D("3650"), item__abc_class="A",
        item__policy="jit", supplier__code="ACME",
    )  # fmt: skip
    stock_receive(item=source.item, quantity=D("20"))
    line = DeliveryLineFactory(
        item=source.item, delivery__supplier=source.supplier,
        delivery__reference="PO-100", quantity_ordered=D("10"),
    )  # fmt: skip
    SupplierScore.objects.create(
        supplier=source.supplier,
        risk_score=D("30"),
        risk_level="medium",
        history_sufficient=True,
    )
    suggestions_generate()
    return source, line


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


def test_item_list_filters_and_sorts(staff_client, world):
    make_items(30)
    response = staff_client.get(
        reverse("item_list"), {"abc_class": "B", "sort": "-on_hand"}
    )
    items = list(response.context["page"].object_list)
    assert items and all(i.abc_class == "B" for i in items)
    assert [i.on_hand for i in items] == sorted(
        (i.on_hand for i in items), reverse=True
    )
    response = staff_client.get(reverse("item_list"), {"q": "bolt"})
    assert [i.sku for i in response.context["page"].object_list] == ["BOLT-8"]
    response = staff_client.get(reverse("item_list"), {"below_rop": "on"})
    assert all(i.on_hand <= i.reorder_point for i in response.context["page"])


def test_recording_consumption_moves_stock(staff_client, world):
    item = world[0].item
    url = reverse("movement_create", args=[item.sku])
    response = staff_client.post(url, {"kind": "issue", "quantity": "5"}, follow=True)
    assert "Recorded issue of 5 ea; on hand now 15." in response.content.decode()
    item.refresh_from_db()
    assert item.on_hand == D("15")


def test_issuing_more_than_on_hand_says_so_and_changes_nothing(staff_client, world):
    item = world[0].item
    url = reverse("movement_create", args=[item.sku])
    response = staff_client.post(url, {"kind": "issue", "quantity": "21"}, follow=True)
    assert "Nothing recorded: Cannot take 21 of BOLT-8: only 20 on hand." in (
        response.content.decode()
    )
    item.refresh_from_db()
    assert item.on_hand == D("20")
    assert StockMovement.objects.filter(item=item).count() == 1


def test_bad_quantity_is_a_field_error(staff_client, world):
    url = reverse("movement_create", args=[world[0].item.sku])
    response = staff_client.post(
        url, {"kind": "issue", "quantity": "lots"}, follow=True
    )
    assert "Nothing recorded: Quantity: Enter a number." in response.content.decode()


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


def test_accepting_a_suggestion_creates_a_draft_delivery(staff_client, world):
    s = Suggestion.objects.get()
    response = staff_client.post(
        reverse("suggestions_accept"), {"suggestion": [s.pk]}, follow=True
    )
    assert "draft deliveries JIT-" in response.content.decode()
    s.refresh_from_db()
    assert s.status == "accepted" and s.delivery.status == DeliveryStatus.DRAFT


def test_dismissing_a_suggestion_snoozes(staff_client, world):
    s = Suggestion.objects.get()
    response = staff_client.post(
        reverse("suggestion_dismiss", args=[s.pk]), follow=True
    )
    assert "no new one before" in response.content.decode()
    s.refresh_from_db()
    assert s.status == "dismissed" and s.snoozed_until


def test_receiving_with_inspection(staff_client, world):
    _, line = world
    url = reverse("delivery_receive", args=["PO-100"])
    data = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-0-line": str(line.pk),
        "lines-0-quantity_received": "10",
        "lines-0-quantity_rejected": "3",
        "lines-0-rejection_reason": "bent",
    }
    response = staff_client.post(url, data, follow=True)
    # the 3 rejected are still owed (DESIGN §5): the delivery stays open for them
    content = response.content.decode()
    assert "Received PO-100: now partially received." in content
    assert 'data-testid="expected-BOLT-8">3<' in content
    line.item.refresh_from_db()
    assert line.item.on_hand == D("27")  # 20 + (10 − 3)


def test_receiving_rejects_without_a_reason_is_a_field_error(staff_client, world):
    _, line = world
    data = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-0-line": str(line.pk),
        "lines-0-quantity_received": "10",
        "lines-0-quantity_rejected": "11",
    }
    response = staff_client.post(reverse("delivery_receive", args=["PO-100"]), data)
    assert response.status_code == 400
    content = response.content.decode()
    assert "Cannot reject more than was received." in content
    line.refresh_from_db()
    assert line.quantity_received == 0


def test_item_page_has_a_stock_chart_with_projection(staff_client, world):
    response = staff_client.get(reverse("item_detail", args=["BOLT-8"]))
    content = response.content.decode()
    assert "<svg" in content and "projection" in content
    assert "Order " in content  # the open suggestion with its reason


def test_pages_work_without_any_data(staff_client):
    for name, args in PAGES:
        if not args:
            assert staff_client.get(reverse(name)).status_code == 200
    assert ItemFactory  # factories stay importable


def test_reclassify_now_is_for_superusers_and_shows_the_run(
    client, staff_client, superuser, django_capture_on_commit_callbacks
):
    from items.models import ClassificationRun
    from jobs.models import Job

    assert staff_client.post(reverse("classification_run_create")).status_code == 403
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("classification_run_create"), follow=True)
    run = ClassificationRun.objects.get()
    assert run.status == "pending" and run.requested_by == superuser
    job = Job.objects.get()
    assert (job.task_name, job.args) == (
        "replenishment.tasks.reclassify_task",
        [run.pk],
    )
    content = response.content.decode()
    assert "Classification started in the background." in content
    assert 'http-equiv="refresh"' in content  # refreshes while pending


def test_finished_run_page_shows_counts(staff_client):
    from replenishment.classification import items_reclassify

    ItemFactory(annual_demand=D("10"), unit_cost=D("1"))
    run = items_reclassify()
    response = staff_client.get(reverse("classification_run_detail", args=[run.pk]))
    content = response.content.decode()
    assert "Succeeded" in content and 'http-equiv="refresh"' not in content
    assert "ABC" in content and "Policy" in content


def test_suggestions_show_a_few_per_supplier_and_link_to_all(staff_client, world):
    from replenishment import selectors

    supplier = world[0].supplier
    for _ in range(4):
        SupplierItemFactory(
            supplier=supplier, item__annual_demand=D("3650"), item__abc_class="A"
        )
    suggestions_generate()
    groups, _ = selectors.suggestions_by_supplier(per_supplier=2)
    assert [len(g["suggestions"]) for g in groups] == [2]
    assert groups[0]["total"] == Suggestion.objects.open().count() == 5
    response = staff_client.get(reverse("suggestion_list"), {"supplier": "ACME"})
    assert response.status_code == 200
    assert len(response.context["groups"][0]["suggestions"]) == 5


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
