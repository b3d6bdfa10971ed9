"""Planned demand against the database: import, reading (references used up,
one-level BOM explosion) and suggestion generation (DESIGN §8)."""

from datetime import datetime, timedelta
from decimal import Decimal as D
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from inventory_site.dates import site_midnight
from items.models import BillOfMaterialsLine, PlannedDemand
from items.selectors import planned_demand_open
from items.services import stock_issue, stock_receive
from replenishment.generation import suggestions_generate
from replenishment.models import Suggestion
from tests.factories import ItemFactory, SupplierItemFactory

pytestmark = pytest.mark.django_db

FROZEN = datetime(2026, 12, 1, 10, tzinfo=timezone.get_default_timezone())
TODAY = FROZEN.date()


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(FROZEN, tick=False):
        yield


def on(days: int):
    return TODAY + timedelta(days=days)


def import_demand(tmp_path, text: str) -> str:
    path = tmp_path / "demand.csv"
    path.write_text("sku,date,quantity,status,reference\n" + text, encoding="utf-8")
    out = StringIO()
    call_command("import_data", "demand", str(path), stdout=out, stderr=StringIO())
    return out.getvalue()


def test_import_adds_lines_and_a_reimported_reference_replaces_its_lines(tmp_path):
    ItemFactory(sku="GEAR-1")
    ItemFactory(sku="SHAFT-2")
    import_demand(
        tmp_path,
        f"GEAR-1,{on(5)},100,firm,PO-4471\n"
        f"SHAFT-2,{on(6)},50,planned,PO-4471\n"
        f"GEAR-1,{on(20)},7,,\n",
    )
    assert PlannedDemand.objects.count() == 3
    # next week's schedule for PO-4471: one line, a new quantity
    import_demand(tmp_path, f"GEAR-1,{on(5)},120,firm,PO-4471\n")
    rows = sorted(
        PlannedDemand.objects.values_list("item__sku", "quantity", "reference")
    )
    assert rows == [("GEAR-1", D("7"), ""), ("GEAR-1", D("120"), "PO-4471")]
    assert PlannedDemand.objects.get(reference="PO-4471").source == "import"


def test_import_is_all_or_nothing_with_row_and_column(tmp_path):
    ItemFactory(sku="GEAR-1")
    path = tmp_path / "bad.csv"
    path.write_text(
        "sku,date,quantity,status\n"
        f"GEAR-1,{on(5)},100,firm\n"
        f"NOPE,{on(5)},1,firm\n"
        f"GEAR-1,5 Dec,1,firm\n"
        f"GEAR-1,{on(5)},0,firm\n"
        f"GEAR-1,{on(5)},3,maybe\n",
        encoding="utf-8",
    )
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_data", "demand", str(path), stdout=StringIO(), stderr=err)
    text = err.getvalue()
    assert "line 3" in text and "sku" in text and "unknown sku 'NOPE'" in text
    assert "line 4" in text and "date" in text
    assert "line 5" in text and "must be more than 0" in text
    assert "line 6" in text and "unknown status 'maybe'" in text
    assert PlannedDemand.objects.count() == 0


def test_a_booked_issue_with_the_reference_uses_the_planned_line_up():
    item = ItemFactory(sku="GEAR-1")
    stock_receive(item=item, quantity=D("1000"))
    PlannedDemand.objects.create(
        item=item, date=on(-2), quantity=D("100"), reference="PO-1"
    )
    PlannedDemand.objects.create(
        item=item, date=on(5), quantity=D("300"), reference="PO-1"
    )
    PlannedDemand.objects.create(item=item, date=on(6), quantity=D("40"))
    # 100 for the past line, 50 of the future one already issued (early)
    stock_issue(item=item, quantity=D("150"), reference="PO-1")
    lines = planned_demand_open(today=TODAY, item_ids=[item.pk])[item.pk]
    assert [(line.day, line.quantity, line.reference) for line in lines] == [
        (on(5), D("250"), "PO-1"),
        (on(6), D("40"), ""),
    ]


