"""Orders on the portal: the list as JSON, confirm / change / reject through
JSON and the page, ship notices, and what staff see on the delivery page."""

import json
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from portal.models import LineConfirmation, ShipNotice
from portal.selectors import expected_arrivals
from suppliers.models import DeliveryStatus
from tests.factories import DeliveryFactory, DeliveryLineFactory, SupplierItemFactory
from tests.portal.conftest import NOW, link_for

pytestmark = pytest.mark.django_db
TODAY = NOW.date()


@pytest.fixture
def order(frozen):
    """PO/26/7 from ACME: 10 × BOLT and 20 × NUT, promised in 6 days."""
    bolt = SupplierItemFactory(
        supplier__code="ACME", item__sku="BOLT", supplier_sku="A-B"
    )
    nut = SupplierItemFactory(supplier=bolt.supplier, item__sku="NUT")
    delivery = DeliveryFactory(
        supplier=bolt.supplier,
        reference="PO/26/7",
        promised_date=TODAY + timedelta(days=6),
    )
    lines = {
        "BOLT": DeliveryLineFactory(
            delivery=delivery, item=bolt.item, quantity_ordered=D("10")
        ),
        "NUT": DeliveryLineFactory(
            delivery=delivery, item=nut.item, quantity_ordered=D("20")
        ),
    }
    return delivery, lines


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_orders_json_lists_the_suppliers_open_orders(client, order):
    delivery, _ = order
    DeliveryFactory(supplier=delivery.supplier, status=DeliveryStatus.DRAFT)
    DeliveryFactory(supplier=delivery.supplier, status=DeliveryStatus.RECEIVED)
    body = client.get(link_for(delivery.supplier) + "orders.json").json()
    assert body == {
        "supplier": "ACME",
        "orders": [
            {
                "reference": "PO/26/7",
                "promised_date": (TODAY + timedelta(days=6)).isoformat(),
                "lines": [
                    {"sku": "BOLT", "supplier_sku": "A-B", "quantity_ordered": "10",
                     "confirmed_quantity": None, "confirmed_date": None},
                    {"sku": "NUT", "supplier_sku": "", "quantity_ordered": "20",
                     "confirmed_quantity": None, "confirmed_date": None},
                ],
            }
        ],
    }  # fmt: skip


def test_confirm_and_change_through_json_set_the_expected_arrival(client, order):
    delivery, lines = order
    url = link_for(delivery.supplier) + "orders/PO/26/7/confirm.json"
    later = TODAY + timedelta(days=9)
    response = post_json(client, url, {"lines": [
        {"sku": "BOLT", "action": "confirm"},
        {"sku": "NUT", "action": "change", "quantity": "15", "date": later.isoformat(),
         "reason": "Short of raw material"},
    ]})  # fmt: skip
    assert response.status_code == 200, response.content
    by_sku = {line["sku"]: line for line in response.json()["lines"]}
    assert by_sku["BOLT"]["confirmed_quantity"] == "10"
    assert by_sku["BOLT"]["confirmed_date"] == delivery.promised_date.isoformat()
    assert by_sku["NUT"]["confirmed_quantity"] == "15"
    assert by_sku["NUT"]["expected_arrival"] == later.isoformat()
    arrivals = expected_arrivals([lines["BOLT"].pk, lines["NUT"].pk])
    assert arrivals == {
        lines["BOLT"].pk: delivery.promised_date,
        lines["NUT"].pk: later,
    }
    nut = LineConfirmation.objects.get(line=lines["NUT"])
    assert nut.in_firm_zone and nut.reason == "Short of raw material"
    # A later reject wins; the history stays.
    response = post_json(client, url, {"lines": [
        {"sku": "NUT", "action": "reject", "reason": "Discontinued"}]})  # fmt: skip
    assert response.status_code == 200
    assert expected_arrivals([lines["NUT"].pk]) == {lines["NUT"].pk: None}
    assert LineConfirmation.objects.filter(line=lines["NUT"]).count() == 2


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"sku": "BOLT", "action": "change", "quantity": "5"}, "reason"),
        ({"sku": "BOLT", "action": "change", "reason": "why"}, "quantity"),
        ({"sku": "BOLT", "action": "reject"}, "reason"),
        ({"sku": "BOLT", "action": "maybe"}, "action"),
        ({"sku": "GEAR", "action": "confirm"}, "sku"),
        (
            {"sku": "BOLT", "action": "change", "quantity": "-1", "reason": "x"},
            "quantity",
        ),
        (
            {"sku": "BOLT", "action": "change", "date": "2026-03-01", "reason": "x"},
            "date",
        ),
        ({"sku": "BOLT", "action": "change", "date": "soon", "reason": "x"}, "date"),
    ],
)
def test_bad_answers_get_field_errors_and_store_nothing(client, order, line, field):
    delivery, _ = order
    url = link_for(delivery.supplier) + "orders/PO/26/7/confirm.json"
    response = post_json(
        client, url, {"lines": [{"sku": "NUT", "action": "confirm"}, line]}
    )
    assert response.status_code == 400
    errors = response.json()["lines"]
    assert errors[0] == {} and field in errors[1]
    assert not LineConfirmation.objects.exists()


