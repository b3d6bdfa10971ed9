from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import tablib
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bulk.readers import read_csv
from bulk.resources import result_issues
from items.models import Item, MovementKind, StockMovement
from items.resources import ItemResource, MovementResource
from items.services import stock_receive
from tests.factories import ItemFactory

SITE_TZ = ZoneInfo(settings.TIME_ZONE)


def dataset(text: str) -> tablib.Dataset:
    return read_csv(text)


@pytest.mark.django_db
def test_item_resource_reports_invalid_rows_by_file_line_and_column():
    result = ItemResource().import_data(
        dataset("sku,name,unit_cost,annual_demand\nA,Ok,1,1\nB,Bad,abc,1\n"),
        dry_run=True,
    )
    assert result.has_validation_errors()
    [invalid] = result.invalid_rows
    assert invalid.number == 3  # header is line 1
    assert invalid.error_dict == {"unit_cost": ["'abc' is not a number."]}
    assert result_issues(result) == ["line 3, column unit_cost: 'abc' is not a number."]
    assert not Item.objects.exists()


@pytest.mark.django_db
def test_item_resource_reports_header_problems_as_base_errors():
    result = ItemResource().import_data(
        dataset("sku,name,unit_cost,colour\nA,Ok,1,red\n"), dry_run=True
    )
    assert result.has_errors()
    assert result_issues(result) == [
        "line 1, column colour: unknown column; expected sku, name, unit_cost, "
        "annual_demand and optionally unit, shelf_life_days, jit_pilot.",
        "line 1, column annual_demand: required column is missing.",
    ]


@pytest.mark.django_db
def test_item_resource_writes_and_counts_new_updated_unchanged():
    ItemFactory(sku="OLD", name="Old name", unit_cost=Decimal("1"))
    ItemFactory(
        sku="SAME", name="Same", unit_cost=Decimal("2"), annual_demand=Decimal("3")
    )
    result = ItemResource().import_data(
        dataset(
            "sku,name,unit_cost,annual_demand\n"
            "NEW,New,1.5,10\nOLD,New name,1,100\nSAME,Same,2.0000,3\n"
        )
    )
    assert not result.has_errors() and not result.has_validation_errors()
    assert (result.totals["new"], result.totals["update"], result.totals["skip"]) == (
        1,
        1,
        1,
    )
    assert Item.objects.get(sku="OLD").name == "New name"
    new = Item.objects.get(sku="NEW")
    assert (new.unit, new.unit_cost, new.jit_pilot) == ("ea", Decimal("1.5"), False)


@pytest.mark.django_db
def test_item_import_ignores_on_hand_and_never_sets_stock():
    item = ItemFactory(sku="A")
    stock_receive(item=item, quantity=Decimal("5"))
    ItemResource().import_data(
        dataset("sku,name,unit_cost,annual_demand,on_hand\nA,x,1,1,999\nB,y,1,1,7\n")
    )
    assert Item.objects.get(sku="A").on_hand == Decimal("5")
    assert Item.objects.get(sku="B").on_hand == 0
    assert not StockMovement.objects.filter(item__sku="B").exists()


def queries_to_import(new: int, existing: int) -> int:
    ItemFactory.create_batch(existing)
    rows = [f"N-{new}-{n},Item {n},1,1" for n in range(new)]
    rows += [
        f"{i.sku},Renamed {i.pk},1,1"
        for i in Item.objects.filter(sku__startswith="SKU")
    ]
    data = dataset("sku,name,unit_cost,annual_demand\n" + "\n".join(rows))
    with CaptureQueriesContext(connection) as queries:
        result = ItemResource().import_data(data)
    assert (result.totals["new"], result.totals["update"]) == (new, len(rows) - new)
    Item.objects.all().delete()
    return len(queries)


@pytest.mark.django_db
def test_item_import_needs_the_same_queries_for_more_rows():
    """Lookups, inserts and updates are set-based: never a query per row."""
    assert queries_to_import(10, 5) == queries_to_import(40, 20)


