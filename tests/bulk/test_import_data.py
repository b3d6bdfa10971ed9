from datetime import datetime, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from items.models import Item, MovementKind, StockMovement
from items.services import stock_receive
from suppliers.models import (
    Delivery,
    DeliveryLine,
    DeliveryStatus,
    Supplier,
    SupplierItem,
)
from tests.factories import (
    DeliveryFactory,
    DeliveryLineFactory,
    ItemFactory,
    SupplierFactory,
    SupplierItemFactory,
)

pytestmark = pytest.mark.django_db

SITE_TZ = ZoneInfo(settings.TIME_ZONE)
DELIVERY_HEADER = (
    "reference,supplier,sku,quantity_ordered,ordered_at,promised_date,"
    "received_at,quantity_received,quantity_rejected,rejection_reason\n"
)


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(resource: str, path, *, dry_run: bool = False) -> str:
    out = StringIO()
    args = ["import_data", resource, str(path)] + (["--dry-run"] if dry_run else [])
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def run_failing(resource: str, path, *, dry_run: bool = False) -> list[str]:
    """The error lines (without the file name) of an import that must fail."""
    err = StringIO()
    args = ["import_data", resource, str(path)] + (["--dry-run"] if dry_run else [])
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(*args, stdout=StringIO(), stderr=err)
    prefix = f"{path}: "
    return [line.removeprefix(prefix) for line in err.getvalue().splitlines()]


def on_hand(sku: str) -> Decimal:
    return Item.objects.get(sku=sku).on_hand


# --- items and suppliers -----------------------------------------------------------


def test_items_import_creates_then_updates_and_reports_counts(tmp_path):
    ItemFactory(sku="OLD", name="Old")
    path = write(
        tmp_path,
        "items.csv",
        "sku,name,unit_cost,annual_demand,unit,shelf_life_days,jit_pilot\n"
        "NEW,New item,2.5,1200,kg,30,yes\n"
        "OLD,Renamed,10,100,,,0\n",
    )
    out = run("items", path)
    assert "Imported items" in out and "1 created, 1 updated, 0 unchanged" in out
    new = Item.objects.get(sku="NEW")
    assert (new.name, new.unit, new.unit_cost, new.annual_demand) == (
        "New item",
        "kg",
        Decimal("2.5"),
        Decimal("1200"),
    )
    assert (new.shelf_life_days, new.jit_pilot) == (30, True)
    assert Item.objects.get(sku="OLD").name == "Renamed"
    assert "0 created, 0 updated, 2 unchanged" in run("items", path)


def test_every_error_is_reported_with_its_line_and_column(tmp_path):
    ItemFactory(sku="KEEP", name="Kept")
    path = write(
        tmp_path,
        "items.csv",
        "sku,name,unit_cost,annual_demand,jit_pilot\n"
        "KEEP,Changed,1,1,no\n"
        "B,Bad cost,abc,1,no\n"
        ",No key,1,1,no\n"
        "C,Negative,-1,-2,no\n"
        "\n"
        "KEEP,Twice,1,1,perhaps\n"
        "D,,1,1,\n",
    )
    assert run_failing("items", path) == [
        "line 3, column unit_cost: 'abc' is not a number.",
        "line 4, column sku: a value is required.",
        "line 5, column unit_cost: must not be negative (got -1).",
        "line 5, column annual_demand: must not be negative (got -2).",
        "line 7, column sku: duplicate: line 2 has the same sku 'KEEP'.",
        "line 7, column jit_pilot: 'perhaps' is not a yes/no value; "
        "use 1/0, true/false or yes/no.",
        "line 8, column name: a value is required.",
    ]
    assert list(Item.objects.values_list("sku", "name")) == [("KEEP", "Kept")]


