"""The rules of receiving (suppliers/receiving.py): the pure core, then the same
rule — a rejection needs a reason — at every door goods come in by: the service,
the delivery page, the API and the import."""

import contextlib
from datetime import timedelta
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from items.models import StockMovement
from suppliers.models import DeliveryLine, DeliveryStatus
from suppliers.receiving import (
    REASON_REQUIRED,
    LineState,
    accepted_to_post,
    change_problems,
    inspection_problems,
    reasons_joined,
    status_after_receipt,
)
from suppliers.services import InvalidReceipt, LineReceipt, delivery_receive
from tests.factories import DeliveryLineFactory

# --- the pure core -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "rejected", "reason", "field", "code"),
    [
        (D("-1"), D("0"), "", "quantity_received", "negative_quantity"),
        (D("1"), D("-1"), "", "quantity_rejected", "negative_quantity"),
        (D("1"), D("2"), "bent", "quantity_rejected", "rejected_above_received"),
        (D("10"), D("2"), "", "rejection_reason", "reason_required"),
        (D("10"), D("2"), "   ", "rejection_reason", "reason_required"),
    ],
)
def test_inspection_problems_name_the_field_and_the_rule(
    received, rejected, reason, field, code
):
    problems = inspection_problems(received=received, rejected=rejected, reason=reason)
    assert [(p.field, p.code) for p in problems] == [(field, code)]


def test_inspection_accepts_a_rejection_with_a_reason_and_no_rejection_without():
    assert inspection_problems(received=D("10"), rejected=D("2"), reason="bent") == []
    assert inspection_problems(received=D("10"), rejected=D("0")) == []


def test_a_reason_is_asked_for_only_once_the_quantities_are_right():
    problems = inspection_problems(received=D("1"), rejected=D("2"))
    assert [p.code for p in problems] == ["rejected_above_received"]


def test_whole_units_are_checked_for_received_and_rejected(settings):
    settings.WHOLE_UNITS = ["ea"]
    problems = inspection_problems(
        received=D("2.5"), rejected=D("0.5"), reason="x", sku="B", unit="ea"
    )
    assert [(p.field, p.code) for p in problems] == [
        ("quantity_received", "not_whole_units"),
        ("quantity_rejected", "not_whole_units"),
    ]


def test_totals_only_grow_and_accepted_stock_is_never_taken_back():
    before = {"received_before": D("6"), "rejected_before": D("0")}
    assert change_problems(**before, received=D("8"), rejected=D("1")) == []
    assert [
        p.code for p in change_problems(**before, received=D("4"), rejected=D("0"))
    ] == ["received_reduced"]
    assert [
        p.code for p in change_problems(**before, received=D("6"), rejected=D("2"))
    ] == ["accepted_taken_back"]


def test_what_is_posted_is_the_growth_of_the_accepted_quantity():
    before = {"received_before": D("6"), "rejected_before": D("1")}
    assert accepted_to_post(**before, received=D("10"), rejected=D("2")) == D("3")
    # the same totals booked again post nothing: exactly once
    assert accepted_to_post(**before, received=D("6"), rejected=D("1")) == 0


@pytest.mark.parametrize(
    ("lines", "close", "status"),
    [
        ([LineState(D("40"), D("40"), D("0"))], False, DeliveryStatus.RECEIVED),
        # rejected parts are still owed (DESIGN §5)
        (
            [LineState(D("40"), D("40"), D("2"))],
            False,
            DeliveryStatus.PARTIALLY_RECEIVED,
        ),
        ([LineState(D("40"), D("40"), D("2"))], True, DeliveryStatus.RECEIVED),
        (
            [LineState(D("40"), D("40"), D("2"), closed=True)],
            False,
            DeliveryStatus.RECEIVED,
        ),
        (
            [LineState(D("5"), D("5"), D("0")), LineState(D("5"), D("0"), D("0"))],
            False,
            DeliveryStatus.PARTIALLY_RECEIVED,
        ),
        ([LineState(D("5"), D("0"), D("0"))], False, DeliveryStatus.ORDERED),
    ],
)
def test_status_after_a_receipt(lines, close, status):
    assert status_after_receipt(lines, close=close) == status


def test_reasons_keep_the_earlier_ones():
    assert reasons_joined("", " bent ") == "bent"
    assert reasons_joined("bent", "rusty") == "bent; rusty"
    assert reasons_joined("bent", "") == "bent"
    assert len(reasons_joined("x" * 200, "y" * 200)) == 255


