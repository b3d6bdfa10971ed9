"""The purchase-order API (DESIGN §5): accept with quantity, accept many, place,
cancel, document; 409 for a step the status does not allow."""

from datetime import timedelta
from decimal import Decimal as D
from io import BytesIO

import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from replenishment.models import Suggestion
from suppliers.models import Delivery, DeliveryStatus
from tests.factories import (
    DeliveryLineFactory,
    SupplierFactory,
    SupplierItemFactory,
    UserFactory,
)
from tests.replenishment.test_services import suggestion

pytestmark = pytest.mark.django_db
API = "/api/v1/"


@pytest.fixture
def staff():
    client = APIClient()
    client.force_authenticate(UserFactory(username="staff", is_staff=True))
    return client


@pytest.fixture
def acme():
    supplier = SupplierFactory(code="ACME", email="orders@acme.example")
    sources = [
        SupplierItemFactory(supplier=supplier, item__sku=f"BOLT-{n}", unit_price=D(2))
        for n in range(3)
    ]
    return supplier, sources


def test_accept_one_with_a_changed_quantity(staff, acme):
    _, (src, *_) = acme
    s = suggestion(src, "72", order_by=timezone.localdate())
    response = staff.post(
        API + f"suggestions/{s.pk}/accept/", {"quantity": "50"}, format="json"
    )
    assert response.status_code == 201, response.content
    reference = response.json()["deliveries"][0]
    s.refresh_from_db()
    assert (s.quantity, s.accepted_quantity) == (D("72"), D("50"))
    detail = staff.get(API + f"suggestions/{s.pk}/").json()
    assert detail["accepted_quantity"] == "50.000" and detail["delivery"] == reference
    line = Delivery.objects.get(reference=reference).lines.get()
    assert line.quantity_ordered == D("50")


@pytest.mark.parametrize("quantity", ["0", "-1", "abc"])
def test_accept_one_refuses_a_bad_quantity_as_a_field_error(staff, acme, quantity):
    _, (src, *_) = acme
    s = suggestion(src)
    response = staff.post(
        API + f"suggestions/{s.pk}/accept/", {"quantity": quantity}, format="json"
    )
    assert response.status_code == 400
    assert "quantity" in response.json()
    assert Suggestion.objects.get(pk=s.pk).status == "open"