def test_wrong_headers_report_missing_and_unknown_columns(tmp_path):
    path = write(tmp_path, "items.csv", "SKU,Name,price,colour,sku\nA,B,1,red,A\n")
    assert run_failing("items", path) == [
        "line 1, column price: unknown column; expected sku, name, unit_cost, "
        "annual_demand and optionally unit, shelf_life_days, jit_pilot.",
        "line 1, column colour: unknown column; expected sku, name, unit_cost, "
        "annual_demand and optionally unit, shelf_life_days, jit_pilot.",
        "line 1, column sku: repeated column.",
        "line 1, column unit_cost: required column is missing.",
        "line 1, column annual_demand: required column is missing.",
    ]


def test_cells_beyond_the_header_are_row_errors(tmp_path):
    path = write(tmp_path, "suppliers.csv", "code,name\nS1,One\nS2,Two,stray\n")
    assert run_failing("suppliers", path) == [
        "line 3, column #3: value 'stray' in a column without a header."
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("items.txt", b"sku\n", "Unsupported file type '.txt': use a .csv or .xlsx"),
        ("items.csv", b"", "line 1: The file is empty: no header row."),
        ("items.csv", "sku;name\nä".encode("latin-1"), "is not UTF-8 text"),
        ("items.xlsx", b"not a workbook", "is not a readable .xlsx workbook"),
    ],
)
def test_unreadable_files_are_refused(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run("items", path)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="Cannot read .*missing.csv"):
        run("items", tmp_path / "missing.csv")


def test_suppliers_import_checks_email_and_updates_by_code(tmp_path):
    SupplierFactory(code="S1", name="One", email="")
    path = write(
        tmp_path,
        "suppliers.csv",
        "code,name,email\nS1,One,orders@one.example\nS2,Two,not-an-email\n",
    )
    assert run_failing("suppliers", path) == [
        "line 3, column email: 'not-an-email' is not a valid email address."
    ]
    assert Supplier.objects.get(code="S1").email == ""
    path.write_text("code,name,email\nS1,One,orders@one.example\nS2,Two,\n")
    assert "1 created, 1 updated, 0 unchanged" in run("suppliers", path)
    assert Supplier.objects.get(code="S1").email == "orders@one.example"


# --- sources --------------------------------------------------------------------------


def test_sources_import_resolves_supplier_and_sku_and_reports_unknown_ones(tmp_path):
    supplier = SupplierFactory(code="S1")
    item = ItemFactory(sku="A")
    SupplierItemFactory(supplier=supplier, item=item, unit_price=Decimal("1"))
    path = write(
        tmp_path,
        "sources.csv",
        "supplier,sku,unit_price,quoted_lead_time_days,priority,order_multiple\n"
        "S1,A,1.25,4,1,6\n"
        "S9,A,1,4,2,1\n"
        "S1,Z,1,4,1,1\n"
        "S1,A,1,x,0,0\n",
    )
    assert run_failing("sources", path) == [
        "line 3, column supplier: unknown supplier 'S9'.",
        "line 4, column sku: unknown sku 'Z'.",
        "line 5, column sku: duplicate: line 2 has the same supplier 'S1' and sku 'A'.",
        "line 5, column quoted_lead_time_days: 'x' is not a whole number.",
        "line 5, column order_multiple: must be greater than zero (got 0).",
        "line 5, column priority: must be at least 1 (got 0).",
    ]
    assert SupplierItem.objects.get().unit_price == Decimal("1")  # nothing written

    SupplierFactory(code="S2")
    path.write_text(
        "supplier,sku,unit_price,quoted_lead_time_days,priority,order_multiple\n"
        "S1,A,1.25,4,1,6\nS2,A,1.10,9,2,\n"
    )
    assert "1 created, 1 updated, 0 unchanged" in run("sources", path)
    primary = SupplierItem.objects.get(supplier__code="S1")
    assert (primary.unit_price, primary.order_multiple) == (Decimal("1.25"), 6)
    second = SupplierItem.objects.get(supplier__code="S2")
    assert (second.priority, second.order_multiple) == (2, 1)


# --- movements ------------------------------------------------------------------------


