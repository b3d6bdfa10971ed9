"""Unmet demand (issue 17, item 4): recorded from the service, the API and the
item page, and from an issue refused for lack of stock when the caller asks.
The ledger never changes: nothing was issued."""

from datetime import datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from items.models import StockMovement, UnmetDemand, UnmetDemandReason
from items.selectors import unmet_demand_by_day, unmet_demand_days
from items.services import (
    InsufficientStock,
    InvalidMovementDate,
    InvalidQuantity,
    stock_issue,
    stock_movement_post,
    stock_receive,
    unmet_demand_record,
)
from tests.factories import ItemFactory, UserFactory

pytestmark = pytest.mark.django_db
FROZEN = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
URL = "/api/v1/unmet-demand/"


@pytest.fixture(autouse=True)
def _frozen(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    with time_machine.travel(FROZEN, tick=False):
        yield


@pytest.fixture
def item():
    item = ItemFactory(sku="BRG-1", unit="ea")
    stock_receive(item=item, quantity=D("4"))
    return item


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(UserFactory(username="clerk", is_staff=True))
    return client


# --- the service ---


def test_record_writes_a_row_and_leaves_the_ledger_alone(item):
    user = UserFactory(username="clerk")
    record = unmet_demand_record(
        item=item, quantity="6", user=user, reference="SO-9", note="customer"
    )
    item.refresh_from_db()
    assert (record.quantity, record.reason, record.reference) == (
        D("6"),
        UnmetDemandReason.OUT_OF_STOCK,
        "SO-9",
    )
    assert record.created_by == user
    assert record.occurred_at == timezone.now()
    assert item.on_hand == D("4")
    assert StockMovement.objects.filter(item=item).count() == 1  # the receipt


@pytest.mark.parametrize(
    "quantity,message",
    [
        ("0", "must not be zero"),
        ("-2", "must be positive"),
        ("abc", "is not a number"),
        ("1.0001", "3 decimal places"),
        ("2.5", "whole number"),  # "ea" is counted in whole units
    ],
)
def test_record_refuses_bad_quantities(item, quantity, message):
    with pytest.raises(InvalidQuantity, match=message):
        unmet_demand_record(item=item, quantity=quantity)
    assert not UnmetDemand.objects.exists()


def test_record_refuses_a_moment_in_the_future_and_an_unknown_reason(item):
    with pytest.raises(InvalidMovementDate):
        unmet_demand_record(
            item=item, quantity="1", occurred_at=timezone.now() + timedelta(days=1)
        )
    with pytest.raises(InvalidQuantity, match="Unknown reason"):
        unmet_demand_record(item=item, quantity="1", reason="bored")
    assert not UnmetDemand.objects.exists()


def test_a_refused_issue_records_its_shortfall_only_when_asked(item):
    with pytest.raises(InsufficientStock) as refused:
        stock_issue(item=item, quantity="10")
    assert refused.value.unmet is None
    assert not UnmetDemand.objects.exists()

    with pytest.raises(InsufficientStock) as refused:
        stock_movement_post(
            item=item, kind="issue", quantity="10", record_unmet=True, reference="SO-1"
        )
    record = refused.value.unmet
    # requested 10 − on hand 4 = 6 not served; the 4 stay on hand (nothing issued)
    assert record.quantity == D("6")
    assert record.reason == UnmetDemandReason.ISSUE_REFUSED
    assert record.reference == "SO-1"
    assert record.note == "Issue of 10 refused: 4 on hand."
    item.refresh_from_db()
    assert item.on_hand == D("4")
    assert not StockMovement.objects.filter(kind="issue").exists()


def test_at_zero_stock_the_whole_request_is_unmet():
    item = ItemFactory(unit="kg")
    with pytest.raises(InsufficientStock) as refused:
        stock_movement_post(item=item, kind="issue", quantity="2.5", record_unmet=True)
    assert refused.value.unmet.quantity == D("2.5")  # 2.5 − 0


def test_record_unmet_never_applies_to_other_kinds(item):
    with pytest.raises(InsufficientStock) as refused:
        stock_movement_post(item=item, kind="scrap", quantity="10", record_unmet=True)
    assert refused.value.unmet is None
    assert not UnmetDemand.objects.exists()


def test_a_served_issue_records_nothing(item):
    stock_movement_post(item=item, kind="issue", quantity="3", record_unmet=True)
    assert not UnmetDemand.objects.exists()


def test_the_database_refuses_a_quantity_that_is_not_positive(item):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        UnmetDemand.objects.create(item=item, quantity=D("0"))


# --- the readers ---


def test_unmet_days_are_site_local_days_with_that_days_issues(item):
    berlin = ZoneInfo("Europe/Berlin")
    # 23:30 Berlin on 29 Nov is 22:30 UTC: the 29th, not the 30th
    late = datetime(2026, 11, 29, 23, 30, tzinfo=berlin)
    unmet_demand_record(item=item, quantity="2", occurred_at=late)
    unmet_demand_record(item=item, quantity="3", occurred_at=late.replace(hour=9))
    unmet_demand_record(
        item=item, quantity="1", occurred_at=datetime(2026, 11, 30, 8, tzinfo=berlin)
    )
    stock_issue(
        item=item, quantity="3", occurred_at=datetime(2026, 11, 29, 12, tzinfo=berlin)
    )
    since = datetime(2026, 11, 1, tzinfo=berlin)
    until = datetime(2026, 12, 1, tzinfo=berlin)
    rows = unmet_demand_days(
        first_id=item.pk, last_id=item.pk, since=since, until=until
    )
    assert [(r.day.isoformat(), r.unmet, r.issued) for r in rows] == [
        ("2026-11-29", D("5"), D("3")),
        ("2026-11-30", D("1"), D("0")),
    ]
    by_day = unmet_demand_by_day(first_id=item.pk, last_id=item.pk, since=since)
    assert {k.isoformat(): v for k, v in by_day[item.pk].items()} == {
        "2026-11-29": D("5"),
        "2026-11-30": D("1"),
    }
    # outside the id range or the window: nothing
    assert not unmet_demand_days(
        first_id=item.pk + 1, last_id=item.pk + 5, since=since, until=until
    )
    assert not unmet_demand_days(
        first_id=item.pk, last_id=item.pk, since=since, until=late - timedelta(days=1)
    )


# --- the API ---


def test_unmet_days_window_bounds_are_instants_not_text(item):
    # 00:30 Berlin on 1 Nov is 23:30 UTC on 31 Oct: inside a window from local
    # midnight; 23:30 Berlin on 30 Nov is inside a window to midnight of 1 Dec.
    # (On SQLite an aware bound compared as text, "2026-11-01 00:00:00+01:00",
    # against the stored UTC "2026-10-31 23:30:00", missed the first.)
    berlin = ZoneInfo("Europe/Berlin")
    unmet_demand_record(
        item=item, quantity="2", occurred_at=datetime(2026, 11, 1, 0, 30, tzinfo=berlin)
    )
    unmet_demand_record(
        item=item,
        quantity="3",
        occurred_at=datetime(2026, 11, 30, 23, 30, tzinfo=berlin),
    )
    since = datetime(2026, 11, 1, tzinfo=berlin)
    until = datetime(2026, 12, 1, tzinfo=berlin)
    rows = unmet_demand_days(
        first_id=item.pk, last_id=item.pk, since=since, until=until
    )
    assert [(r.day.isoformat(), r.unmet) for r in rows] == [
        ("2026-11-01", D("2")),
        ("2026-11-30", D("3")),
    ]
    by_day = unmet_demand_by_day(
        first_id=item.pk, last_id=item.pk, since=since, until=until
    )
    assert sum(by_day[item.pk].values()) == D("5")
    # and a bound one minute later leaves the first out
    later = since + timedelta(minutes=31)
    rows = unmet_demand_days(
        first_id=item.pk, last_id=item.pk, since=later, until=until
    )
    assert [r.unmet for r in rows] == [D("3")]


def test_api_records_and_lists_unmet_demand(api, item):
    response = api.post(
        URL,
        {"sku": "BRG-1", "quantity": "6", "reference": "SO-9", "note": "phone"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["sku"], body["quantity"], body["reason"], body["created_by"]) == (
        "BRG-1",
        "6.000",
        "out_of_stock",
        "clerk",
    )
    listed = api.get(URL, {"item__sku": "BRG-1"}).json()["results"]
    assert [row["id"] for row in listed] == [body["id"]]
    assert api.get(f"{URL}{body['id']}/").json()["reference"] == "SO-9"
    item.refresh_from_db()
    assert item.on_hand == D("4")


@pytest.mark.parametrize(
    "body,field",
    [
        ({"sku": "NOPE", "quantity": "1"}, "sku"),
        ({"sku": "BRG-1", "quantity": "0"}, "quantity"),
        ({"sku": "BRG-1", "quantity": "-1"}, "quantity"),
        ({"sku": "BRG-1", "quantity": "x"}, "quantity"),
        ({"sku": "BRG-1", "quantity": "1.5"}, "quantity"),  # whole units
        ({"sku": "BRG-1", "quantity": "1e30"}, "quantity"),
        ({"sku": "BRG-1", "quantity": "1", "reason": "bored"}, "reason"),
        ({"sku": "BRG-1", "quantity": "1", "occurred_at": "2099-01-01"}, "occurred_at"),
        ({"sku": "BRG-1", "quantity": "1", "occurred_at": "yesterday"}, "occurred_at"),
        ({"sku": "BRG-1"}, "quantity"),
    ],
)
def test_api_bad_input_is_400_with_the_field(api, item, body, field):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not UnmetDemand.objects.exists()


def test_api_unmet_demand_is_append_only(api, item):
    record = unmet_demand_record(item=item, quantity="1")
    for method in (api.put, api.patch, api.delete):
        assert (
            method(f"{URL}{record.pk}/", {"quantity": "2"}, format="json").status_code
            == 405
        )
    assert UnmetDemand.objects.get().quantity == D("1")


def test_api_needs_staff(item):
    client = APIClient()
    client.force_authenticate(UserFactory(username="viewer", is_staff=False))
    assert client.post(URL, {"sku": "BRG-1", "quantity": "1"}).status_code == 403


def test_api_refused_issue_records_the_shortfall_with_the_flag(api, item):
    plain = api.post(
        "/api/v1/movements/",
        {"sku": "BRG-1", "kind": "issue", "quantity": "10"},
        format="json",
    )
    assert plain.status_code == 409
    assert "unmet_demand" not in plain.json()
    assert not UnmetDemand.objects.exists()

    flagged = api.post(
        "/api/v1/movements/",
        {"sku": "BRG-1", "kind": "issue", "quantity": "10", "record_unmet": True},
        format="json",
    )
    assert flagged.status_code == 409
    body = flagged.json()
    assert body["code"] == "insufficient_stock"
    assert body["unmet_demand"]["quantity"] == "6.000"  # 10 − 4
    assert body["unmet_demand"]["reason"] == "issue_refused"
    item.refresh_from_db()
    assert item.on_hand == D("4")


def test_api_record_unmet_must_be_a_boolean(api, item):
    response = api.post(
        "/api/v1/movements/",
        {"sku": "BRG-1", "kind": "issue", "quantity": "1", "record_unmet": "maybe"},
        format="json",
    )
    assert response.status_code == 400
    assert "record_unmet" in response.json()


# --- the item page ---


def test_item_page_records_unmet_demand(staff_client, item):
    response = staff_client.post(
        reverse("unmet_demand_create", args=["BRG-1"]),
        {"unmet-quantity": "3", "unmet-reason": "out_of_stock", "unmet-note": ""},
        follow=True,
    )
    assert response.status_code == 200
    assert "Recorded 3 ea of unmet demand" in response.content.decode()
    assert UnmetDemand.objects.get().quantity == D("3")


@pytest.mark.parametrize(
    "data",
    [
        {"unmet-quantity": "0", "unmet-reason": "out_of_stock"},
        {"unmet-quantity": "abc", "unmet-reason": "out_of_stock"},
        {"unmet-quantity": "1.5", "unmet-reason": "out_of_stock"},  # whole units
        {"unmet-quantity": "1", "unmet-reason": "bored"},
        {"quantity": "1", "reason": "out_of_stock"},  # not the form's fields
        {},
    ],
)
def test_item_page_bad_unmet_input_is_a_message(staff_client, item, data):
    response = staff_client.post(
        reverse("unmet_demand_create", args=["BRG-1"]), data, follow=True
    )
    assert response.status_code == 200
    assert "Nothing recorded:" in response.content.decode()
    assert not UnmetDemand.objects.exists()


def test_item_page_issue_checkbox_records_the_shortfall(staff_client, item):
    url = reverse("movement_create", args=["BRG-1"])
    plain = staff_client.post(url, {"kind": "issue", "quantity": "10"}, follow=True)
    assert "Nothing recorded: Cannot take 10 of BRG-1" in plain.content.decode()
    assert not UnmetDemand.objects.exists()

    ticked = staff_client.post(
        url, {"kind": "issue", "quantity": "10", "record_unmet": "on"}, follow=True
    )
    html = ticked.content.decode()
    assert "Nothing issued: Cannot take 10 of BRG-1: only 4 on hand." in html
    assert "Recorded 6 ea as unmet demand." in html
    assert UnmetDemand.objects.get().quantity == D("6")
    item.refresh_from_db()
    assert item.on_hand == D("4")


def test_only_staff_record_unmet_demand_on_the_page(client, item):
    client.force_login(UserFactory(username="viewer", is_staff=False))
    response = client.post(
        reverse("unmet_demand_create", args=["BRG-1"]),
        {"unmet-quantity": "1", "unmet-reason": "out_of_stock"},
    )
    assert response.status_code == 403
    assert not UnmetDemand.objects.exists()