def test_malformed_bodies_are_400(client, order):
    delivery, _ = order
    url = link_for(delivery.supplier) + "orders/PO/26/7/confirm.json"
    assert (
        client.post(url, "{not json", content_type="application/json").status_code
        == 400
    )
    assert post_json(client, url, []).status_code == 400
    assert post_json(client, url, {"lines": []}).status_code == 400
    assert client.get(url).status_code == 405


def test_ship_notice_through_json_becomes_the_expected_arrival(client, order):
    delivery, lines = order
    base = link_for(delivery.supplier)
    arrival = TODAY + timedelta(days=4)
    url = base + "orders/PO/26/7/ship-notice.json"
    shipped = {
        "arrival": arrival.isoformat(),
        "lines": [{"sku": "BOLT", "quantity": "10"}],
    }
    response = post_json(client, url, shipped)
    assert response.status_code == 201, response.content
    notice = ShipNotice.objects.get()
    assert notice.arrival == arrival and notice.lines.get().quantity == D("10")
    assert expected_arrivals([lines["BOLT"].pk]) == {lines["BOLT"].pk: arrival}
    for bad, field in [
        (
            {"arrival": "2026-03-01", "lines": [{"sku": "BOLT", "quantity": "1"}]},
            "arrival",
        ),
        (
            {
                "arrival": arrival.isoformat(),
                "lines": [{"sku": "NUT", "quantity": "21"}],
            },
            "lines",
        ),
        (
            {
                "arrival": arrival.isoformat(),
                "lines": [{"sku": "GEAR", "quantity": "1"}],
            },
            "lines",
        ),
        ({"arrival": arrival.isoformat(), "lines": []}, "lines"),
    ]:
        response = post_json(client, url, bad)
        assert response.status_code == 400 and field in response.json()
    assert ShipNotice.objects.count() == 1


def test_the_order_page_confirms_and_changes_without_javascript(client, order):
    delivery, lines = order
    page_url = link_for(delivery.supplier) + "orders/PO/26/7/"
    page = client.get(page_url)
    assert page.status_code == 200
    assert b"<script" not in page.content and b"style=" not in page.content
    response = client.post(page_url, {"sku": "BOLT", "action": "confirm"})
    assert response.status_code == 302 and response["Location"].endswith(
        "/orders/PO/26/7/"
    )
    later = TODAY + timedelta(days=8)
    missing_reason = client.post(
        page_url, {"sku": "NUT", "action": "change", "date": later}
    )
    assert missing_reason.status_code == 400
    assert b"A change needs a reason." in missing_reason.content
    response = client.post(
        page_url, {"sku": "NUT", "action": "change", "date": later, "reason": "Holiday"}
    )
    assert response.status_code == 302
    assert expected_arrivals([lines["NUT"].pk])[lines["NUT"].pk] == later
    shipped = client.post(
        link_for(delivery.supplier) + "orders/PO/26/7/ship-notice/",
        {
            "arrival": later,
            f"ship-{lines['BOLT'].pk}": "10",
            f"ship-{lines['NUT'].pk}": "0",
        },
    )
    assert shipped.status_code == 302
    assert ShipNotice.objects.get().lines.count() == 1