def test_movements_are_posted_through_the_ledger(tmp_path):
    ItemFactory(sku="A")
    path = write(
        tmp_path,
        "movements.csv",
        "sku,kind,quantity,occurred_at,note\n"
        "A,receipt,10,2025-03-01,opening\n"
        "A,issue,4,2025-03-02T09:30:00,\n"
        "A,scrap,1,2025-03-02T20:00:00+00:00,broken\n"  # after 09:30 in any site zone
        "A,adjustment,-2,2025-03-03,count\n",
    )
    assert "4 created" in run("movements", path)
    assert on_hand("A") == Decimal("3")
    moves = StockMovement.objects.order_by("occurred_at")
    assert [m.quantity for m in moves] == [10, -4, -1, -2]
    assert moves[0].occurred_at == datetime(2025, 3, 1, tzinfo=SITE_TZ)
    assert moves[1].occurred_at == datetime(2025, 3, 2, 9, 30, tzinfo=SITE_TZ)
    # Append-only: the same file again appends again.
    assert "4 created" in run("movements", path)
    assert StockMovement.objects.count() == 8 and on_hand("A") == Decimal("6")


def test_an_issue_beyond_stock_is_a_row_error_and_nothing_is_written(tmp_path):
    item = ItemFactory(sku="A")
    ItemFactory(sku="B")
    stock_receive(item=item, quantity=Decimal("5"))
    path = write(
        tmp_path,
        "movements.csv",
        "sku,kind,quantity,occurred_at\n"
        "B,receipt,7,2025-03-01\n"
        "A,issue,3,2025-03-02\n"
        "A,issue,3,2025-03-03\n",
    )
    assert run_failing("movements", path) == [
        "line 4, column quantity: Cannot take 3 of A: only 2 on hand."
    ]
    assert (on_hand("A"), on_hand("B")) == (Decimal("5"), Decimal("0"))
    assert StockMovement.objects.count() == 1


def test_movement_rows_are_checked_for_kind_quantity_sku_and_time(tmp_path):
    ItemFactory(sku="A")
    path = write(
        tmp_path,
        "movements.csv",
        "sku,kind,quantity,occurred_at\n"
        "A,receipt,10,2025-03-01\n"
        "A,gift,1,2025-03-01\n"
        "A,issue,-1,2025-03-01\n"
        "A,receipt,0,2025-03-01\n"
        "A,receipt,1.2345,2025-03-01\n"
        "A,receipt,ten,2025-03-01\n"
        "X,receipt,1,2025-03-01\n"
        "A,receipt,1,\n"
        "A,receipt,1,01/03/2025\n"
        "A,issue,11,2025-03-02\n",
    )
    assert run_failing("movements", path) == [
        "line 3, column kind: unknown kind 'gift'; use one of: receipt, issue, "
        "adjustment, scrap.",
        "line 4, column quantity: Quantity must be positive.",
        "line 5, column quantity: Quantity must not be zero.",
        "line 6, column quantity: Quantity allows at most 3 decimal places.",
        "line 7, column quantity: 'ten' is not a number.",
        "line 8, column sku: unknown sku 'X'.",
        "line 9, column occurred_at: a value is required.",
        "line 10, column occurred_at: '01/03/2025' is not an ISO 8601 date or "
        "date and time (e.g. 2025-03-31 or 2025-03-31T14:30:00+02:00).",
        "line 11, column quantity: Cannot take 11 of A: only 10 on hand.",
    ]
    assert not StockMovement.objects.exists() and on_hand("A") == 0


# --- all or nothing, dry run --------------------------------------------------------


def test_one_bad_row_among_good_rows_writes_nothing(tmp_path):
    ItemFactory(sku="A", name="Before")
    rows = "".join(f"N{n},Item {n},1,1\n" for n in range(50))
    path = write(
        tmp_path,
        "items.csv",
        "sku,name,unit_cost,annual_demand\nA,After,1,1\n" + rows + "BAD,Bad,1,x\n",
    )
    assert run_failing("items", path) == [
        "line 53, column annual_demand: 'x' is not a number."
    ]
    assert list(Item.objects.values_list("sku", "name")) == [("A", "Before")]


