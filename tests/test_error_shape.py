"""One error base, mapped once (issue 14, item 4): every 4xx of the API answers
``{"detail", "code"}`` plus field errors where they apply; a ``DomainError``
reaches a page as a form error or a message."""

from decimal import Decimal as D

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db import DataError
from django.urls import reverse
from rest_framework.test import APIClient

from inventory_site.api_errors import api_exception_handler
from inventory_site.errors import DomainError, error_body
from inventory_site.http import form_add_error, messages_add_error
from items.services import InsufficientStock, InvalidQuantity, stock_receive
from portal.services import PortalInputError
from replenishment.backtest_runner import BacktestError
from replenishment.classification import ClassificationError
from replenishment.generation import suggestions_generate
from replenishment.models import Suggestion, SuggestionStatus
from replenishment.services import SuggestionError
from suppliers.models import Delivery, DeliveryStatus, Supplier
from suppliers.services import DeliveryError, InvalidReceipt, InvalidTransition
from tests.factories import (
    DeliveryLineFactory,
    ItemFactory,
    SuperuserFactory,
    SupplierFactory,
    SupplierItemFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
API = "/api/v1/"


@pytest.fixture
def staff():
    client = APIClient()
    client.force_authenticate(UserFactory(username="staff", is_staff=True))
    return client


@pytest.fixture
def admin():
    client = APIClient()
    client.force_authenticate(SuperuserFactory(username="root"))
    return client


# --- the errors themselves ---------------------------------------------------


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (InvalidQuantity("Quantity must not be zero."), "invalid_quantity", 400),
        (
            InsufficientStock(sku="BOLT", requested=D(3), on_hand=D(1)),
            "insufficient_stock",
            409,
        ),
        (InvalidTransition("Only a draft can be placed."), "invalid_transition", 409),
        (InvalidReceipt("Nothing received."), "invalid_receipt", 400),
        (DeliveryError("A delivery needs at least one line."), "invalid", 400),
        (SuggestionError("This suggestion is dismissed, not open."), "not_open", 409),
        (ClassificationError("XYZ needs 0 <= X <= Y."), "invalid_parameters", 400),
        (BacktestError("days must be 7 to 1095."), "invalid_parameters", 400),
        (PortalInputError({"lines": ["Answer a line."]}), "invalid_answer", 400),
    ],
)  # fmt: skip
def test_every_domain_error_is_a_domain_error_with_code_and_status(error, code, status):
    assert isinstance(error, DomainError)
    assert (error.code, error.status) == (code, status)
    assert error.as_dict()["detail"] == str(error) == error.message


def test_insufficient_stock_carries_its_data():
    error = InsufficientStock(sku="BOLT", requested=D("3"), on_hand=D("1"))
    assert (error.sku, error.requested, error.on_hand) == ("BOLT", D("3"), D("1"))
    assert error.as_dict() == {
        "detail": "Cannot take 3 of BOLT: only 1 on hand.",
        "code": "insufficient_stock",
    }


def test_a_default_field_carries_the_message_and_a_field_called_code_moves():
    assert InvalidQuantity("Quantity must not be zero.").as_dict() == {
        "detail": "Quantity must not be zero.",
        "code": "invalid_quantity",
        "quantity": ["Quantity must not be zero."],
    }
    assert error_body("Bad.", "invalid", {"code": ["x"], "name": ["y"]}) == {
        "detail": "Bad.",
        "code": "invalid",
        "fields": {"code": ["x"]},
        "name": ["y"],
    }


# --- the API: one shape per kind of error ------------------------------------


def test_a_conflict_with_the_state_is_409_detail_and_code(staff):
    DeliveryLineFactory(
        delivery__reference="PO-1", delivery__status=DeliveryStatus.RECEIVED
    )
    response = staff.post(API + "deliveries/PO-1/place/", {}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Delivery PO-1 is Received; only a draft can be placed.",
        "code": "not_draft",
    }
    assert Delivery.objects.get().status == DeliveryStatus.RECEIVED


def test_a_refused_receipt_is_400_with_its_line_errors(staff):
    line = DeliveryLineFactory(delivery__reference="PO-1", item__sku="BOLT")
    body = {"lines": [{"line": line.pk, "quantity_received": "500"}]}
    response = staff.post(API + "deliveries/PO-1/receive/", body, format="json")
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "over_receipt"
    assert data["lines"] == [data["detail"]] and "BOLT" in data["detail"]
    assert Delivery.objects.get().status == DeliveryStatus.ORDERED


def test_a_suggestion_no_longer_open_is_409(staff):
    SupplierItemFactory(item__sku="BOLT", item__annual_demand=D("3650"))
    suggestions_generate()
    suggestion = Suggestion.objects.get()
    Suggestion.objects.update(status=SuggestionStatus.DISMISSED)
    response = staff.post(API + f"suggestions/{suggestion.pk}/dismiss/", {})
    assert response.status_code == 409
    assert response.json() == {
        "detail": "This suggestion is dismissed, not open.",
        "code": "not_open",
    }


