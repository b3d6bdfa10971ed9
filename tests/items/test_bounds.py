"""Issue 13: quantities beyond their column, impossible dates and NUL text
entering the ledger (services and the items/movements imports). Each test
feeds the bad input first, then asserts the clear refusal and unchanged data."""

from datetime import datetime
from decimal import Decimal as D
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse

from items.models import Item, MovementKind
from items.services import (
    MAX_ON_HAND,
    InvalidMovementDate,
    InvalidQuantity,
    MovementBatchError,
    MovementInput,
    StockOverflow,
    column_max,
    movements_bulk_post,
    stock_adjust,
    stock_receive,
)
from tests.bounds import FROZEN_NOW, state
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db
BIG = "9999999999999"  # 13 digits: one movement may be this large


def import_errors(tmp_path, resource: str, text: str) -> list[str]:
    path = tmp_path / f"{resource}.csv"
    path.write_text(text, encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_data", resource, str(path), stdout=StringIO(), stderr=err)
    return [line.removeprefix(f"{path}: ") for line in err.getvalue().splitlines()]


@pytest.fixture
def bearing():
    item = ItemFactory(sku="BRG-1001", unit="kg")  # fractions allowed (not "ea")
    stock_receive(item=item, quantity=D("5"))
    return item


def test_limits_come_from_the_model_columns():
    # 16 digits, 3 places, read back by SQLite through 15 significant digits
    assert column_max(Item, "on_hand") == D("9999999999999.99") == MAX_ON_HAND
    assert column_max(Item, "unit_cost") == D("9999999999.9999")  # 14, 4
    assert column_max(Item, "avg_daily_demand") == D("999999999999.999")  # 16, 4


# --- quantities -----------------------------------------------------------------


def test_movements_import_refuses_a_receipt_that_would_overflow_on_hand(
    tmp_path, bearing
):
    before = state()
    errors = import_errors(
        tmp_path,
        "movements",
        "sku,kind,quantity,occurred_at\n"
        f"BRG-1001,receipt,{BIG},2026-01-05\n"
        f"BRG-1001,receipt,{BIG},2026-01-05\n",
    )
    message = (
        f"Cannot add {BIG} to BRG-1001: on hand would be {{}}, more than the "
        "largest stock that can be stored (9999999999999.99)."
    )
    assert errors == [
        "line 2, column quantity: " + message.format("10000000000004"),
        "line 3, column quantity: " + message.format("10000000000004"),
    ]
    assert state() == before
    assert "Ledger consistent" in before["ledger"]


def test_a_receipt_filling_the_column_exactly_is_accepted_and_readable(bearing):
    stock_receive(item=bearing, quantity=MAX_ON_HAND - 5)
    assert Item.objects.get(sku="BRG-1001").on_hand == MAX_ON_HAND
    assert "Ledger consistent" in state()["ledger"]


@pytest.mark.parametrize("post", [stock_receive, stock_adjust])
def test_a_single_post_beyond_the_column_is_refused(bearing, post):
    before = state()
    with pytest.raises(StockOverflow, match="on hand would be 10000000000004"):
        post(item=bearing, quantity=D(BIG))
    assert state() == before


def test_the_conditional_update_refuses_overflow_on_a_stale_item(bearing):
    """The limit is checked by the UPDATE against the row, not against the
    caller's copy: two concurrent receipts cannot overflow either."""
    stale = Item.objects.get(pk=bearing.pk)  # on_hand 5 in memory
    stock_receive(item=bearing, quantity=MAX_ON_HAND - D("5.5"))
    before = state()
    with pytest.raises(StockOverflow):
        stock_receive(item=stale, quantity=D("1"))
    assert state() == before


def test_a_batch_refuses_overflow_after_its_own_earlier_rows(bearing):
    before = state()
    moment = datetime(2026, 1, 5, tzinfo=ZoneInfo("UTC"))
    rows = [
        MovementInput(bearing.pk, MovementKind.RECEIPT, D(BIG) - 10, moment),
        MovementInput(bearing.pk, MovementKind.RECEIPT, D("6"), moment),
    ]
    with pytest.raises(MovementBatchError) as refused:
        movements_bulk_post(movements=rows)
    assert list(refused.value.errors) == [1]
    assert "on hand would be 10000000000000" in refused.value.errors[1]
    assert state() == before


def test_items_import_refuses_money_and_quantities_beyond_their_columns(tmp_path):
    errors = import_errors(
        tmp_path,
        "items",
        "sku,name,unit_cost,annual_demand\n"
        "A,a,10000000000,1\n"
        "B,b,1,9999999999999.999\n"
        "C,c,9999999999.9999,9999999999999.99\n",
    )
    assert errors == [
        "line 2, column unit_cost: 10000000000 is too large; at most 9999999999.9999.",
        "line 3, column annual_demand: 9999999999999.999 is too large; at most "
        "9999999999999.99.",
    ]  # line 4 holds the largest values: accepted
    assert not Item.objects.exists()


def test_the_largest_values_are_stored_and_read_back_exactly(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text(
        "sku,name,unit_cost,annual_demand,unit\n"
        "C,c,9999999999.9999,9999999999999.99,kg\n"
    )
    call_command("import_data", "items", str(path), stdout=StringIO())
    stock_receive(item=Item.objects.get(sku="C"), quantity=MAX_ON_HAND)
    assert Item.objects.values_list("unit_cost", "annual_demand", "on_hand").get() == (
        D("9999999999.9999"),
        D("9999999999999.99"),
        MAX_ON_HAND,
    )
    assert "Ledger consistent" in state()["ledger"]


def test_one_movement_of_the_full_column_width_is_refused(bearing):
    """9999999999999.999 fits numeric(16, 3) but not what SQLite reads back."""
    before = state()
    with pytest.raises(InvalidQuantity, match="too large; at most 9999999999999.99"):
        stock_adjust(item=bearing, quantity=D("-9999999999999.999"))
    assert state() == before


# --- dates ------------------------------------------------------------------------


@time_machine.travel(FROZEN_NOW, tick=False)
def test_movements_import_refuses_impossible_dates(tmp_path, bearing):
    before = state()
    errors = import_errors(
        tmp_path,
        "movements",
        "sku,kind,quantity,occurred_at\n"
        "BRG-1001,receipt,1,0001-01-01\n"
        "BRG-1001,receipt,1,9999-12-31T23:59:59-05:00\n"
        "BRG-1001,receipt,1,2062-03-01\n"
        "BRG-1001,receipt,1,1999-12-31T23:59:59+01:00\n"
        "BRG-1001,receipt,1,2026-03-02T11:11:00+01:00\n"
        "BRG-1001,receipt,1,2026-03-02T11:09:00+01:00\n",
    )
    early = "is before 2000-01-01, the earliest date accepted."
    future = (
        "is in the future; a movement, order or receipt can be at most 10 "
        "minutes ahead of the server's clock."
    )
    assert errors == [
        f"line 2, column occurred_at: '0001-01-01' {early}",
        f"line 3, column occurred_at: '9999-12-31T23:59:59-05:00' {future}",
        f"line 4, column occurred_at: '2062-03-01' {future}",
        f"line 5, column occurred_at: '1999-12-31T23:59:59+01:00' {early}",
        f"line 6, column occurred_at: '2026-03-02T11:11:00+01:00' {future}",
    ]  # line 7 (9 minutes ahead) is within the clock skew
    assert state() == before


@time_machine.travel(FROZEN_NOW, tick=False)
@pytest.mark.parametrize(
    "moment",
    [
        datetime(1, 1, 1),  # naive: site time
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=ZoneInfo("America/New_York")),
        datetime(2062, 3, 1, tzinfo=ZoneInfo("UTC")),
    ],
)
def test_the_ledger_refuses_impossible_dates_from_any_caller(bearing, moment):
    before = state()
    with pytest.raises(InvalidMovementDate, match="occurred_at"):
        stock_receive(item=bearing, quantity=D("1"), occurred_at=moment)
    with pytest.raises(MovementBatchError) as refused:
        movements_bulk_post(
            movements=[MovementInput(bearing.pk, MovementKind.RECEIPT, D("1"), moment)]
        )
    assert "occurred_at" in refused.value.errors[0]
    assert state() == before


# --- NUL characters -----------------------------------------------------------------


def test_imports_refuse_text_with_nul_characters(tmp_path, bearing):
    before = state()
    errors = import_errors(
        tmp_path,
        "movements",
        "sku,kind,quantity,occurred_at,note\n"
        "BRG-1001,receipt,1,2026-01-05,bad\x00note\n",
    )
    assert errors == [
        "line 2, column note: contains a NUL character (\\x00); remove it."
    ]
    errors = import_errors(
        tmp_path,
        "items",
        "sku,name,unit_cost,annual_demand\nN-1,Nul\x00name,1,1\n",
    )
    assert errors == [
        "line 2, column name: contains a NUL character (\\x00); remove it."
    ]
    assert state() == before


# --- the item page's movement form ----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"kind": "receipt", "quantity": BIG},
            f"Nothing recorded: Cannot add {BIG} to BRG-1001: on hand would be "
            "10000000000004, more than the largest stock that can be stored "
            "(9999999999999.99).",
        ),
        (
            {"kind": "adjustment", "quantity": "-9999999999999.999"},
            "Nothing recorded: Quantity: Ensure this value is greater than or "
            "equal to -9999999999999.99.",
        ),
        (
            {"kind": "issue", "quantity": "1", "note": "a\x00b"},
            "Nothing recorded: Note: Null characters are not allowed.",
        ),
    ],
)
def test_the_movement_form_refuses_overflow_and_nul(
    staff_client, bearing, body, message
):
    before = state()
    url = reverse("movement_create", args=["BRG-1001"])
    response = staff_client.post(url, body, follow=True)
    assert message in response.content.decode()
    assert state() == before
    page = staff_client.get(reverse("item_detail", args=["BRG-1001"]))
    assert page.status_code == 200
