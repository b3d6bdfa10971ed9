"""Isolation: every portal URL answers 404 to a random, expired or revoked
token and to another supplier's token for this supplier's order; another
supplier's link never shows this supplier's data. Portal pages keep the site's
security headers and have no inline scripts or styles."""

import json
from datetime import timedelta
from decimal import Decimal as D

import pytest
import time_machine
from django.utils import timezone

from portal.models import LineConfirmation, ShipNotice
from portal.services import portal_links_revoke
from tests.factories import DeliveryFactory, DeliveryLineFactory, SupplierItemFactory
from tests.portal.conftest import NOW, link_for

pytestmark = pytest.mark.django_db

GETS = [
    "",
    "forecast/",
    "forecast.json",
    "forecast.csv",
    "consumption/",
    "consumption.json",
    "consumption.csv",
    "orders/",
    "orders.json",
    "orders/PO/A/1/",
]
POSTS = [
    ("orders/PO/A/1/confirm.json", {"lines": [{"sku": "A-ITEM", "action": "confirm"}]}),
    (
        "orders/PO/A/1/ship-notice.json",
        {"arrival": "2026-03-20", "lines": [{"sku": "A-ITEM", "quantity": "1"}]},
    ),
]
FORM_POSTS = [
    ("orders/PO/A/1/", {"sku": "A-ITEM", "action": "confirm"}),
    ("orders/PO/A/1/ship-notice/", {"arrival": "2026-03-20"}),
]


@pytest.fixture
def two_suppliers(frozen):
    a = SupplierItemFactory(
        supplier__code="SUPA", item__sku="A-ITEM", supplier_sku="A-SECRET"
    )
    b = SupplierItemFactory(supplier__code="SUPB", item__sku="B-ITEM")
    DeliveryLineFactory(
        delivery=DeliveryFactory(supplier=a.supplier, reference="PO/A/1"),
        item=a.item,
        quantity_ordered=D("10"),
    )
    DeliveryLineFactory(
        delivery=DeliveryFactory(supplier=b.supplier, reference="PO/B/1"),
        item=b.item,
        quantity_ordered=D("5"),
    )
    return a.supplier, b.supplier


def bad_links(supplier) -> dict[str, str]:
    with time_machine.travel(NOW - timedelta(days=100), tick=False):
        expired = link_for(supplier, days=90)
    revoked = link_for(supplier)
    portal_links_revoke(supplier=supplier)
    return {
        "random": "/portal/" + "A" * 43 + "/",
        "expired": expired,
        "revoked": revoked,
        "empty-ish": "/portal/-/",
    }


def test_unusable_tokens_get_404_on_every_url(client, two_suppliers, settings):
    settings.PORTAL_BAD_TOKEN_LIMIT = 1000
    supplier_a, _ = two_suppliers
    for kind, base in bad_links(supplier_a).items():
        for page in GETS:
            assert client.get(base + page).status_code == 404, (kind, page)
        for page, body in POSTS:
            response = client.post(
                base + page, json.dumps(body), content_type="application/json"
            )
            assert response.status_code == 404, (kind, page)
        for page, data in FORM_POSTS:
            assert client.post(base + page, data).status_code == 404, (kind, page)
    assert not LineConfirmation.objects.exists() and not ShipNotice.objects.exists()


def test_another_suppliers_link_never_reaches_this_suppliers_data(
    client, two_suppliers
):
    supplier_a, supplier_b = two_suppliers
    own = link_for(supplier_a)
    assert client.get(own + "orders/PO/A/1/").status_code == 200  # the control
    other = link_for(supplier_b)
    for page in GETS:
        response = client.get(other + page)
        if "PO/A/1" in page:
            assert response.status_code == 404, page
            continue
        assert response.status_code == 200, page
        content = response.content.decode()
        for secret in ("A-ITEM", "A-SECRET", "PO/A/1", "SUPA"):
            assert secret not in content, (page, secret)
    for page, body in POSTS:
        response = client.post(
            other + page, json.dumps(body), content_type="application/json"
        )
        assert response.status_code == 404, page
    for page, data in FORM_POSTS:
        assert client.post(other + page, data).status_code == 404, page
    # B's own order is reachable; naming A's item on it is a field error.
    response = client.post(
        other + "orders/PO/B/1/confirm.json",
        json.dumps({"lines": [{"sku": "A-ITEM", "action": "confirm"}]}),
        content_type="application/json",
    )
    assert response.status_code == 400 and "sku" in response.json()["lines"][0]
    assert not LineConfirmation.objects.exists() and not ShipNotice.objects.exists()


def test_closed_orders_are_not_on_the_portal(client, two_suppliers):
    supplier_a, _ = two_suppliers
    DeliveryFactory(supplier=supplier_a, reference="PO/A/old", status="received")
    base = link_for(supplier_a)
    assert client.get(base + "orders/PO/A/old/").status_code == 404
    refs = [o["reference"] for o in client.get(base + "orders.json").json()["orders"]]
    assert refs == ["PO/A/1"]


def test_portal_pages_keep_the_security_headers_and_no_inline_code(
    client, two_suppliers
):
    supplier_a, _ = two_suppliers
    base = link_for(supplier_a)
    for page in GETS:
        response = client.get(base + page, secure=True)
        assert response.status_code == 200, page
        csp = response["Content-Security-Policy"]
        assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cache-Control"] == "no-store, private"
        content = response.content.decode()
        assert "<script" not in content and "<style" not in content, page
        assert ' style="' not in content, page
    assert timezone.localdate() == NOW.date()