def test_dry_run_validates_reports_counts_and_writes_nothing(tmp_path):
    ItemFactory(sku="A")
    items = write(
        tmp_path, "items.csv", "sku,name,unit_cost,annual_demand\nA,x,1,1\nB,y,1,1\n"
    )
    out = run("items", items, dry_run=True)
    assert "Dry run, nothing written" in out
    assert "would be 1 created, 1 updated, 0 unchanged" in out
    assert Item.objects.count() == 1 and Item.objects.get().name != "x"

    movements = write(
        tmp_path,
        "movements.csv",
        "sku,kind,quantity,occurred_at\nA,receipt,5,2025-01-01\n",
    )
    assert "would be 1 created" in run("movements", movements, dry_run=True)
    assert not StockMovement.objects.exists() and on_hand("A") == 0

    movements.write_text("sku,kind,quantity,occurred_at\nA,issue,5,2025-01-01\n")
    assert run_failing("movements", movements, dry_run=True) == [
        "line 2, column quantity: Cannot take 5 of A: only 0 on hand."
    ]


def test_xlsx_files_are_read_with_typed_cells(tmp_path):
    ItemFactory(sku="A", unit="kg")  # fractions: not counted in whole units
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["sku", "kind", "quantity", "occurred_at", "note"])
    sheet.append(["A", "receipt", 12.5, datetime(2025, 3, 1), "typed"])
    sheet.append(["A", "issue", 2, "2025-03-02", None])
    sheet.append([None, None, None, None, None])
    sheet.append(["A", "issue", "lots", "2025-03-03", None])
    path = tmp_path / "movements.xlsx"
    book.save(path)
    assert run_failing("movements", path) == [
        "line 5, column quantity: 'lots' is not a number."
    ]
    sheet.delete_rows(5)
    book.save(path)
    assert "2 created" in run("movements", path)
    assert on_hand("A") == Decimal("10.5")
    first = StockMovement.objects.earliest("occurred_at")
    assert first.occurred_at == datetime(2025, 3, 1, tzinfo=SITE_TZ)


# --- deliveries -----------------------------------------------------------------------


@pytest.fixture
def catalogue():
    supplier = SupplierFactory(code="S1")
    SupplierFactory(code="S2")
    for sku in ("A", "B"):
        SupplierItemFactory(supplier=supplier, item=ItemFactory(sku=sku))
    return supplier


def test_delivery_rows_sharing_a_reference_form_one_ordered_delivery(
    tmp_path, catalogue
):
    path = write(
        tmp_path,
        "deliveries.csv",
        DELIVERY_HEADER + "PO-1,S1,A,10,2025-03-01,2025-03-08,,,\n"
        "PO-1,S1,B,5,2025-03-01,2025-03-08,,,\n",
    )
    assert "2 created" in run("deliveries", path)
    delivery = Delivery.objects.get(reference="PO-1")
    assert delivery.status == DeliveryStatus.ORDERED
    assert delivery.supplier == catalogue
    assert delivery.ordered_at == datetime(2025, 3, 1, tzinfo=SITE_TZ)
    assert str(delivery.promised_date) == "2025-03-08"
    assert delivery.lines.count() == 2
    assert not StockMovement.objects.exists()


