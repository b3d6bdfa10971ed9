"""Hostile or careless API clients (issue 13, findings 5 and 9): a forged
X-Forwarded-For does not escape the throttle or the lockout, deeply nested JSON is
a 400, and deleting what others refer to is a 409 that names them."""

from decimal import Decimal as D

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from items.models import Item, StockMovement
from items.services import stock_receive
from replenishment.generation import suggestions_generate
from suppliers.models import Delivery, Supplier, SupplierItem
from tests.factories import (
    DeliveryLineFactory,
    ItemFactory,
    SuperuserFactory,
    SupplierFactory,
    SupplierItemFactory,
)

pytestmark = pytest.mark.django_db
API = "/api/v1/"
TOKEN = API + "auth/token/"


def token_statuses(forwarded_for, *, tries=14):
    statuses = []
    for n in range(tries):
        response = APIClient().post(
            TOKEN,
            {"username": "x", "password": "y"},
            HTTP_X_FORWARDED_FOR=forwarded_for(n),
        )
        statuses.append(response.status_code)
    return statuses


def test_a_new_forged_x_forwarded_for_per_request_still_gets_429():
    statuses = token_statuses(lambda n: f"203.0.113.{n}")
    assert statuses[:10] == [400] * 10  # API_TOKEN_RATE 10/min
    assert statuses[10:] == [429] * 4


def test_behind_one_trusted_proxy_the_address_it_saw_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    # What the client wrote itself (left) changes; what the proxy appended does not.
    forged = token_statuses(lambda n: f"203.0.113.{n}, 198.51.100.7")
    assert forged[10:] == [429] * 4
    # Two real clients behind the proxy are counted apart.
    other = token_statuses(lambda n: "198.51.100.8", tries=1)
    assert other == [400]


def test_client_ip_ignores_x_forwarded_for_without_trusted_proxies(rf, settings):
    from inventory_site.http import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8")
    assert client_ip(request) == "127.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "5.6.7.8"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "1.2.3.4"
    settings.TRUSTED_PROXY_COUNT = 5  # more than were there: the left-most
    assert client_ip(request) == "1.2.3.4"