# --- a rejection needs a reason, at every entry point -----------------------------


@pytest.fixture
def line(db):
    return DeliveryLineFactory(
        item__sku="BOLT-8",
        delivery__reference="PO-7",
        delivery__supplier__code="S1",
        quantity_ordered=D("10"),
    )


def unchanged(line) -> bool:
    line.refresh_from_db()
    line.delivery.refresh_from_db()
    return (
        line.quantity_received == 0
        and line.delivery.status == DeliveryStatus.ORDERED
        and not StockMovement.objects.exists()
    )


def test_the_service_refuses_a_rejection_without_a_reason(line):
    with pytest.raises(InvalidReceipt) as refused:
        delivery_receive(
            delivery=line.delivery, receipts=[LineReceipt(line.pk, D("10"), D("2"))]
        )
    assert refused.value.field == "rejection_reason"
    assert refused.value.line_id == line.pk
    assert str(refused.value) == (
        "BOLT-8: 2 rejected: say why parts were rejected (rejection_reason)."
    )
    assert unchanged(line)


def test_the_delivery_page_refuses_a_rejection_without_a_reason(staff_client, line):
    data = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-0-line": str(line.pk),
        "lines-0-quantity_received": "10",
        "lines-0-quantity_rejected": "2",
        "lines-0-rejection_reason": "",
    }
    response = staff_client.post(reverse("delivery_receive", args=["PO-7"]), data)
    assert response.status_code == 400
    form = response.context["formset"].forms[0]
    assert form.errors == {"rejection_reason": [REASON_REQUIRED]}
    assert unchanged(line)


def test_the_api_refuses_a_rejection_without_a_reason_as_a_field_error(
    staff_user, line
):
    client = APIClient()
    client.force_authenticate(staff_user)
    body = {"lines": [{"line": line.pk, "quantity_received": "10",
                       "quantity_rejected": "2"}]}  # fmt: skip
    response = client.post("/api/v1/deliveries/PO-7/receive/", body, format="json")
    assert response.status_code == 400, response.content
    # DRF's shape for a list: the line's index, then its field
    assert response.json()["lines"] == {
        "0": {"rejection_reason": ["2 rejected: say why parts were rejected "
                                   "(rejection_reason)."]}
    }  # fmt: skip
    assert unchanged(line)
    body["lines"][0]["rejection_reason"] = "dented"
    accepted = client.post("/api/v1/deliveries/PO-7/receive/", body, format="json")
    assert accepted.status_code == 200, accepted.content
    assert DeliveryLine.objects.get(pk=line.pk).rejection_reason == "dented"


def import_deliveries(tmp_path, rows: str) -> tuple[str, list[str]]:
    path = tmp_path / "deliveries.csv"
    path.write_text(
        "reference,supplier,sku,quantity_ordered,ordered_at,promised_date,"
        "received_at,quantity_received,quantity_rejected,rejection_reason\n" + rows
    )
    out, err = StringIO(), StringIO()
    with contextlib.suppress(CommandError):  # the errors are what is asserted
        call_command("import_data", "deliveries", str(path), stdout=out, stderr=err)
    prefix = f"{path}: "
    return out.getvalue(), [
        text.removeprefix(prefix) for text in err.getvalue().splitlines()
    ]


def test_the_import_refuses_a_rejection_without_a_reason_by_line_and_column(
    tmp_path, line
):
    ordered = line.delivery.ordered_at.isoformat()
    promised = line.delivery.promised_date.isoformat()
    received = (line.delivery.ordered_at + timedelta(days=1)).isoformat()
    row = f"PO-7,S1,BOLT-8,10,{ordered},{promised},{received},10,2"
    _, errors = import_deliveries(tmp_path, row + ",\n")
    assert errors == [
        "line 2, column rejection_reason: 2 rejected: a rejection needs a reason."
    ]
    assert unchanged(line)

    out, errors = import_deliveries(tmp_path, row + ",dented\n")
    assert errors == [] and "1 updated" in out
    line.refresh_from_db()
    assert (line.quantity_received, line.quantity_rejected) == (10, 2)
    assert line.rejection_reason == "dented"
    assert StockMovement.objects.get().quantity == 8
    # the same totals again (no new rejection) need no reason and post nothing
    out, errors = import_deliveries(tmp_path, row + ",\n")
    assert errors == [] and "1 unchanged" in out
    line.refresh_from_db()
    assert line.rejection_reason == "dented"
    assert StockMovement.objects.count() == 1