@pytest.mark.django_db
def test_movement_resource_refuses_an_issue_beyond_stock_and_writes_nothing():
    item = ItemFactory(sku="A")
    stock_receive(item=item, quantity=Decimal("3"))
    result = MovementResource().import_data(
        dataset(
            "sku,kind,quantity,occurred_at\n"
            "A,receipt,2,2025-01-01\nA,issue,6,2025-01-02\n"
        )
    )
    assert result_issues(result) == [
        "line 3, column quantity: Cannot take 6 of A: only 5 on hand."
    ]
    item.refresh_from_db()
    assert item.on_hand == Decimal("3")
    assert StockMovement.objects.count() == 1


@pytest.mark.django_db
def test_the_ledger_has_the_last_word_on_stock(monkeypatch):
    """Stock may change between the early check and the posting: the ledger's
    own refusal (under row locks) is reported per row as well."""
    ItemFactory(sku="A")
    monkeypatch.setattr(
        MovementResource, "check_stock", staticmethod(lambda rows: None)
    )
    result = MovementResource().import_data(
        dataset(
            "sku,kind,quantity,occurred_at\nA,receipt,1,2025-01-01\nA,issue,2,2025-01-02\n"
        )
    )
    assert result_issues(result) == [
        "line 3, column quantity: Cannot take 2 of A: only 1 on hand."
    ]
    assert not StockMovement.objects.exists()


@pytest.mark.django_db
def test_movement_resource_signs_quantities_by_kind(staff_user):
    ItemFactory(sku="A")
    MovementResource().import_data(
        dataset(
            "sku,kind,quantity,occurred_at,note\n"
            "A,receipt,10,2025-01-01,in\n"
            "A,Issue,4,2025-01-02,\n"
            "A,scrap,1,2025-01-03,\n"
            "A,adjustment,-2,2025-01-04,count\n"
        ),
        user=staff_user,
    )
    moves = StockMovement.objects.order_by("occurred_at")
    assert [(m.kind, m.quantity) for m in moves] == [
        (MovementKind.RECEIPT, Decimal("10")),
        (MovementKind.ISSUE, Decimal("-4")),
        (MovementKind.SCRAP, Decimal("-1")),
        (MovementKind.ADJUSTMENT, Decimal("-2")),
    ]
    assert {m.created_by for m in moves} == {staff_user}
    assert Item.objects.get(sku="A").on_hand == Decimal("3")


@pytest.mark.django_db
def test_admin_import_preview_shows_the_same_row_errors(admin_client_logged):
    ItemFactory(sku="A")
    upload = SimpleUploadedFile(
        "items.csv",
        b"sku,name,unit_cost,annual_demand\nA,Ok,1,1\nB,Bad,-1,1\n",
        content_type="text/csv",
    )
    response = admin_client_logged.post(
        reverse("admin:items_item_import"),
        {"format": "0", "resource": "0", "import_file": upload},
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert [row.number for row in result.invalid_rows] == [3]
    assert "must not be negative (got -1)." in response.content.decode()
    assert "confirm_form" not in response.context
    assert not Item.objects.filter(sku="B").exists()


@pytest.mark.django_db
def test_admin_import_confirms_a_valid_file_through_the_resource(
    admin_client_logged,
):
    upload = SimpleUploadedFile(
        "items.csv",
        b"sku,name,unit_cost,annual_demand,jit_pilot\nN,New,1,1,yes\n",
        content_type="text/csv",
    )
    preview = admin_client_logged.post(
        reverse("admin:items_item_import"),
        {"format": "0", "resource": "0", "import_file": upload},
    )
    confirm = preview.context["confirm_form"]
    assert not Item.objects.filter(sku="N").exists()  # the preview is a dry run
    response = admin_client_logged.post(
        reverse("admin:items_item_process_import"), confirm.initial
    )
    assert response.status_code == 302
    assert Item.objects.get(sku="N").jit_pilot is True


@pytest.mark.django_db
def test_admin_export_escapes_formulas(admin_client_logged):
    ItemFactory(sku="A", name="=cmd|' /C calc'!A0")
    response = admin_client_logged.post(
        reverse("admin:items_item_export"),
        {"format": "0", "resource": "0", "itemresource_sku": True,
         "itemresource_name": True},
    )  # fmt: skip
    assert response.status_code == 200
    body = response.content.decode()
    assert "'=cmd" in body
    assert "\n=cmd" not in body and ",=cmd" not in body