def test_login_lockout_is_not_escaped_by_a_forged_x_forwarded_for(client):
    from tests.factories import UserFactory

    UserFactory(username="clerk", is_staff=True)
    for n in range(5):
        client.post(
            "/accounts/login/",
            {"username": "clerk", "password": "wrong-password"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
    response = client.post(
        "/accounts/login/",
        {"username": "clerk", "password": "a-long-test-password"},
        HTTP_X_FORWARDED_FOR="203.0.113.99",
    )
    assert response.status_code == 429  # locked out, even with the right password
    assert "_auth_user_id" not in client.session


NESTED = "[" * 50_000 + "]" * 50_000


@pytest.mark.parametrize(
    "body",
    [NESTED, '{"a":' * 5000 + "1" + "}" * 5000, "[" * 33 + "]" * 33],
    ids=["list-50000", "object-5000", "list-33"],
)
def test_deeply_nested_json_is_a_400_even_anonymously(body):
    response = APIClient().post(TOKEN, body, content_type="application/json")
    assert response.status_code == 400
    assert "nests deeper than 32 levels" in response.json()["detail"]


def test_deeply_nested_json_is_a_400_for_a_write_and_changes_nothing():
    item = ItemFactory(sku="BOLT-8")
    client = APIClient()
    client.force_authenticate(SuperuserFactory(username="root"))
    body = '{"sku": "BOLT-8", "kind": "receipt", "quantity": "5", "note": ' + NESTED
    response = client.post(
        API + "movements/", body + "}", content_type="application/json"
    )
    assert response.status_code == 400
    assert "nests deeper" in response.json()["detail"]
    assert not StockMovement.objects.exists()
    item.refresh_from_db()
    assert item.on_hand == 0


def test_brackets_inside_strings_do_not_count_as_nesting():
    ItemFactory(sku="BOLT-8")
    client = APIClient()
    client.force_authenticate(SuperuserFactory(username="root"))
    note = '[{"\\"' * 40
    response = client.post(
        API + "movements/",
        {"sku": "BOLT-8", "kind": "receipt", "quantity": "5", "note": note},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert StockMovement.objects.get().note == note


@pytest.fixture
def admin_api():
    client = APIClient()
    client.force_authenticate(SuperuserFactory(username="root"))
    return client


def test_deleting_a_supplier_with_deliveries_is_409_naming_them(admin_api):
    line = DeliveryLineFactory(delivery__supplier__code="ACME")
    DeliveryLineFactory(delivery__supplier=line.delivery.supplier)
    SupplierItemFactory(supplier=line.delivery.supplier)
    response = admin_api.delete(API + "suppliers/ACME/")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "This supplier cannot be deleted: 2 deliveries and 1 source "
        "refer to it. Set it inactive instead.",
        "code": "protected",
    }
    assert Supplier.objects.filter(code="ACME").exists()
    assert Delivery.objects.count() == 2 and SupplierItem.objects.count() == 1


@pytest.mark.parametrize("referrer", ["delivery_line", "source", "movement"])
def test_deleting_an_item_that_is_referred_to_is_409(admin_api, referrer):
    item = ItemFactory(sku="BOLT-8")
    if referrer == "delivery_line":
        DeliveryLineFactory(item=item)
    elif referrer == "source":
        SupplierItemFactory(item=item)
    else:
        stock_receive(item=item, quantity=D("3"))
    response = admin_api.delete(API + "items/BOLT-8/")
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "protected"
    assert body["detail"].startswith("This item cannot be deleted: 1 ")
    assert Item.objects.filter(sku="BOLT-8").exists()


def test_deleting_a_source_that_a_suggestion_uses_is_409(admin_api):
    source = SupplierItemFactory(item__annual_demand=D("3650"))
    suggestions_generate()
    assert source.suggestions.exists()
    response = admin_api.delete(API + f"sources/{source.pk}/")
    assert response.status_code == 409
    assert response.json()["detail"].startswith(
        "This source cannot be deleted: 1 suggestion refers to it."
    )
    assert SupplierItem.objects.filter(pk=source.pk).exists()


def test_deleting_what_nothing_refers_to_still_works(admin_api):
    SupplierFactory(code="LONELY")
    ItemFactory(sku="UNUSED")
    assert admin_api.delete(API + "suppliers/LONELY/").status_code == 204
    assert admin_api.delete(API + "items/UNUSED/").status_code == 204


@pytest.mark.parametrize(
    "model,make",
    [
        ("supplier", lambda: DeliveryLineFactory().delivery.supplier),
        ("item", lambda: DeliveryLineFactory().item),
    ],
)
def test_admin_delete_of_a_protected_object_shows_the_cannot_delete_page(
    admin_client_logged, model, make
):
    obj = make()
    app = "suppliers" if model == "supplier" else "items"
    url = f"/admin/{app}/{model}/{obj.pk}/delete/"
    page = admin_client_logged.get(url)
    assert page.status_code == 200
    assert b"would require deleting the following protected related objects" in (
        page.content
    )
    response = admin_client_logged.post(url, {"post": "yes"})
    assert response.status_code == 200  # the same page again, nothing deleted
    assert type(obj).objects.filter(pk=obj.pk).exists()


@override_settings(DEBUG=False)
def test_conn_max_age_is_zero_unless_set():
    """Persistent connections only where gunicorn.conf.py (or the environment)
    asks for them: the threaded development server would leak one per thread."""
    import os
    import subprocess
    import sys

    code = (
        "import django;django.setup();from django.conf import settings;"
        "d=settings.DATABASES['default'];"
        "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    )
    env = {k: v for k, v in os.environ.items() if k != "CONN_MAX_AGE"}
    env.update(
        DJANGO_SETTINGS_MODULE="inventory_site.settings.base",
        DJANGO_SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://u@127.0.0.1:5432/none",
    )
    run = [sys.executable, "-c", code]
    plain = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    assert plain.stdout.split() == ["0", "True"]
    env["CONN_MAX_AGE"] = "60"
    gunicorn = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    assert gunicorn.stdout.split() == ["60", "True"]


def test_gunicorn_config_asks_for_persistent_connections(monkeypatch):
    import runpy
    from pathlib import Path

    monkeypatch.delenv("CONN_MAX_AGE", raising=False)
    import os

    runpy.run_path(str(Path(__file__).parent.parent / "gunicorn.conf.py"))
    assert os.environ["CONN_MAX_AGE"] == "60"


def test_admin_bulk_delete_of_protected_suppliers_shows_the_cannot_delete_page(
    admin_client_logged,
):
    supplier = DeliveryLineFactory().delivery.supplier
    response = admin_client_logged.post(
        "/admin/suppliers/supplier/",
        {"action": "delete_selected", "_selected_action": [str(supplier.pk)]},
    )
    assert response.status_code == 200
    assert b"would require deleting the following protected related objects" in (
        response.content
    )
    assert Supplier.objects.filter(pk=supplier.pk).exists()