def test_accept_one_refuses_a_fraction_of_a_whole_unit(staff, acme):
    _, (src, *_) = acme
    s = suggestion(src)
    response = staff.post(
        API + f"suggestions/{s.pk}/accept/", {"quantity": "2.5"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_quantity"
    assert not Delivery.objects.exists()


def test_accept_many_by_ids_with_quantities_into_one_draft(staff, acme):
    _, sources = acme
    s = [suggestion(src) for src in sources]
    body = {"ids": [s[0].pk, s[1].pk], "quantities": {str(s[1].pk): "4"}}
    response = staff.post(API + "suggestions/accept/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["accepted"] == 2
    again = staff.post(API + "suggestions/accept/", {"ids": [s[2].pk]}, format="json")
    assert again.json()["deliveries"] == response.json()["deliveries"]
    draft = Delivery.objects.get()
    assert dict(draft.lines.values_list("item__sku", "quantity_ordered")) == {
        "BOLT-0": D("10"), "BOLT-1": D("4"), "BOLT-2": D("10"),
    }  # fmt: skip


def test_accept_many_due_for_a_supplier(staff, acme):
    _, sources = acme
    today = timezone.localdate()
    suggestion(sources[0], order_by=today - timedelta(days=2))
    suggestion(sources[1], order_by=today)
    later = suggestion(sources[2], order_by=today + timedelta(days=1))
    body = {"supplier": "ACME", "due": True}
    response = staff.post(API + "suggestions/accept/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["accepted"] == 2
    assert Suggestion.objects.get(pk=later.pk).status == "open"
    nothing = staff.post(API + "suggestions/accept/", body, format="json")
    assert nothing.status_code == 409
    assert nothing.json()["code"] == "none_due"
    unknown = {"supplier": "NOPE", "due": True}
    assert (
        staff.post(API + "suggestions/accept/", unknown, format="json").status_code
        == 404
    )


@pytest.mark.parametrize(
    "body",
    [{}, {"supplier": "ACME"}, {"ids": [1], "supplier": "ACME", "due": True},
     {"ids": []}, {"ids": [1], "quantities": {"x": "1"}}],
)  # fmt: skip
def test_accept_many_refuses_malformed_bodies(staff, acme, body):
    response = staff.post(API + "suggestions/accept/", body, format="json")
    assert response.status_code == 400


def test_accepting_a_suggestion_no_longer_open_is_409(staff, acme):
    _, (src, *_) = acme
    s = suggestion(src, status="dismissed")
    response = staff.post(API + f"suggestions/{s.pk}/accept/")
    assert response.status_code == 409
    assert response.json()["code"] == "not_open"


def draft(acme):
    supplier, sources = acme
    line = DeliveryLineFactory(
        delivery__supplier=supplier, delivery__status=DeliveryStatus.DRAFT,
        delivery__reference="JIT-1", delivery__ordered_at=None,
        delivery__promised_date=None, item=sources[0].item,
        quantity_ordered=D("40"), unit_price=D("2"),
    )  # fmt: skip
    return line


@pytest.mark.django_db(transaction=True)  # the e-mail goes out on commit
def test_place_answers_the_ordered_delivery_with_sent_to_and_sent_at(staff, acme):
    draft(acme)
    response = staff.post(API + "deliveries/JIT-1/place/", {}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ordered"
    assert body["ordered_at"] and body["promised_date"]
    assert body["sent_to"] == "orders@acme.example" and body["sent_at"]
    assert body["send_error"] == ""
    (message,) = mail.outbox
    assert message.attachments[0][2] == "application/pdf"
    again = staff.post(API + "deliveries/JIT-1/place/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "not_draft"
    assert len(mail.outbox) == 1


def test_place_with_a_promised_date(staff, acme):
    draft(acme)
    day = timezone.localdate() + timedelta(days=20)
    response = staff.post(
        API + "deliveries/JIT-1/place/", {"promised_date": str(day)}, format="json"
    )
    assert response.json()["promised_date"] == str(day)
    past = timezone.localdate() - timedelta(days=1)
    other = draft_line_elsewhere(acme)
    refused = staff.post(
        API + f"deliveries/{other}/place/", {"promised_date": str(past)}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_promised_date"


def draft_line_elsewhere(acme):
    supplier, sources = acme
    line = DeliveryLineFactory(
        delivery__supplier=supplier, delivery__status=DeliveryStatus.DRAFT,
        delivery__reference="JIT-2", item=sources[1].item,
    )  # fmt: skip
    return line.delivery.reference


def test_placing_a_received_delivery_is_409_and_changes_nothing(staff, acme):
    line = draft(acme)
    Delivery.objects.filter(pk=line.delivery_id).update(status="received")
    response = staff.post(API + "deliveries/JIT-1/place/", {}, format="json")
    assert response.status_code == 409
    assert set(response.json()) == {"detail", "code"}
    assert Delivery.objects.get(pk=line.delivery_id).status == "received"
    assert not mail.outbox


def test_cancel_with_a_reason_and_refusals(staff, acme):
    line = draft(acme)
    missing = staff.post(API + "deliveries/JIT-1/cancel/", {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()
    response = staff.post(
        API + "deliveries/JIT-1/cancel/", {"reason": "duplicate"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancel_reason"] == "duplicate"
    again = staff.post(
        API + "deliveries/JIT-1/cancel/", {"reason": "again"}, format="json"
    )
    assert again.status_code == 409 and again.json()["code"] == "not_cancellable"
    Delivery.objects.filter(pk=line.delivery_id).update(status="received")
    received = staff.post(
        API + "deliveries/JIT-1/cancel/", {"reason": "x"}, format="json"
    )
    assert received.status_code == 409


def test_receiving_too_much_is_refused_with_line_and_maximum(staff, acme):
    line = draft(acme)
    Delivery.objects.filter(pk=line.delivery_id).update(status="ordered")
    body = {"lines": [{"line": line.pk, "quantity_received": "500"}]}
    response = staff.post(API + "deliveries/JIT-1/receive/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "over_receipt"
    assert "BOLT-0" in response.json()["lines"][0]
    assert "at most 44" in response.json()["lines"][0]


def test_close_short_of_an_order_with_nothing_received_is_409(staff, acme):
    line = draft(acme)
    Delivery.objects.filter(pk=line.delivery_id).update(status="ordered")
    response = staff.post(API + "deliveries/JIT-1/close-short/")
    assert response.status_code == 409 and response.json()["code"] == "not_closable"


def test_document_is_a_pdf(staff, acme):
    draft(acme)
    response = staff.get(API + "deliveries/JIT-1/document/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = PdfReader(BytesIO(response.content)).pages[0].extract_text()
    assert "JIT-1" in text and "BOLT-0" in text and "80.00" in text
    asked = staff.get(API + "deliveries/JIT-1/document/", HTTP_ACCEPT="application/pdf")
    assert asked.status_code == 200
    missing = staff.get(
        API + "deliveries/NOPE/document/", HTTP_ACCEPT="application/pdf"
    )
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "suggestions/accept/"), ("post", "deliveries/JIT-1/place/"),
     ("post", "deliveries/JIT-1/cancel/"), ("get", "deliveries/JIT-1/document/"),
     ("post", "deliveries/JIT-1/close-short/")],
)  # fmt: skip
def test_purchase_order_actions_need_staff(acme, method, path):
    draft(acme)
    client = APIClient()
    assert getattr(client, method)(API + path).status_code == 401  # anonymous
    client.force_authenticate(UserFactory(username="viewer", is_staff=False))
    assert getattr(client, method)(API + path).status_code == 403
    assert Delivery.objects.get().status == "draft"
