"""Planning and the item page read the supplier's answers through the one rule
of ``suppliers.models`` (``DeliveryLine.objects.with_expected``): what is still
coming (the inventory position) and when (the item chart)."""

from datetime import datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine

from replenishment.generation import (
    planning_figures,
    planning_params,
    suggestions_generate,
)
from replenishment.models import Suggestion
from replenishment.pages import item_page
from suppliers.models import LineResponse
from suppliers.services import (
    SupplierLineAnswer,
    delivery_lines_answer,
    delivery_shipment_record,
)
from tests.factories import DeliveryFactory, DeliveryLineFactory, SupplierItemFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 11, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _frozen(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def line():
    """BOLT: 10 a day planned (annual demand 3650), 5 on hand, 200 on order
    from ACME promised in 4 days."""
    source = SupplierItemFactory(
        supplier__code="ACME",
        item__sku="BOLT",
        item__on_hand=D("5"),
        item__annual_demand=D("3650"),
        item__avg_daily_demand=D("10"),
        quoted_lead_time_days=3,
    )
    delivery = DeliveryFactory(
        supplier=source.supplier, promised_date=TODAY + timedelta(days=4)
    )
    return DeliveryLineFactory(
        delivery=delivery, item=source.item, quantity_ordered=D("200")
    )


def answer(line, response, quantity=None, day=None):
    delivery_lines_answer(
        delivery=line.delivery,
        answers=[SupplierLineAnswer(line.pk, response, quantity, day)],
    )


def on_order(line) -> D:
    (row,) = planning_figures(
        today=TODAY, params=planning_params(), item_ids=[line.item_id]
    )
    return row.figures.on_order


def test_planning_counts_what_the_supplier_confirmed(line):
    assert on_order(line) == D("200")
    answer(line, LineResponse.CHANGE, quantity=D("120"))
    assert on_order(line) == D("120")
    answer(line, LineResponse.REJECT)
    assert on_order(line) == D("0")


def test_a_rejected_line_makes_planning_suggest_again(line):
    suggestions_generate(today=TODAY)
    assert not Suggestion.objects.open().filter(item=line.item).exists()
    answer(line, LineResponse.REJECT)
    suggestions_generate(today=TODAY)
    assert Suggestion.objects.open().filter(item=line.item).exists()


def arrivals(item) -> dict:
    """Days on which the item page's projection rises (a delivery arrives)."""
    projection = item_page(item)["projection"]
    return {
        day: round(level - before, 3)
        for (_, before), (day, level) in zip(projection, projection[1:], strict=False)
        if level > before
    }


def test_the_item_chart_projects_the_expected_arrival(line):
    promised = TODAY + timedelta(days=4)
    # 5 on hand, 10 a day: from 0 (after day 1) the level rises by what arrives.
    assert list(arrivals(line.item)) == [promised]
    later = TODAY + timedelta(days=7)
    answer(line, LineResponse.CHANGE, quantity=D("150"), day=later)
    assert list(arrivals(line.item)) == [later]
    page = item_page(line.item)
    assert page["next_line"].expected_arrival == later
    shipped = TODAY + timedelta(days=2)
    delivery_shipment_record(
        delivery=line.delivery, arrival=shipped, shipped={line.pk: D("150")}
    )
    assert list(arrivals(line.item)) == [shipped]


def test_a_rejected_line_is_not_projected(line):
    answer(line, LineResponse.REJECT)
    page = item_page(line.item)
    assert arrivals(line.item) == {} and page["next_line"] is None
    assert page["unknown_lines"] == [page["on_order"][0]]


def test_a_late_line_with_a_new_date_is_projected_on_it(line, staff_client):
    line.delivery.promised_date = TODAY - timedelta(days=2)
    line.delivery.save()
    assert arrivals(line.item) == {}
    new_date = TODAY + timedelta(days=5)
    answer(line, LineResponse.CHANGE, day=new_date)
    assert list(arrivals(line.item)) == [new_date]
    text = staff_client.get("/items/BOLT/").content.decode()
    assert (
        "late since" in text
        and "now expected " + new_date.strftime("%-d %b %Y") in text
    )
