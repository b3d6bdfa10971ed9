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


def test_a_ranges_lines_read_as_text_are_the_lines_read_one_by_one():
    """The read of an id range (generation's: one text per item on PostgreSQL,
    ``PlannedRecords``) gives what the read by ids gives: references with
    commas, percent signs and the record separator intact, issues against a
    reference using its lines up (past ones first), a component's own lines
    with its product's, an item whose only line is past left out. Lazily, an
    item's lines are parsed only before the day asked for."""
    from inventory_site.db import is_postgresql
    from items.selectors import PlannedRecords, planned_demand_read

    gear = ItemFactory(sku="GEAR-1")
    odd = ItemFactory(sku="ODD-1")
    wheel = ItemFactory(sku="WHEEL")
    past_only = ItemFactory(sku="OLD-1")
    bike = ItemFactory(sku="BIKE", production_lead_time_days=2)
    BillOfMaterialsLine.objects.create(product=bike, component=wheel, quantity=D("2"))
    for item, days, quantity, reference in [
        (gear, -4, "30", "SO-9"), (gear, 3, "50", "SO-9"), (gear, 9, "7.5", ""),
        (gear, 400, "1", ""),  # beyond the lookahead: not read
        (odd, 1, "5", "PO 7, line 2 (50%)"), (odd, 2, "6", "A\x1eB %1E"),
        (wheel, 4, "11", "W-1"), (bike, 8, "3", "MO-1"),
        (past_only, -2, "9", "SO-1"),
    ]:  # fmt: skip
        PlannedDemand.objects.create(
            item=item, date=on(days), quantity=D(quantity), reference=reference
        )
    for item, quantity, reference in [(gear, "40", "SO-9"), (wheel, "5", "W-1")]:
        stock_receive(item=item, quantity=D("100"))
        stock_issue(item=item, quantity=D(quantity), reference=reference)

    items = [gear, odd, wheel, past_only, bike]
    ids = sorted(item.pk for item in items)
    by_ids = planned_demand_open(today=TODAY, item_ids=ids)
    by_range = planned_demand_open(today=TODAY, first_id=ids[0], last_id=ids[-1])
    assert by_range == by_ids
    assert [(x.day, x.quantity, x.reference) for x in by_ids[gear.pk]] == [
        (on(3), D("40"), "SO-9"), (on(9), D("7.5"), ""),
    ]  # fmt: skip
    assert [x.reference for x in by_ids[odd.pk]] == [
        "PO 7, line 2 (50%)", "A\x1eB %1E",
    ]  # fmt: skip
    assert [(x.day, x.quantity) for x in by_ids[wheel.pk]] == [
        (on(4), D("6")), (on(6), D("6")),
    ]  # fmt: skip
    assert past_only.pk not in by_ids

    lazy = planned_demand_read(
        planned_demand_open(
            today=TODAY, first_id=ids[0], last_id=ids[-1], pending=True
        ),
        lazy=True,
    )
    for item_id, lines in lazy.items():
        if isinstance(lines, PlannedRecords):
            assert lines.before(5) == [x for x in by_ids[item_id] if x.day < on(5)]
            assert list(lines) == by_ids[item_id]
        else:
            assert lines == by_ids[item_id]
    assert {item_id for item_id, lines in lazy.items()} == set(by_ids)
    if is_postgresql():  # issues used gear's and wheel's up
        assert isinstance(lazy[odd.pk], PlannedRecords)
        assert not isinstance(lazy[gear.pk], PlannedRecords)