def test_staff_see_the_answers_on_the_delivery_page(client, order, staff_client):
    delivery, _ = order
    url = link_for(delivery.supplier) + "orders/PO/26/7/confirm.json"
    later = (TODAY + timedelta(days=9)).isoformat()
    answer = {"sku": "NUT", "action": "change", "date": later, "reason": "Holiday"}
    post_json(client, url, {"lines": [answer]})
    page = staff_client.get("/deliveries/PO/26/7/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Supplier&#x27;s answers" in text or "Supplier's answers" in text
    assert "Changed or rejected by the supplier" in text and "Holiday" in text
    assert date(2026, 3, 20).strftime("%-d %b %Y") in text  # the expected arrival


def test_the_supplier_page_shows_links_answer_speed_and_changes(
    client, order, staff_client
):
    delivery, _ = order  # ordered 5 days before "now" (factory)
    base = link_for(delivery.supplier)
    answer = {"sku": "NUT", "action": "reject", "reason": "Discontinued"}
    post_json(client, base + "orders/PO/26/7/confirm.json", {"lines": [answer]})
    page = staff_client.get("/suppliers/ACME/")
    text = page.content.decode()
    assert "1 usable link" in text
    # Time to confirm (issue 19): hours from placing the order to the first
    # answer, per order, the figure the supplier's score stores.
    assert "Answers orders in 120.0 h (median over 1 order)" in text
    assert "Changed or rejected on open orders" in text and "NUT (reject" in text


def test_a_bad_ship_notice_form_says_why(client, order):
    delivery, lines = order
    response = client.post(
        link_for(delivery.supplier) + "orders/PO/26/7/ship-notice/",
        {"arrival": TODAY.isoformat(), f"ship-{lines['NUT'].pk}": "25"},
    )
    assert response.status_code == 400
    assert b"lines 1 quantity: More than the 20 still open." in response.content
    assert not ShipNotice.objects.exists()


def test_orders_json_reads_a_fixed_number_of_queries(
    client, order, django_assert_max_num_queries
):
    delivery, _ = order
    for n in range(3):
        more = DeliveryFactory(supplier=delivery.supplier, reference=f"PO/X/{n}")
        for _ in range(3):
            DeliveryLineFactory(delivery=more)
    base = link_for(delivery.supplier)
    with django_assert_max_num_queries(12):
        body = client.get(base + "orders.json").json()
    assert len(body["orders"]) == 4


def test_staff_api_shows_the_answers_per_line(client, order, staff_client):
    delivery, lines = order
    later = (TODAY + timedelta(days=9)).isoformat()
    answer = {"sku": "NUT", "action": "change", "date": later, "reason": "Holiday"}
    post_json(client, link_for(delivery.supplier) + "orders/PO/26/7/confirm.json",
              {"lines": [answer]})  # fmt: skip
    body = staff_client.get("/api/v1/deliveries/PO/26/7/answers/").json()
    nut = next(line for line in body["lines"] if line["sku"] == "NUT")
    assert nut["answer"] == "change" and nut["confirmed_date"] == later
    assert nut["expected_arrival"] == later and nut["confirmed_quantity"] == "20.000"
    bolt = next(line for line in body["lines"] if line["sku"] == "BOLT")
    assert bolt["answer"] is None
    assert bolt["expected_arrival"] == delivery.promised_date.isoformat()
    client.logout()
    assert client.get("/api/v1/deliveries/PO/26/7/answers/").status_code == 401


def test_json_refusals_answer_detail_and_code_with_the_field_errors(client, order):
    delivery, _ = order
    url = link_for(delivery.supplier) + "orders/PO/26/7/confirm.json"
    not_on_order = post_json(client, url, {"lines": [{"sku": "GEAR", "action": "x"}]})
    refused = post_json(client, url, {"lines": [{"sku": "GEAR", "action": "confirm"}]})
    not_an_object = post_json(client, url, [])
    assert not_on_order.status_code == refused.status_code == 400
    assert not_on_order.json() == {
        "detail": "Invalid answer.",
        "code": "invalid",
        "lines": [{"action": ['"x" is not a valid choice.']}],
    }
    assert refused.json() == {
        "detail": "Invalid answer.",
        "code": "invalid_answer",
        "lines": [{"sku": ["'GEAR' is not a line of PO/26/7."]}],
    }
    assert not_an_object.status_code == 400
    assert not_an_object.json() == {
        "detail": "The body must be a JSON object.",
        "code": "invalid",
    }
    assert not LineConfirmation.objects.exists()