def test_a_product_schedule_explodes_into_its_components_before_its_date():
    product = ItemFactory(sku="BIKE", production_lead_time_days=3)
    wheel = ItemFactory(sku="WHEEL")
    BillOfMaterialsLine.objects.create(
        product=product, component=wheel, quantity=D("2")
    )
    PlannedDemand.objects.create(
        item=product, date=on(10), quantity=D("50"), reference="MO-7"
    )
    PlannedDemand.objects.create(item=product, date=on(2), quantity=D("5"))
    lines = planned_demand_open(today=TODAY, item_ids=[wheel.pk])[wheel.pk]
    # 10 − 3 = day 7, 50 × 2; and the line of day 2 is needed now (2 − 3 < 0)
    assert [(line.day, line.quantity, line.product_sku) for line in lines] == [
        (TODAY, D("10"), "BIKE"),
        (on(7), D("100"), "BIKE"),
    ]
    # wheels issued for MO-7 use the exploded line up
    stock_receive(item=wheel, quantity=D("100"))
    stock_issue(item=wheel, quantity=D("60"), reference="MO-7")
    lines = planned_demand_open(today=TODAY, item_ids=[wheel.pk])[wheel.pk]
    assert [(line.day, line.quantity) for line in lines] == [
        (TODAY, D("10")),
        (on(7), D("40")),
    ]


def test_a_new_item_with_only_a_firm_line_gets_a_suggestion_that_names_it():
    item = ItemFactory(
        sku="LAUNCH-1", annual_demand=D("0"), abc_class="A", policy="jit"
    )
    SupplierItemFactory(item=item, supplier__code="ACME", quoted_lead_time_days=5)
    PlannedDemand.objects.create(
        item=item, date=on(8), quantity=D("100"), reference="SO-1"
    )
    suggestions_generate(today=TODAY)
    suggestion = Suggestion.objects.open().get(item=item)
    # d = 0; the line enters the 6-day protection window on day 3
    assert (suggestion.quantity, suggestion.order_by) == (D("100"), on(3))
    assert "100 planned on 09 Dec for SO-1" in suggestion.reason


def test_the_planned_issue_once_booked_stops_driving_suggestions():
    item = ItemFactory(
        sku="LAUNCH-1", annual_demand=D("0"), abc_class="A", policy="jit"
    )
    SupplierItemFactory(item=item, supplier__code="ACME", quoted_lead_time_days=5)
    PlannedDemand.objects.create(
        item=item, date=on(8), quantity=D("100"), reference="SO-1"
    )
    stock_receive(item=item, quantity=D("100"), occurred_at=site_midnight(on(-1)))
    stock_issue(item=item, quantity=D("100"), reference="SO-1")  # shipped early
    suggestions_generate(today=TODAY)
    assert not Suggestion.objects.open().filter(item=item).exists()


def test_item_page_lists_planned_demand_and_the_dashboard_flags_a_shortfall(
    staff_client,
):
    item = ItemFactory(sku="GEAR-1", annual_demand=D("0"))
    SupplierItemFactory(item=item, quoted_lead_time_days=5)
    stock_receive(item=item, quantity=D("30"))
    PlannedDemand.objects.create(
        item=item, date=on(3), quantity=D("40"), reference="PO-4471"
    )
    PlannedDemand.objects.create(item=item, date=on(30), quantity=D("9"))
    page = staff_client.get("/items/GEAR-1/").content.decode()
    assert "Planned demand, next 60 days" in page
    assert "PO-4471" in page and "Thu 3 Dec" not in page and "Fri 4 Dec" in page
    dashboard = staff_client.get("/").content.decode()
    # 40 needed by 4 Dec, within the 5-day lead time; 30 on hand, nothing ordered
    assert 'data-testid="planned-short">1<' in dashboard
    assert "GEAR-1" in dashboard
