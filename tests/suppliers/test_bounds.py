"""Issue 13 for deliveries: receipts beyond what stock or a line can hold and
impossible dates, through the deliveries import, the receiving page and the
services. Each test feeds the bad input first, then asserts the clear refusal
and unchanged data (rows, stock, check_ledger, and suggest still running)."""

from datetime import date, datetime
from decimal import Decimal as D
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse

from items.services import stock_receive
from suppliers.models import DeliveryLine, DeliveryStatus
from suppliers.services import (
    DeliveryError,
    InvalidReceipt,
    LineReceipt,
    delivery_place_order,
    delivery_receive,
)
from tests.bounds import FROZEN_NOW, state
from tests.factories import (
    DeliveryFactory,
    DeliveryLineFactory,
    ItemFactory,
    SupplierFactory,
    SupplierItemFactory,
)

pytestmark = pytest.mark.django_db
BIG = "9999999999999"
HEADER = (
    "reference,supplier,sku,quantity_ordered,ordered_at,promised_date,"
    "received_at,quantity_received,quantity_rejected\n"
)


@pytest.fixture
def catalogue():
    supplier = SupplierFactory(code="S1")
    item = ItemFactory(sku="A")
    SupplierItemFactory(supplier=supplier, item=item)
    stock_receive(item=item, quantity=D("5"))
    return supplier


def import_errors(tmp_path, text: str) -> list[str]:
    path = tmp_path / "deliveries.csv"
    path.write_text(HEADER + text, encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import_data", "deliveries", str(path), stdout=StringIO(), stderr=err
        )
    return [line.removeprefix(f"{path}: ") for line in err.getvalue().splitlines()]


def suggest_runs() -> bool:
    call_command("suggest", stdout=StringIO())
    return True


def test_deliveries_import_refuses_a_receipt_that_would_overflow_stock(
    tmp_path, catalogue
):
    before = state()
    errors = import_errors(
        tmp_path, f"PO-9,S1,A,{BIG},2026-01-02,2026-01-09,2026-01-05,,\n"
    )
    assert errors == [
        f"line 2, column quantity_received: Cannot add {BIG} to A: on hand would "
        "be 10000000000004, more than the largest stock that can be stored "
        "(9999999999999.99)."
    ]
    assert state() == before
    assert suggest_runs()


@time_machine.travel(FROZEN_NOW, tick=False)
def test_deliveries_import_refuses_impossible_dates(tmp_path, catalogue):
    before = state()
    errors = import_errors(
        tmp_path,
        "PO-1,S1,A,1,2026-01-02,2026-01-09,9999-12-31,,\n"
        "PO-2,S1,A,1,2026-01-02,9999-12-31,,,\n"
        "PO-3,S1,A,1,0001-01-01,2026-01-09,,,\n"
        "PO-4,S1,A,1,2026-01-02,2026-01-09,2062-02-20,,\n"
        "PO-5,S1,A,1,2026-01-02,2062-02-20,,,\n"
        "PO-6,S1,A,1,2026-01-02,2027-03-04,,,\n",  # 367 days ahead
    )
    future = (
        "is in the future; a movement, order or receipt can be at most 10 "
        "minutes ahead of the server's clock."
    )
    assert errors == [
        f"line 2, column received_at: '9999-12-31' {future}",
        "line 3, column promised_date: '9999-12-31' is more than 366 days ahead "
        "(the latest date accepted is 2027-03-03).",
        "line 4, column ordered_at: '0001-01-01' is before 2000-01-01, the "
        "earliest date accepted.",
        f"line 5, column received_at: '2062-02-20' {future}",
        "line 6, column promised_date: '2062-02-20' is more than 366 days ahead "
        "(the latest date accepted is 2027-03-03).",
        "line 7, column promised_date: '2027-03-04' is more than 366 days ahead "
        "(the latest date accepted is 2027-03-03).",
    ]
    assert state() == before
    assert suggest_runs()


