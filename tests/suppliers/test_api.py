"""The deliveries API: receiving with inspection, and refusals."""

from decimal import Decimal as D

import pytest

from items.models import Item
from tests.scenarios import API, client_for

pytestmark = pytest.mark.django_db


def test_receive_a_delivery_with_inspection(data, users):
    _, line = data
    client = client_for(users["staff"])
    received = {"line": line.pk, "quantity_received": "10", "quantity_rejected": "1"}
    body = {"lines": [{**received, "rejection_reason": "dented"}]}
    response = client.post(API + "deliveries/PO-1/receive/", body, format="json")
    assert response.status_code == 200, response.content
    # the rejected part is still owed (DESIGN §5) until replaced or closed short
    assert response.json()["status"] == "partially_received"
    assert response.json()["lines"][0]["quantity_open"] == "1.000"
    assert Item.objects.get(sku="BOLT-8").on_hand == D("29")
    close = client.post(API + "deliveries/PO-1/close-short/")
    assert close.status_code == 200, close.content
    assert close.json()["status"] == "received"
    assert close.json()["lines"][0]["quantity_short"] == "1.000"
    again = client.post(API + "deliveries/PO-1/receive/", body, format="json")
    assert again.status_code == 409
    bad = {
        "lines": [{"line": line.pk, "quantity_received": "1", "quantity_rejected": "2"}]
    }
    # a closed delivery refuses any receipt, even one that is wrong in itself
    refused = client.post(API + "deliveries/PO-1/receive/", bad, format="json")
    assert refused.status_code == 409, refused.content


def test_receiving_more_rejected_than_received_is_400_and_changes_nothing(data, users):
    _, line = data
    bad = {
        "lines": [{"line": line.pk, "quantity_received": "1", "quantity_rejected": "2"}]
    }
    response = client_for(users["staff"]).post(
        API + "deliveries/PO-1/receive/", bad, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_receipt"
    assert "BOLT-8: cannot reject 2, only 1 received." in str(response.json())
    line.refresh_from_db()
    assert (line.quantity_received, line.quantity_rejected) == (0, 0)
    assert Item.objects.get(sku="BOLT-8").on_hand == D("20")