def test_a_received_line_posts_its_accepted_quantity_once(tmp_path, catalogue):
    path = write(
        tmp_path,
        "deliveries.csv",
        DELIVERY_HEADER + "PO-1,S1,A,10,2025-03-01,2025-03-08,2025-03-07,10,2,dented\n"
        "PO-1,S1,B,5,2025-03-01,2025-03-08,2025-03-07T15:00:00,,\n",
    )
    run("deliveries", path)
    delivery = Delivery.objects.get(reference="PO-1")
    assert delivery.status == DeliveryStatus.RECEIVED
    assert delivery.received_at == datetime(2025, 3, 7, 15, tzinfo=SITE_TZ)
    line_a = DeliveryLine.objects.get(item__sku="A")
    assert (line_a.quantity_received, line_a.quantity_rejected) == (10, 2)
    receipt = StockMovement.objects.get(item__sku="A")
    assert receipt.kind == MovementKind.RECEIPT and receipt.quantity == 8
    assert receipt.delivery_line == line_a and receipt.note == "Delivery PO-1"
    assert receipt.occurred_at == datetime(2025, 3, 7, tzinfo=SITE_TZ)
    # quantity_received left blank: the quantity ordered arrived
    assert on_hand("A") == 8 and on_hand("B") == 5

    out = run("deliveries", path)  # the same file again
    assert "0 created, 0 updated, 2 unchanged" in out
    assert StockMovement.objects.count() == 2
    assert on_hand("A") == 8 and on_hand("B") == 5


def test_reimport_posts_only_the_difference_and_sets_the_status(tmp_path, catalogue):
    path = write(
        tmp_path,
        "deliveries.csv",
        DELIVERY_HEADER + "PO-1,S1,A,10,2025-03-01,2025-03-08,2025-03-07,6,1,wet\n"
        "PO-1,S1,B,5,2025-03-01,2025-03-08,,,\n",
    )
    run("deliveries", path)
    assert Delivery.objects.get().status == DeliveryStatus.PARTIALLY_RECEIVED
    assert on_hand("A") == 5

    path.write_text(
        DELIVERY_HEADER + "PO-1,S1,A,10,2025-03-01,2025-03-08,2025-03-09,10,1\n"
        "PO-1,S1,B,5,2025-03-01,2025-03-08,2025-03-09,5,0\n"
    )
    assert "0 created, 2 updated" in run("deliveries", path)
    assert on_hand("A") == 9 and on_hand("B") == 5
    assert sorted(
        StockMovement.objects.filter(item__sku="A").values_list("quantity", flat=True)
    ) == [4, 5]
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.RECEIVED
    assert delivery.received_at == datetime(2025, 3, 9, tzinfo=SITE_TZ)


def test_an_import_cannot_reduce_what_was_received(tmp_path, catalogue):
    line = DeliveryLineFactory(
        delivery=DeliveryFactory(reference="PO-1", supplier=catalogue),
        item=Item.objects.get(sku="A"),
        quantity_ordered=Decimal("10"),
    )
    from suppliers.services import LineReceipt, delivery_receive

    delivery_receive(
        delivery=line.delivery,
        receipts=[LineReceipt(line_id=line.pk, quantity_received=Decimal("6"))],
    )
    ordered = line.delivery.ordered_at.isoformat()
    promised = line.delivery.promised_date.isoformat()
    received = (line.delivery.ordered_at + timedelta(days=1)).isoformat()
    path = write(
        tmp_path,
        "deliveries.csv",
        DELIVERY_HEADER + f"PO-1,S1,A,10,{ordered},{promised},{received},4,\n",
    )
    assert run_failing("deliveries", path) == [
        "line 2, column quantity_received: 6 already received; an import cannot "
        "reduce it."
    ]
    path.write_text(
        DELIVERY_HEADER + f"PO-1,S1,A,10,{ordered},{promised},{received},6,2\n"
    )
    assert run_failing("deliveries", path) == [
        "line 2, column quantity_rejected: would take back 2 accepted units already "
        "in stock; correct stock with an adjustment instead."
    ]
    path.write_text(DELIVERY_HEADER + f"PO-1,S1,A,10,{ordered},{promised},,8,\n")
    assert run_failing("deliveries", path) == [
        "line 2, column received_at: a value is required to receive goods on this line."
    ]
    assert on_hand("A") == 6


