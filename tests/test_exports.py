"""Staff list downloads (issue 20): every list exports its current filtered rows
as CSV and XLSX, with spreadsheet formulas escaped as in the admin export."""

import csv
import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.urls import reverse

from items.services import stock_issue, stock_receive
from replenishment.generation import suggestions_generate
from suppliers.models import SupplierScore
from tests.factories import DeliveryLineFactory, ItemFactory, SupplierItemFactory

pytestmark = pytest.mark.django_db


def read(response) -> list[list[str]]:
    assert response.status_code == 200
    if response["Content-Type"] == "text/csv":
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text)))
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    return [
        ["" if v is None else v for v in row]
        for row in book.active.iter_rows(values_only=True)
    ]


@pytest.fixture
def catalogue():
    risky = SupplierItemFactory(
        item__sku="=HYPERLINK(1)", item__name="+evil", item__abc_class="A",
        item__annual_demand=D("3650"), supplier__code="ACME",
        supplier__name="@Acme", quoted_lead_time_days=5,
    )  # fmt: skip
    stock_receive(item=risky.item, quantity=D("20"), note="-2+3")
    stock_issue(item=risky.item, quantity=D("1.5") * 2)
    for n in range(3):
        ItemFactory(sku=f"B-{n}", abc_class="B", name=f"Bee {n}")
    DeliveryLineFactory(
        item=risky.item, delivery__supplier=risky.supplier,
        delivery__reference="PO-1", quantity_ordered=D("10"),
    )  # fmt: skip
    SupplierScore.objects.create(
        supplier=risky.supplier, risk_score=D("61.4"), risk_level="high",
        performance_score=D("61.4"), performance_level="high",
        history_sufficient=True, on_time_rate=D("0.6512"),
    )  # fmt: skip
    suggestions_generate()
    return risky


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_item_export_honours_the_filters_and_escapes_formulas(
    staff_client, catalogue, fmt
):
    rows = read(
        staff_client.get(reverse("item_list"), {"abc_class": "B", "export": fmt})
    )
    assert rows[0][:3] == ["sku", "name", "unit"]
    assert [r[0] for r in rows[1:]] == ["B-0", "B-1", "B-2"]  # filtered, sorted
    rows = read(
        staff_client.get(reverse("item_list"), {"abc_class": "A", "export": fmt})
    )
    assert rows[1][0] == "'=HYPERLINK(1)" and rows[1][1] == "'+evil"
    on_hand = rows[1][rows[0].index("on_hand")]
    assert str(on_hand) in ("17", "17.0")  # the exact figure, typed in XLSX
    if fmt == "xlsx":
        assert isinstance(on_hand, int | float)


def test_an_export_has_every_filtered_row_not_just_the_page(staff_client, db):
    ItemFactory.create_batch(55, abc_class="C")
    response = staff_client.get(reverse("item_list"), {"abc_class": "C"})
    assert len(response.context["page"].object_list) == 50
    assert 'href="?abc_class=C&amp;export=csv"' in response.content.decode()
    rows = read(
        staff_client.get(reverse("item_list"), {"abc_class": "C", "export": "csv"})
    )
    assert len(rows) == 56
    assert response["Content-Type"].startswith("text/html")


def test_suggestion_delivery_supplier_and_movement_exports(staff_client, catalogue):
    rows = read(staff_client.get(reverse("suggestion_list"), {"export": "csv"}))
    assert rows[0][:3] == ["supplier", "sku", "name"]
    assert rows[1][:3] == ["ACME", "'=HYPERLINK(1)", "'+evil"]
    assert read(
        staff_client.get(
            reverse("suggestion_list"), {"supplier": "NONE", "export": "csv"}
        )
    ) == [rows[0]]

    rows = read(staff_client.get(reverse("delivery_list"), {"export": "xlsx"}))
    assert rows[0][:3] == ["reference", "supplier", "supplier_name"]
    assert [r[0] for r in rows[1:]] == ["PO-1"] and rows[1][2] == "'@Acme"
    rows = read(
        staff_client.get(reverse("delivery_list"), {"q": "zzz", "export": "csv"})
    )
    assert len(rows) == 1  # the filter holds: header only

    rows = read(
        staff_client.get(reverse("supplier_list"), {"level": "high", "export": "csv"})
    )
    header = rows[0]
    assert [r[0] for r in rows[1:]] == ["ACME"]
    assert rows[1][header.index("risk_level")] == "high"
    assert rows[1][header.index("on_time_rate")] == "0.6512"  # exact, not 65 %
    assert (
        len(
            read(
                staff_client.get(
                    reverse("supplier_list"), {"level": "low", "export": "csv"}
                )
            )
        )
        == 1
    )

    url = reverse("item_detail", args=[catalogue.item.sku])
    rows = read(staff_client.get(url, {"export": "csv"}))
    assert rows[0][:4] == ["sku", "occurred_at", "kind", "quantity"]
    kinds = sorted((r[2], r[3]) for r in rows[1:])
    assert kinds == [("issue", "-3"), ("receipt", "20")]
    notes = [r[6] for r in rows[1:]]
    assert "'-2+3" in notes


def test_exports_name_the_file_and_run_a_constant_number_of_queries(
    staff_client, catalogue, django_assert_max_num_queries
):
    ItemFactory.create_batch(30)
    with django_assert_max_num_queries(8):
        response = staff_client.get(reverse("item_list"), {"export": "xlsx"})
        read(response)
    assert 'attachment; filename="items-' in response["Content-Disposition"]
    assert response["Content-Disposition"].endswith('.xlsx"')


def test_an_exact_sku_in_the_search_opens_the_item(staff_client, db):
    ItemFactory(sku="M6/20.5")
    ItemFactory(sku="M6/20.50")
    response = staff_client.get(reverse("item_list"), {"q": "M6/20.5"})
    assert response.status_code == 302
    assert response["Location"] == reverse("item_detail", args=["M6/20.5"])
    response = staff_client.get(reverse("item_list"), {"q": "m6/20.50"})
    assert response["Location"] == reverse("item_detail", args=["M6/20.50"])
    # part of a SKU, or a search narrowed by another filter, stays a list
    assert staff_client.get(reverse("item_list"), {"q": "M6/20"}).status_code == 200
    assert (
        staff_client.get(reverse("item_list"), {"q": "M6/20.5", "abc_class": "A"})
    ).status_code == 200
