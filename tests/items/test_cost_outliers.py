"""A unit cost far outside the catalogue's range is imported with a warning
(issue 13, finding 11): one cost of 9,999,999,999.9999 used to switch the whole
ABC classification (and the JIT pilot) off without a word."""

from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from items.models import Item
from items.selectors import median_unit_cost
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

HEADER = "sku,name,unit_cost,annual_demand\n"
OUTLIER = "BRG-9,Typo,9999999999.9999,10\n"


@pytest.fixture
def catalogue():
    for n, cost in enumerate(["1.50", "2.50", "3.50"]):
        ItemFactory(sku=f"OLD-{n}", unit_cost=D(cost))


def import_items(tmp_path, text: str, *extra: str) -> tuple[str, str]:
    path = tmp_path / "items.csv"
    path.write_text(text, encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("import_data", "items", str(path), *extra, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_median_unit_cost_of_the_active_items_with_a_cost():
    assert median_unit_cost() is None
    ItemFactory(unit_cost=D("0"))  # no cost yet: not counted
    ItemFactory(unit_cost=D("100"), active=False)
    ItemFactory(unit_cost=D("1"))
    ItemFactory(unit_cost=D("3"))
    assert median_unit_cost() == D("2")
    ItemFactory(unit_cost=D("10"))
    assert median_unit_cost() == D("3")


def test_an_outlier_cost_is_imported_with_a_warning_line(catalogue, tmp_path):
    out, err = import_items(tmp_path, HEADER + "BRG-1,Bearing,2.00,10\n" + OUTLIER)
    assert "Imported items" in out and "2 created" in out
    assert err.strip().splitlines() == [
        f"{tmp_path / 'items.csv'}: line 3, column unit_cost: warning: "
        "9999999999.9999 for 'BRG-9' is more than 1,000 × the catalogue's median "
        "unit cost (2.5); check it — imported anyway, and it would make this item "
        "the only A item."
    ]
    assert Item.objects.get(sku="BRG-9").unit_cost == D("9999999999.9999")


def test_the_dry_run_warns_too_and_writes_nothing(catalogue, tmp_path):
    out, err = import_items(tmp_path, HEADER + OUTLIER, "--dry-run")
    assert "Dry run" in out and "warning" in err
    assert not Item.objects.filter(sku="BRG-9").exists()


def test_ordinary_costs_give_no_warning(catalogue, tmp_path):
    # 2,500 is exactly 1,000 × the median: not above it
    _, err = import_items(tmp_path, HEADER + "BRG-1,Bearing,2500,10\nX,Y,0,1\n")
    assert err == ""


def test_an_empty_catalogue_compares_with_the_files_own_costs(tmp_path):
    rows = "".join(f"S{n},Item,{n + 1},10\n" for n in range(5)) + OUTLIER
    _, err = import_items(tmp_path, HEADER + rows)
    assert "line 7, column unit_cost: warning" in err
    assert "this file's median unit cost (3.5)" in err


def test_the_admin_preview_shows_the_warning(catalogue, admin_client_logged):
    upload = SimpleUploadedFile(
        "items.csv", (HEADER + OUTLIER).encode(), content_type="text/csv"
    )
    preview = admin_client_logged.post(
        reverse("admin:items_item_import"),
        {"format": "0", "resource": "0", "import_file": upload},
    )
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "confirm" in page.lower()
    assert (
        '<li class="warning">Line 2, column unit_cost: warning: 9999999999.9999' in page
    )
    assert not Item.objects.filter(sku="BRG-9").exists()