def test_delivery_rows_must_agree_and_match_the_existing_delivery(tmp_path, catalogue):
    DeliveryFactory(reference="PO-9", supplier=Supplier.objects.get(code="S2"))
    path = write(
        tmp_path,
        "deliveries.csv",
        DELIVERY_HEADER + "PO-1,S1,A,10,2025-03-01,2025-03-08,,,\n"
        "PO-1,S2,B,5,2025-03-02,2025-03-08,,,\n"
        "PO-9,S1,A,1,2025-03-01,,,,\n"
        "PO-2,S1,A,0,2025-03-01,2025-03-08,2025-03-09,1,2\n"
        "PO-3,S1,A,1,2025-03-01T12:00,2025-03-08,2025-03-01,,\n",
    )
    assert run_failing("deliveries", path) == [
        "line 3, column supplier: differs from line 2 of delivery PO-1 (S1); rows "
        "of one delivery must agree.",
        "line 3, column ordered_at: differs from line 2 of delivery PO-1 "
        "(2025-03-01); rows of one delivery must agree.",
        "line 4, column supplier: delivery PO-9 exists and is from supplier S2.",
        "line 5, column quantity_ordered: must be greater than zero (got 0).",
        "line 5, column quantity_rejected: cannot reject 2: only 1 received.",
        "line 6, column received_at: is before ordered_at (2025-03-01T12:00).",
    ]
    assert Delivery.objects.count() == 1 and not DeliveryLine.objects.exists()


def test_a_bad_delivery_row_rolls_back_receipts_of_good_rows(tmp_path, catalogue):
    path = write(
        tmp_path,
        "deliveries.csv",
        DELIVERY_HEADER + "PO-1,S1,A,10,2025-03-01,2025-03-08,2025-03-07,10,\n"
        "PO-2,S1,Z,5,2025-03-01,2025-03-08,,,\n",
    )
    assert run_failing("deliveries", path) == ["line 3, column sku: unknown sku 'Z'."]
    assert not Delivery.objects.exists()
    assert not StockMovement.objects.exists() and on_hand("A") == 0


def test_a_closed_delivery_cannot_receive_more(tmp_path, catalogue):
    delivery = DeliveryFactory(
        reference="PO-1", supplier=catalogue, status=DeliveryStatus.CANCELLED
    )
    DeliveryLineFactory(delivery=delivery, item=Item.objects.get(sku="A"))
    ordered = delivery.ordered_at.isoformat()
    promised = delivery.promised_date.isoformat()
    received = (delivery.ordered_at + timedelta(days=1)).isoformat()
    path = write(
        tmp_path,
        "deliveries.csv",
        DELIVERY_HEADER + f"PO-1,S1,A,10,{ordered},{promised},{received},10,\n",
    )
    assert run_failing("deliveries", path) == [
        "line 2, column received_at: delivery PO-1 is closed (received or "
        "cancelled) and cannot receive more."
    ]
    assert not StockMovement.objects.exists()


def test_a_delivery_without_ordered_at_is_a_draft(tmp_path, catalogue):
    path = write(
        tmp_path,
        "deliveries.csv",
        DELIVERY_HEADER + "PO-1,S1,A,10,,,,,\nPO-2,S1,A,10,,,2025-03-09,,\n",
    )
    assert run_failing("deliveries", path) == [
        "line 3, column ordered_at: a value is required: the line has been received."
    ]
    path.write_text(DELIVERY_HEADER + "PO-1,S1,A,10,,,,,\n")
    run("deliveries", path)
    assert Delivery.objects.get().status == DeliveryStatus.DRAFT


def test_delivery_import_refuses_fractions_of_whole_unit_items(tmp_path, catalogue):
    path = write(
        tmp_path,
        "deliveries.csv",
        DELIVERY_HEADER + "PO-1,S1,A,2.5,2025-03-01,2025-03-08,,,\n"
        "PO-1,S1,B,5,2025-03-01,2025-03-08,2025-03-07,5,0.5\n",
    )
    assert run_failing("deliveries", path) == [
        "line 2, column quantity_ordered: A is counted in whole ea: 2.5 is not a "
        "whole number.",
        "line 3, column quantity_rejected: B is counted in whole ea: 0.5 is not a "
        "whole number.",
    ]
    assert not Delivery.objects.exists()
