"""``/api/v1/planned-demand/``: create one or many, list, filter, delete."""

from datetime import date
from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from items.models import PlannedDemand
from items.services import stock_receive
from tests.factories import ItemFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/planned-demand/"


@pytest.fixture
def staff():
    client = APIClient()
    client.force_authenticate(UserFactory(is_staff=True))
    return client


def test_post_one_line_and_list_it(staff):
    ItemFactory(sku="GEAR-1")
    response = staff.post(
        URL,
        {"sku": "GEAR-1", "date": "2026-12-08", "quantity": "500",
         "reference": "PO-4471"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["sku"], body["quantity"], body["status"], body["source"]) == (
        "GEAR-1",
        "500.000",
        "firm",
        "api",
    )
    listed = staff.get(URL, {"item__sku": "GEAR-1"}).json()["results"]
    assert [row["reference"] for row in listed] == ["PO-4471"]


def test_post_a_list_is_all_or_nothing_and_replaces_the_reference(staff):
    item = ItemFactory(sku="GEAR-1")
    PlannedDemand.objects.create(
        item=item, date=date(2026, 12, 8), quantity=D("1"), reference="PO-1"
    )
    bad = staff.post(
        URL,
        [
            {
                "sku": "GEAR-1",
                "date": "2026-12-09",
                "quantity": "5",
                "reference": "PO-1",
            },
            {"sku": "NOPE", "date": "2026-12-09", "quantity": "5"},
            {"sku": "GEAR-1", "date": "2026-12-09", "quantity": "0"},
        ],
        format="json",
    )
    assert bad.status_code == 400
    errors = bad.json()
    assert "sku" in str(errors) and "quantity" in str(errors)
    assert PlannedDemand.objects.get().quantity == D("1")  # unchanged

    good = staff.post(
        URL,
        [
            {
                "sku": "GEAR-1",
                "date": "2026-12-09",
                "quantity": "5",
                "reference": "PO-1",
            },
            {
                "sku": "GEAR-1",
                "date": "2026-12-10",
                "quantity": "6",
                "reference": "PO-1",
            },
        ],
        format="json",
    )
    assert good.status_code == 201
    assert [row["quantity"] for row in good.json()] == ["5.000", "6.000"]
    assert sorted(PlannedDemand.objects.values_list("quantity", flat=True)) == [
        D("5"),
        D("6"),
    ]


def test_delete_a_line_and_non_staff_are_refused(staff):
    line = PlannedDemand.objects.create(
        item=ItemFactory(), date=date(2026, 12, 8), quantity=D("3")
    )
    viewer = APIClient()
    viewer.force_authenticate(UserFactory(is_staff=False))
    assert viewer.post(URL, {}, format="json").status_code == 403
    assert staff.delete(f"{URL}{line.pk}/").status_code == 204
    assert not PlannedDemand.objects.exists()


def test_an_issue_posted_with_a_reference_keeps_it(staff):
    item = ItemFactory(sku="GEAR-1")
    stock_receive(item=item, quantity=D("10"))
    response = staff.post(
        "/api/v1/movements/",
        {"sku": "GEAR-1", "kind": "issue", "quantity": "4", "reference": "PO-4471"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["reference"] == "PO-4471"
    assert item.movements.get(kind="issue").reference == "PO-4471"