def test_a_bad_quantity_on_accept_is_400(staff):
    SupplierItemFactory(item__sku="BOLT", item__annual_demand=D("3650"))
    suggestions_generate()
    suggestion = Suggestion.objects.get()
    response = staff.post(
        API + f"suggestions/{suggestion.pk}/accept/", {"quantity": "0.5"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_quantity"
    assert set(response.json()) == {"detail", "code"}


def test_field_errors_keep_their_keys_and_gain_detail_and_code(staff):
    ItemFactory(sku="BOLT")
    response = staff.post(
        API + "movements/", {"sku": "BOLT", "kind": "issue"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "quantity: This field is required.",
        "code": "invalid",
        "quantity": ["This field is required."],
    }


def test_a_field_called_code_is_reported_under_fields(admin):
    SupplierFactory(code="ACME")
    response = admin.post(API + "suppliers/", {"code": "ACME", "name": "Again"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["fields"] == {"code": ["supplier with this code already exists."]}
    assert body["detail"] == "code: supplier with this code already exists."
    assert Supplier.objects.count() == 1


def test_errors_of_a_list_body_stay_under_the_row_index(staff):
    ItemFactory(sku="GEAR")
    rows = [
        {"sku": "GEAR", "date": "2026-12-09", "quantity": "5"},
        {"sku": "NOPE", "date": "2026-12-09", "quantity": "5"},
    ]
    response = staff.post(API + "planned-demand/", rows, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body == {
        "detail": "1.sku: Object with sku=NOPE does not exist.",
        "code": "invalid",
        "1": {"sku": ["Object with sku=NOPE does not exist."]},
    }


def test_non_field_errors_keep_their_key():
    response = APIClient().post(API + "auth/token/", {"username": "x", "password": "y"})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Unable to log in with provided credentials.",
        "code": "invalid",
        "non_field_errors": ["Unable to log in with provided credentials."],
    }


def test_not_found_is_404_with_code(staff):
    response = staff.get(API + "items/NOPE/")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "No Item matches the given query.",
        "code": "not_found",
    }


def test_not_signed_in_is_401_with_code():
    response = APIClient().get(API + "items/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert set(response.json()) == {"detail", "code"}


def test_not_allowed_is_403_with_code():
    client = APIClient()
    client.force_authenticate(UserFactory(username="viewer", is_staff=False))
    response = client.get(API + "movements/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert set(response.json()) == {"detail", "code"}


def test_a_wrong_method_is_405_with_code(staff):
    response = staff.put(API + "movements/", {}, format="json")
    assert response.status_code == 405
    assert response.json() == {
        "detail": 'Method "PUT" not allowed.',
        "code": "method_not_allowed",
    }


def test_malformed_json_is_400_parse_error(staff):
    response = staff.post(
        API + "movements/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert set(response.json()) == {"detail", "code"}


def test_throttled_is_429_with_code():
    for _ in range(10):  # API_TOKEN_RATE 10/min
        APIClient().post(API + "auth/token/", {"username": "x", "password": "y"})
    response = APIClient().post(API + "auth/token/", {"username": "x", "password": "y"})
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert set(response.json()) == {"detail", "code"}
    assert "Retry-After" in response.headers


def test_a_value_the_database_cannot_store_is_400_with_code():
    response = api_exception_handler(DataError("numeric field overflow"), {})
    assert response.status_code == 400
    assert response.data["code"] == "unstorable_value"
    assert set(response.data) == {"detail", "code"}


def test_a_backtest_refusal_is_400_through_the_handler():
    response = api_exception_handler(BacktestError("z must be between 0 and 5."), {})
    assert response.status_code == 400
    assert response.data == {
        "detail": "z must be between 0 and 5.",
        "code": "invalid_parameters",
    }


def test_an_issue_beyond_stock_changes_nothing_and_keeps_the_shape(staff):
    item = ItemFactory(sku="BOLT")
    stock_receive(item=item, quantity=D("2"))
    response = staff.post(
        API + "movements/",
        {"sku": "BOLT", "kind": "issue", "quantity": "3"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Cannot take 3 of BOLT: only 2 on hand.",
        "code": "insufficient_stock",
    }
    item.refresh_from_db()
    assert item.on_hand == D("2")


# --- the pages: a form error or a message ------------------------------------


class QuantityForm(forms.Form):
    quantity = forms.DecimalField()
    note = forms.CharField(required=False)


def test_form_add_error_puts_a_field_error_on_its_field():
    form = QuantityForm({"quantity": "0"})
    assert form.is_valid()
    form_add_error(form, InvalidQuantity("Quantity must not be zero."))
    assert form.errors == {"quantity": ["Quantity must not be zero."]}


def test_form_add_error_puts_other_errors_on_the_form():
    form = QuantityForm({"quantity": "3"})
    assert form.is_valid()
    form_add_error(form, BacktestError("days must be between 7 and 1095."))
    assert form.non_field_errors() == ["days must be between 7 and 1095."]
    assert "quantity" not in form.errors


def test_messages_add_error_says_what_did_not_happen(rf):
    request = rf.post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    messages_add_error(
        request,
        InsufficientStock(sku="BOLT", requested=D(3), on_hand=D(1)),
        prefix="Nothing recorded",
    )
    assert [str(m) for m in get_messages(request)] == [
        "Nothing recorded: Cannot take 3 of BOLT: only 1 on hand."
    ]


def test_a_page_refusal_answers_with_the_errors_status(client):
    client.force_login(UserFactory(username="clerk", is_staff=True))
    DeliveryLineFactory(
        delivery__reference="PO-1", delivery__status=DeliveryStatus.RECEIVED
    )
    response = client.post(reverse("delivery_place", args=["PO-1"]))
    assert response.status_code == 409
    assert "Delivery PO-1 is Received; only a draft can be placed." in (
        response.content.decode()
    )


def test_a_page_issue_beyond_stock_shows_the_message(client):
    client.force_login(UserFactory(username="clerk", is_staff=True))
    item = ItemFactory(sku="BOLT")
    stock_receive(item=item, quantity=D("1"))
    response = client.post(
        reverse("movement_create", args=["BOLT"]),
        {"kind": "issue", "quantity": "3"},
        follow=True,
    )
    assert "Nothing recorded: Cannot take 3 of BOLT: only 1 on hand." in (
        response.content.decode()
    )
    item.refresh_from_db()
    assert item.on_hand == D("1")
