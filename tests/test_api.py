"""The REST API as a whole: read and write permissions per role, token login and
its throttle, schema and docs, query counts of the lists. Each app's endpoints are
tested in tests/<app>/test_api.py."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from items.services import stock_receive
from replenishment.generation import suggestions_generate
from tests.factories import DeliveryLineFactory, ItemFactory, SupplierItemFactory
from tests.scenarios import API, client_for

pytestmark = pytest.mark.django_db


READS = ["items/", "items/BOLT-8/", "suppliers/", "suppliers/ACME/", "sources/",
         "deliveries/", "deliveries/PO-1/", "movements/", "suggestions/",
         "classification-runs/"]  # fmt: skip


@pytest.mark.parametrize("who", ["anonymous", "viewer", "staff", "superuser"])
@pytest.mark.parametrize("path", READS)
def test_reads(data, users, who, path):
    response = client_for(users[who]).get(API + path)
    expected = {"anonymous": 401, "viewer": 403, "staff": 200, "superuser": 200}[who]
    assert response.status_code == expected, response.content
    if who == "anonymous":
        assert response["Content-Type"].startswith("application/json")


WRITES = [
    ("post", "items/", {"sku": "NEW-1", "name": "New", "unit_cost": "1.5"}, 201),
    ("patch", "items/BOLT-8/", {"name": "Renamed"}, 200),
    ("post", "suppliers/", {"code": "NEWSUP", "name": "New supplier"}, 201),
    ("patch", "suppliers/ACME/", {"name": "Acme Ltd"}, 200),
    ("post", "sources/", {"supplier": "ACME", "sku": "BOLT-9", "unit_price": "1",
                          "quoted_lead_time_days": 4}, 201),
    ("post", "classification-runs/", {}, 202),
]  # fmt: skip


@pytest.mark.parametrize("who", ["anonymous", "viewer", "staff", "superuser"])
@pytest.mark.parametrize(("method", "path", "body", "ok"), WRITES)
def test_master_data_writes_need_an_admin_role(
    data, users, who, method, path, body, ok, django_capture_on_commit_callbacks
):
    ItemFactory(sku="BOLT-9")
    with django_capture_on_commit_callbacks(execute=False):
        response = getattr(client_for(users[who]), method)(
            API + path, body, format="json"
        )
    expected = {"anonymous": 401, "viewer": 403, "staff": 403, "superuser": ok}[who]
    assert response.status_code == expected, response.content


def test_token_auth_and_throttle(users, settings):
    user = users["staff"]
    client = APIClient()
    response = client.post(
        API + "auth/token/", {"username": "staff", "password": "a-long-test-password"}
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=user).key == token
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(API + "items/").status_code == 200
    statuses = [
        APIClient()
        .post(API + "auth/token/", {"username": "x", "password": "y"})
        .status_code
        for _ in range(12)
    ]
    assert 429 in statuses


@pytest.mark.parametrize("path", ["items/", "suppliers/", "sources/", "deliveries/",
                                  "movements/", "suggestions/"])  # fmt: skip
def test_list_endpoints_run_a_constant_number_of_queries(data, users, path):
    client = client_for(users["staff"])
    counts = []
    for extra in (3, 30):
        for _ in range(extra):
            source = SupplierItemFactory(item__annual_demand=D("3650"))
            DeliveryLineFactory(item=source.item, delivery__supplier=source.supplier)
            stock_receive(item=source.item, quantity=D("1"))
        suggestions_generate()
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(API + path).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_schema_and_docs_are_served_locally(users):
    client = client_for(users["staff"])
    schema = client.get(API + "schema/")
    assert schema.status_code == 200
    assert b"/api/v1/movements/" in schema.content
    docs = client.get(API + "docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn" not in html.lower() and "<script>" not in html
