"""The delivery pages: receiving with inspection and its field errors."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_receiving_with_inspection(staff_client, world):
    _, line = world
    url = reverse("delivery_receive", args=["PO-100"])
    data = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-0-line": str(line.pk),
        "lines-0-quantity_received": "10",
        "lines-0-quantity_rejected": "3",
        "lines-0-rejection_reason": "bent",
    }
    response = staff_client.post(url, data, follow=True)
    # the 3 rejected are still owed (DESIGN §5): the delivery stays open for them
    content = response.content.decode()
    assert "Received PO-100: now partially received." in content
    assert 'data-testid="expected-BOLT-8">3<' in content
    line.item.refresh_from_db()
    assert line.item.on_hand == D("27")  # 20 + (10 − 3)


def test_receiving_more_rejected_than_received_is_a_field_error(staff_client, world):
    _, line = world
    data = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-0-line": str(line.pk),
        "lines-0-quantity_received": "10",
        "lines-0-quantity_rejected": "11",
    }
    response = staff_client.post(reverse("delivery_receive", args=["PO-100"]), data)
    assert response.status_code == 400
    content = response.content.decode()
    assert "Cannot reject more than was received." in content
    line.refresh_from_db()
    assert line.quantity_received == 0


def test_receiving_a_rejection_without_a_reason_is_a_field_error(staff_client, world):
    _, line = world
    on_hand = line.item.on_hand
    data = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-0-line": str(line.pk),
        "lines-0-quantity_received": "10",
        "lines-0-quantity_rejected": "3",
        "lines-0-rejection_reason": "",
    }
    response = staff_client.post(reverse("delivery_receive", args=["PO-100"]), data)
    assert response.status_code == 400
    assert "Say why parts were rejected." in response.content.decode()
    line.refresh_from_db()
    line.item.refresh_from_db()
    assert (line.quantity_received, line.quantity_rejected) == (0, 0)
    assert line.item.on_hand == on_hand
