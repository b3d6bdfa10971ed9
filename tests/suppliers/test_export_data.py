import csv
from datetime import datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from items.models import Item, StockMovement
from items.services import stock_adjust, stock_issue, stock_receive
from suppliers.models import Delivery, DeliveryLine, Supplier, SupplierItem
from suppliers.services import (
    LineOrder,
    LineReceipt,
    delivery_cancel,
    delivery_create,
    delivery_place_order,
    delivery_receive,
)
from tests.factories import ItemFactory, SupplierFactory, SupplierItemFactory

pytestmark = pytest.mark.django_db


def export(resource: str, path) -> list[dict[str, str]]:
    call_command("export_data", resource, str(path), stdout=StringIO())
    if path.suffix == ".xlsx":
        return []
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def import_(resource: str, path, *, dry_run: bool = False) -> str:
    out = StringIO()
    args = ["import_data", resource, str(path)] + (["--dry-run"] if dry_run else [])
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def snapshot() -> dict:
    """Everything an import could change."""
    return {
        "items": list(
            Item.objects.order_by("sku").values(
                "sku",
                "name",
                "unit",
                "unit_cost",
                "annual_demand",
                "on_hand",
                "jit_pilot",
                "shelf_life_days",
                "abc_class",
                "policy",
            )
        ),
        "suppliers": list(Supplier.objects.order_by("code").values()),
        "sources": list(SupplierItem.objects.order_by("pk").values()),
        "deliveries": list(Delivery.objects.order_by("pk").values()),
        "lines": list(DeliveryLine.objects.order_by("pk").values()),
        "movements": list(StockMovement.objects.order_by("pk").values()),
    }


@pytest.fixture
def world():
    """Items, suppliers, sources and deliveries in every state, with text that a
    spreadsheet would run as a formula."""
    formula = ItemFactory(
        sku="F-1", name='=HYPERLINK("http://x")', unit="kg", shelf_life_days=30
    )
    plain = ItemFactory(sku="P-1", name="-minus first", jit_pilot=True)
    Item.objects.filter(pk=plain.pk).update(abc_class="A", policy="jit")
    supplier = SupplierFactory(code="S1", name="@Acme", email="orders@acme.example")
    other = SupplierFactory(code="S2", name="Beta")
    SupplierItemFactory(supplier=supplier, item=formula, supplier_sku="+49-1")
    SupplierItemFactory(supplier=other, item=formula, priority=2)
    SupplierItemFactory(supplier=supplier, item=plain, min_order_qty=Decimal("12.5"))
    stock_receive(item=plain, quantity=Decimal("20"))
    stock_issue(item=plain, quantity=Decimal("3"))
    stock_adjust(item=plain, quantity=Decimal("-5"), note="=cmd")

    ordered_at = timezone.now() - timedelta(days=10)

    def ordered(reference, lines):
        delivery = delivery_create(
            supplier=supplier,
            reference=reference,
            lines=[LineOrder(item=item, quantity=Decimal(q)) for item, q in lines],
        )
        return delivery_place_order(delivery=delivery, ordered_at=ordered_at)

    ordered("PO-ORDERED", [(formula, "10")])
    partial = ordered("PO-PARTIAL", [(formula, "10"), (plain, "4")])
    line = partial.lines.get(item=formula)
    delivery_receive(
        delivery=partial,
        receipts=[LineReceipt(line_id=line.pk, quantity_received=Decimal("6"))],
    )
    full = ordered("PO-FULL", [(formula, "5"), (plain, "2")])
    delivery_receive(
        delivery=full,
        receipts=[
            LineReceipt(line_id=entry.pk, quantity_received=entry.quantity_ordered,
                        quantity_rejected=Decimal("1"))
            for entry in full.lines.all()
        ],
        close=True,  # rejected parts are owed until closed short (DESIGN §5)
    )  # fmt: skip
    short = ordered("PO-SHORT", [(formula, "8"), (plain, "3")])
    delivery_receive(
        delivery=short,
        receipts=[
            LineReceipt(
                line_id=short.lines.get(item=formula).pk,
                quantity_received=Decimal("7.5"),
            )
        ],
        close=True,
    )
    delivery_create(supplier=other, reference="PO-DRAFT", lines=[LineOrder(plain, 1)])
    delivery_cancel(
        delivery=ordered("PO-CANCELLED", [(plain, "1")]), reason="no longer needed"
    )


