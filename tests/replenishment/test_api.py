"""The replenishment API: accepting and dismissing suggestions, classification
runs on request."""

import pytest

from items.models import ClassificationRun
from replenishment.models import Suggestion
from tests.scenarios import API, client_for

pytestmark = pytest.mark.django_db


def test_accept_and_dismiss_suggestions(data, users):
    client = client_for(users["staff"])
    suggestion = Suggestion.objects.open().get()
    listed = client.get(API + "suggestions/").json()["results"]
    assert [s["sku"] for s in listed] == ["BOLT-8"]
    response = client.post(API + f"suggestions/{suggestion.pk}/accept/")
    assert response.status_code == 201
    assert response.json()["deliveries"][0].startswith("JIT-")
    again = client.post(
        API + "suggestions/accept/", {"ids": [suggestion.pk]}, format="json"
    )
    assert again.status_code == 409
    dismiss = client.post(API + f"suggestions/{suggestion.pk}/dismiss/")
    assert dismiss.status_code == 409


def test_classification_run_post_answers_202_and_get_shows_it(
    data, users, django_capture_on_commit_callbacks
):
    client = client_for(users["superuser"])
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(API + "classification-runs/")
    assert response.status_code == 202
    run_id = response.json()["id"]
    assert ClassificationRun.objects.get(pk=run_id).status == "pending"
    shown = client_for(users["staff"]).get(API + f"classification-runs/{run_id}/")
    assert shown.json()["status"] == "pending"