@pytest.fixture
def open_line(catalogue):
    return DeliveryLineFactory(
        item__sku="B",
        delivery__supplier=catalogue,
        delivery__reference="PO-100",
        quantity_ordered=D("10"),
    )


def test_the_receiving_page_shows_a_stock_overflow_on_its_line(staff_client, open_line):
    # ordered as much as arrives, so the receipt tolerance lets it through to the
    # ledger, whose column it would overflow
    DeliveryLine.objects.filter(pk=open_line.pk).update(quantity_ordered=D(BIG))
    stock_receive(item=open_line.item, quantity=D("5"))
    before = state()
    response = staff_client.post(
        reverse("delivery_receive", args=["PO-100"]),
        {
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "1",
            "lines-0-line": str(open_line.pk),
            "lines-0-quantity_received": BIG,
            "lines-0-quantity_rejected": "0",
        },
    )
    assert response.status_code == 400
    form = response.context["formset"].forms[0]
    assert "on hand would be 10000000000004" in str(form.errors["quantity_received"])
    assert "Nothing received" in response.content.decode()
    assert state() == before


def test_a_line_cannot_receive_beyond_what_its_column_holds(catalogue):
    line = DeliveryLineFactory(
        item__sku="B",
        delivery__supplier=catalogue,
        delivery__status=DeliveryStatus.PARTIALLY_RECEIVED,
        quantity_ordered=D(BIG),
        quantity_received=D(BIG) - 1,
        quantity_rejected=D(BIG) - 1,  # nothing accepted: stock stays 0
    )
    before = state()
    with pytest.raises(InvalidReceipt) as refused:
        delivery_receive(
            delivery=line.delivery,
            receipts=[LineReceipt(line_id=line.pk, quantity_received=D("5"))],
        )
    assert refused.value.field == "quantity_received"
    assert "exceeds the largest quantity a line can hold" in str(refused.value)
    assert state() == before


@time_machine.travel(FROZEN_NOW, tick=False)
@pytest.mark.parametrize(
    "moment",
    [
        datetime(1, 1, 1),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=ZoneInfo("America/New_York")),
        datetime(2062, 3, 1, tzinfo=ZoneInfo("UTC")),
    ],
)
def test_receiving_refuses_impossible_received_at(open_line, moment):
    before = state()
    with pytest.raises(InvalidReceipt, match="received_at") as refused:
        delivery_receive(
            delivery=open_line.delivery,
            receipts=[LineReceipt(line_id=open_line.pk, quantity_received=D("1"))],
            received_at=moment,
        )
    assert refused.value.field == "received_at"
    assert state() == before


@time_machine.travel(FROZEN_NOW, tick=False)
@pytest.mark.parametrize(
    ("ordered_at", "promised_date", "message"),
    [
        (datetime(1, 1, 1), None, "before 2000-01-01"),
        (datetime(2062, 3, 1, tzinfo=ZoneInfo("UTC")), None, "in the future"),
        (None, date(9999, 12, 31), "more than 366 days ahead"),
        (None, date(1999, 12, 31), "before 2000-01-01"),
    ],
)
def test_ordering_refuses_impossible_dates(ordered_at, promised_date, message):
    delivery = DeliveryFactory(status=DeliveryStatus.DRAFT, ordered_at=None)
    with pytest.raises(DeliveryError, match=message):
        delivery_place_order(
            delivery=delivery, ordered_at=ordered_at, promised_date=promised_date
        )
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DRAFT and delivery.ordered_at is None


def test_sources_import_refuses_a_lead_time_beyond_the_date_window(tmp_path, catalogue):
    ItemFactory(sku="B")
    before = state()
    path = tmp_path / "sources.csv"
    path.write_text(
        "supplier,sku,unit_price,quoted_lead_time_days\nS1,B,1,366\nS1,A,1,900000000\n"
    )
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_data", "sources", str(path), stdout=StringIO(), stderr=err)
    assert err.getvalue().splitlines() == [
        f"{path}: line 3, column quoted_lead_time_days: 900000000 days is longer "
        "than 366, the furthest a promised date may lie ahead."
    ]
    assert state() == before
