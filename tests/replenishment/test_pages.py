"""The replenishment pages: suggestions accepted and dismissed, the item page's
chart, classification runs on request."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from replenishment.generation import suggestions_generate
from replenishment.models import Suggestion
from suppliers.models import DeliveryStatus
from tests.factories import ItemFactory, SupplierItemFactory

pytestmark = pytest.mark.django_db


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


def test_item_page_has_a_stock_chart_with_projection(staff_client, world):
    response = staff_client.get(reverse("item_detail", args=["BOLT-8"]))
    content = response.content.decode()
    assert "<svg" in content and "projection" in content
    assert "Order " in content  # the open suggestion with its reason


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
