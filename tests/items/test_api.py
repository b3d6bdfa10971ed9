"""The items API: item changes need the model permission, stock moves only
through POST /movements/ (the ledger), filters and search, concurrent posts."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D

import pytest
from django.db import connection

from items.models import Item, StockMovement
from items.services import stock_receive
from tests.factories import ItemFactory, UserFactory
from tests.scenarios import API, client_for

pytestmark = pytest.mark.django_db


def test_staff_with_the_model_permission_may_change_items(data):
    from django.contrib.auth.models import Permission

    user = UserFactory(username="planner", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_item"))
    response = client_for(user).patch(
        API + "items/BOLT-8/", {"name": "X"}, format="json"
    )
    assert response.status_code == 200


def test_on_hand_is_read_only(data, users):
    client = client_for(users["superuser"])
    response = client.patch(API + "items/BOLT-8/", {"on_hand": "999"}, format="json")
    assert response.status_code == 200
    assert Item.objects.get(sku="BOLT-8").on_hand == D("20")


def test_post_consumption_goes_through_the_ledger(data, users):
    client = client_for(users["staff"])
    body = {"sku": "BOLT-8", "kind": "issue", "quantity": "3", "note": "POS 17"}
    response = client.post(API + "movements/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["quantity"] == "-3.000"
    assert response.json()["created_by"] == "staff"
    assert Item.objects.get(sku="BOLT-8").on_hand == D("17")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sku": "NOPE", "kind": "issue", "quantity": "1"}, "sku"),
        ({"sku": "BOLT-8", "kind": "gift", "quantity": "1"}, "kind"),
        ({"sku": "BOLT-8", "kind": "issue", "quantity": "lots"}, "quantity"),
        ({"sku": "BOLT-8", "kind": "issue", "quantity": "-2"}, "quantity"),
        ({"sku": "BOLT-8", "kind": "issue", "quantity": "0"}, "quantity"),
        ({"sku": "BOLT-8", "kind": "issue"}, "quantity"),
        ({"sku": "BOLT-8", "kind": "issue", "quantity": "1",
          "occurred_at": "yesterday"}, "occurred_at"),
    ],
)  # fmt: skip
def test_bad_movements_are_400_with_field_errors(data, users, body, field):
    response = client_for(users["staff"]).post(API + "movements/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert StockMovement.objects.count() == 1  # the opening receipt only


def test_an_issue_beyond_stock_is_409_and_changes_nothing(data, users):
    body = {"sku": "BOLT-8", "kind": "issue", "quantity": "21"}
    response = client_for(users["staff"]).post(API + "movements/", body, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Cannot take 21 of BOLT-8: only 20 on hand.",
        "code": "insufficient_stock",
    }
    assert Item.objects.get(sku="BOLT-8").on_hand == D("20")


def test_items_filters_and_search(data, users):
    ItemFactory(sku="C-ITEM", abc_class="C", policy="min_max")
    client = client_for(users["staff"])

    def skus(query):
        response = client.get(API + "items/" + query)
        return [i["sku"] for i in response.json()["results"]]

    assert skus("?abc_class=C") == ["C-ITEM"]
    assert skus("?policy=jit") == ["BOLT-8"]
    assert skus("?search=bolt") == ["BOLT-8"]
    assert client.get(API + "items/?page_size=1000").json()["results"] is not None


@pytest.mark.django_db(transaction=True)
def test_sixteen_threads_of_consumption_posts_end_exact():
    item = Item.objects.create(sku="RACE", name="Race")
    stock_receive(item=item, quantity=D("300"))
    user = UserFactory(username="pos", is_staff=True)

    def post_many(_):
        client = client_for(user)
        codes = []
        try:
            for _ in range(25):
                body = {"sku": "RACE", "kind": "issue", "quantity": "1"}
                codes.append(
                    client.post(API + "movements/", body, format="json").status_code
                )
        finally:
            connection.close()
        return codes

    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = [c for batch in pool.map(post_many, range(16)) for c in batch]
    item.refresh_from_db()
    assert codes.count(201) == 300 and codes.count(409) == 100
    assert set(codes) == {201, 409}
    assert item.on_hand == 0
    assert StockMovement.objects.filter(item=item, kind="issue").count() == 300
