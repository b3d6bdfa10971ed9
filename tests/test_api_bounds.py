"""Issue 13 through the API: receipts beyond what stock can hold, impossible
dates and NUL text are 400 with field errors, change nothing, and every read
endpoint still answers afterwards."""

from decimal import Decimal as D

import pytest
import time_machine
from rest_framework.test import APIClient

from items.services import stock_receive
from suppliers.models import DeliveryLine
from tests.bounds import FROZEN_NOW, state
from tests.factories import (
    DeliveryLineFactory,
    ItemFactory,
    SupplierItemFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
API = "/api/v1/"
BIG = "9999999999999"
READS = ["items/", "items/BRG-1001/", "movements/", "deliveries/PO-1/"]


@pytest.fixture
def api():
    source = SupplierItemFactory(item__sku="BRG-1001", supplier__code="ACME")
    stock_receive(item=source.item, quantity=D("20"))
    DeliveryLineFactory(
        item=source.item,
        delivery__supplier=source.supplier,
        delivery__reference="PO-1",
        quantity_ordered=D("10"),
    )
    client = APIClient()
    client.force_authenticate(UserFactory(username="clerk", is_staff=True))
    return client


def assert_reads_still_work(client):
    for path in READS:
        response = client.get(API + path)
        assert response.status_code == 200, (path, response.content)


def test_a_receipt_beyond_what_stock_can_hold_is_400(api):
    before = state()
    response = api.post(
        API + "movements/",
        {"sku": "BRG-1001", "kind": "receipt", "quantity": BIG},
        format="json",
    )
    assert response.status_code == 400
    message = (
        f"Cannot add {BIG} to BRG-1001: on hand would be 10000000000019, "
        "more than the largest stock that can be stored (9999999999999.99)."
    )
    assert response.json() == {
        "detail": message,
        "code": "stock_overflow",
        "quantity": [message],
    }
    assert state() == before
    assert_reads_still_work(api)


def test_receiving_a_delivery_beyond_what_stock_can_hold_is_400(api):
    line_id = api.get(API + "deliveries/PO-1/").json()["lines"][0]["id"]
    # ordered as much as arrives: the receipt tolerance lets it through to the
    # ledger, whose column it would overflow
    DeliveryLine.objects.filter(pk=line_id).update(quantity_ordered=D(BIG))
    before = state()
    response = api.post(
        API + "deliveries/PO-1/receive/",
        {"lines": [{"line": line_id, "quantity_received": BIG}]},
        format="json",
    )
    assert response.status_code == 400
    assert "on hand would be 10000000000019" in response.json()["lines"][0]
    assert state() == before
    assert_reads_still_work(api)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("items/", {"unit_cost": "10000000000"}, "unit_cost"),
        ("items/", {"annual_demand": "9999999999999.999"}, "annual_demand"),
        ("sources/", {"unit_price": "10000000000"}, "unit_price"),
        ("sources/", {"min_order_qty": "9999999999999.999"}, "min_order_qty"),
        ("sources/", {"order_multiple": "9999999999999.999"}, "order_multiple"),
    ],
)
def test_money_and_quantities_beyond_their_columns_are_400(api, path, body, field):
    """9999999999999.999 fits numeric(16, 3) but SQLite cannot read it back."""
    admin = APIClient()
    admin.force_authenticate(
        UserFactory(username="root", is_staff=True, is_superuser=True)
    )
    ItemFactory(sku="OTHER")
    valid = {
        "items/": {"sku": "NEW-1", "name": "new", "unit_cost": "1"},
        "sources/": {"supplier": "ACME", "sku": "OTHER", "unit_price": "1",
                     "quoted_lead_time_days": 3},
    }[path]  # fmt: skip
    before = state()
    response = admin.post(API + path, {**valid, **body}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["detail", "code", field]
    assert state() == before
    assert_reads_still_work(api)
    assert admin.post(API + path, valid, format="json").status_code == 201


@time_machine.travel(FROZEN_NOW, tick=False)
@pytest.mark.parametrize(
    ("occurred_at", "message"),
    [
        ("0001-01-01T00:00:00", "is before 2000-01-01"),  # naive: was a 500
        ("0001-01-01T00:00:00Z", "is before 2000-01-01"),
        ("9999-12-31T23:59:59-05:00", "is in the future"),  # year 10000 in UTC
        ("2062-03-02T10:00:00Z", "is in the future"),
        ("2026-03-02T10:11:00Z", "is in the future"),
    ],
)
def test_impossible_occurred_at_is_a_field_error(api, occurred_at, message):
    before = state()
    response = api.post(
        API + "movements/",
        {"sku": "BRG-1001", "kind": "receipt", "quantity": "1",
         "occurred_at": occurred_at},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert list(response.json()) == ["detail", "code", "occurred_at"]
    assert message in response.json()["occurred_at"][0]
    assert state() == before
    assert_reads_still_work(api)


@time_machine.travel(FROZEN_NOW, tick=False)
def test_occurred_at_within_the_clock_skew_is_accepted(api):
    response = api.post(
        API + "movements/",
        {"sku": "BRG-1001", "kind": "receipt", "quantity": "1",
         "occurred_at": "2026-03-02T10:09:00Z"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content


def test_nul_characters_in_text_are_a_field_error(api):
    before = state()
    response = api.post(
        API + "movements/",
        {"sku": "BRG-1001", "kind": "receipt", "quantity": "1", "note": "a\x00b"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "note: Null characters are not allowed.",
        "code": "invalid",
        "note": ["Null characters are not allowed."],
    }
    assert state() == before


def test_a_lead_time_beyond_the_date_window_is_400(api):
    admin = APIClient()
    admin.force_authenticate(
        UserFactory(username="root", is_staff=True, is_superuser=True)
    )
    ItemFactory(sku="OTHER")
    body = {"supplier": "ACME", "sku": "OTHER", "unit_price": "1"}
    before = state()
    response = admin.post(
        API + "sources/", {**body, "quoted_lead_time_days": 367}, format="json"
    )
    assert response.status_code == 400
    message = "367 days is longer than 366, the furthest a promised date may lie ahead."
    assert response.json() == {
        "detail": f"quoted_lead_time_days: {message}",
        "code": "invalid",
        "quoted_lead_time_days": [message],
    }
    assert state() == before
    response = admin.post(
        API + "sources/", {**body, "quoted_lead_time_days": 366}, format="json"
    )
    assert response.status_code == 201