def test_items_export_adds_classes_policy_and_on_hand(tmp_path, world):
    rows = export("items", tmp_path / "items.csv")
    assert list(rows[0]) == [
        "sku",
        "name",
        "unit_cost",
        "annual_demand",
        "unit",
        "shelf_life_days",
        "jit_pilot",
        "abc_class",
        "xyz_class",
        "demand_pattern",  # issue 17: beside XYZ
        "policy",
        "on_hand",
    ]
    plain = rows[1]
    assert plain["sku"] == "P-1"
    assert (plain["abc_class"], plain["policy"], plain["jit_pilot"]) == (
        "A",
        "jit",
        "true",
    )
    assert plain["on_hand"] == str(Item.objects.get(sku="P-1").on_hand.normalize())


def test_export_escapes_formulas_in_text_but_not_numbers(tmp_path, world):
    items = {row["sku"]: row for row in export("items", tmp_path / "items.csv")}
    assert items["F-1"]["name"] == '\'=HYPERLINK("http://x")'
    assert items["P-1"]["name"] == "'-minus first"
    suppliers = export("suppliers", tmp_path / "suppliers.csv")
    assert suppliers[0]["name"] == "'@Acme"
    sources = export("sources", tmp_path / "sources.csv")
    assert "'+49-1" in [row["supplier_sku"] for row in sources]
    movements = export("movements", tmp_path / "movements.csv")
    adjustment = next(row for row in movements if row["kind"] == "adjustment")
    assert (adjustment["quantity"], adjustment["note"]) == ("-5", "'=cmd")
    issue = next(row for row in movements if row["kind"] == "issue")
    assert issue["quantity"] == "3"  # the import's convention: kind gives the sign


@pytest.mark.parametrize("resource", ["items", "suppliers", "sources", "deliveries"])
@pytest.mark.parametrize("extension", [".csv", ".xlsx"])
def test_export_then_import_changes_nothing(tmp_path, world, resource, extension):
    before = snapshot()
    path = tmp_path / f"{resource}{extension}"
    export(resource, path)
    out = import_(resource, path)
    assert "0 created, 0 updated" in out
    assert snapshot() == before


def test_deliveries_export_keeps_status_and_receipts_readable(tmp_path, world):
    rows = export("deliveries", tmp_path / "deliveries.csv")
    by_key = {(row["reference"], row["sku"]): row for row in rows}
    assert len(rows) == DeliveryLine.objects.count()
    full = by_key["PO-FULL", "F-1"]
    assert (full["quantity_received"], full["quantity_rejected"]) == ("5", "1")
    assert full["received_at"]
    partial = by_key["PO-PARTIAL", "F-1"]
    assert (partial["received_at"], partial["quantity_received"]) == ("", "6")
    assert by_key["PO-SHORT", "P-1"]["quantity_received"] == "0"
    assert by_key["PO-DRAFT", "P-1"]["ordered_at"] == ""
    datetime.fromisoformat(by_key["PO-ORDERED", "F-1"]["ordered_at"])


def test_movements_export_is_importable(tmp_path, world):
    path = tmp_path / "movements.csv"
    rows = export("movements", path)
    out = import_("movements", path, dry_run=True)
    # append-only: importing a ledger export would post every movement again
    assert f"would be {len(rows)} created" in out


def test_export_refuses_other_file_types(tmp_path):
    with pytest.raises(CommandError, match="unsupported file type '.json'"):
        call_command("export_data", "items", str(tmp_path / "items.json"))


def test_admin_exports_delivery_lines(admin_client_logged, world):
    fields = {f"deliveryresource_{name}": "on" for name in ("reference", "sku")}
    response = admin_client_logged.post(
        reverse("admin:suppliers_delivery_export"),
        {"format": "0", "resource": "0", **fields},
    )
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert lines[0] == "reference,sku"
    assert "PO-PARTIAL,P-1" in lines
    assert len(lines) == 1 + DeliveryLine.objects.count()


def test_admin_imports_movements_through_the_ledger(admin_client_logged):
    ItemFactory(sku="A")
    upload = SimpleUploadedFile(
        "movements.csv",
        b"sku,kind,quantity,occurred_at\nA,receipt,5,2025-01-01\nA,issue,7,2025-01-02\n",
    )
    preview = admin_client_logged.post(
        reverse("admin:items_stockmovement_import"),
        {"format": "0", "resource": "0", "import_file": upload},
    )
    assert [row.number for row in preview.context["result"].invalid_rows] == [3]
    assert "Cannot take 7 of A: only 5 on hand." in preview.content.decode()
    assert not StockMovement.objects.exists()
