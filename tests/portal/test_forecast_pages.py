"""The forecast against the planning engine in the database: the first week is
today's open suggestion, and a later week is what the engine suggests when that
day comes (demand unchanged). Revisions, pages, CSV, JSON and the staff API."""

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest
import time_machine

from inventory_site.dates import week_start
from items.services import MovementInput, movements_bulk_post, stock_issue
from portal.models import ForecastRevision
from portal.services import forecast_refresh
from replenishment.generation import suggestions_generate
from replenishment.models import Suggestion, SuggestionStatus
from replenishment.services import suggestions_accept
from suppliers.services import LineReceipt, delivery_place_order, delivery_receive
from tests.factories import SupplierItemFactory, UserFactory
from tests.portal.conftest import BERLIN, NOW, link_for

pytestmark = pytest.mark.django_db
TODAY = NOW.date()


def noon(day) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=BERLIN)


@pytest.fixture
def bolt(frozen):
    """An A/JIT item from ACME (quoted lead time 5 d), 10 a day for 100 days,
    100 on hand today: ROP 60, order up to 130 → 70 by today + 4, then 70 a week."""
    source = SupplierItemFactory(
        supplier__code="ACME",
        supplier_sku="AC-BOLT",
        item__sku="BOLT",
        item__abc_class="A",
        item__policy="jit",
        quoted_lead_time_days=5,
    )
    item = source.item
    moves = [MovementInput(item.pk, "receipt", D("1100"), noon(TODAY - timedelta(101)))]
    moves += [
        MovementInput(item.pk, "issue", D("-10"), noon(TODAY - timedelta(days=n)))
        for n in range(100, 0, -1)
    ]
    movements_bulk_post(movements=moves)
    item.refresh_from_db()
    assert item.on_hand == D("100")
    return source


def issue_daily(item, start, end):
    day = start
    while day < end:
        stock_issue(item=item, quantity=D("10"), occurred_at=noon(day))
        day += timedelta(days=1)


def projected(revision, sku="BOLT"):
    return [
        (line["week_start"], D(line["quantity"]), line["zone"])
        for line in revision.lines
        if line["sku"] == sku
    ]


def test_first_week_is_todays_suggestion_and_later_weeks_what_will_be_suggested(bolt):
    item, supplier = bolt.item, bolt.supplier
    suggestions_generate(today=TODAY)
    first = Suggestion.objects.get(item=item, status=SuggestionStatus.OPEN)
    assert (first.order_by, first.quantity) == (TODAY + timedelta(days=4), D("70"))

    revision = forecast_refresh(supplier=supplier, today=TODAY)
    lines = projected(revision)
    assert lines[0][:2] == (week_start(first.order_by).isoformat(), first.quantity)
    second_order_by = TODAY + timedelta(days=11)
    assert lines[1][:2] == (week_start(second_order_by).isoformat(), D("70"))
    assert len(lines) == 13  # one order a week for 13 weeks, nothing ordered yet

    # The buyer orders on the order-by date; it arrives after the lead time;
    # demand stays at 10 a day. On the second order-by date the engine suggests
    # exactly the forecast's second order.
    with time_machine.travel(noon(first.order_by), tick=False):
        issue_daily(item, TODAY, first.order_by)
        suggestions_generate(today=first.order_by)
        first.refresh_from_db()
        assert first.status == SuggestionStatus.OPEN  # unchanged, kept
        (delivery,) = suggestions_accept(suggestions=[first])
        delivery = delivery_place_order(delivery=delivery)
    arrival = first.order_by + timedelta(days=5)
    with time_machine.travel(noon(arrival), tick=False):
        issue_daily(item, first.order_by, arrival)
        delivery_receive(
            delivery=delivery,
            receipts=[LineReceipt(delivery.lines.get().pk, D("70"))],
        )
    with time_machine.travel(noon(second_order_by), tick=False):
        issue_daily(item, arrival, second_order_by)
        suggestions_generate(today=second_order_by)
        later = Suggestion.objects.get(item=item, status=SuggestionStatus.OPEN)
        assert (later.order_by, later.quantity) == (second_order_by, D("70"))
        # Regenerated now, the forecast starts with that same order.
        now_lines = projected(forecast_refresh(supplier=supplier))
        assert now_lines[0][:2] == (week_start(later.order_by).isoformat(), D("70"))


def test_open_orders_are_firm_and_a_new_revision_only_when_lines_change(bolt):
    supplier = bolt.supplier
    first = forecast_refresh(supplier=supplier)
    assert first.number == 1
    assert forecast_refresh(supplier=supplier).pk == first.pk  # unchanged
    # An order placed with a promise in five weeks: that week becomes firm.
    from suppliers.services import LineOrder, delivery_create

    delivery = delivery_create(
        supplier=supplier, reference="PO/1", lines=[LineOrder(bolt.item, D("30"))]
    )
    delivery_place_order(delivery=delivery, promised_date=TODAY + timedelta(days=35))
    second = forecast_refresh(supplier=supplier)
    assert second.number == 2
    week = week_start(TODAY + timedelta(days=35)).isoformat()
    (line,) = [x for x in second.lines if x["week_start"] == week]
    assert line["zone"] == "firm"
    assert ForecastRevision.objects.count() == 2


def test_forecast_json_csv_page_and_staff_api_agree(bolt, client):
    base = link_for(bolt.supplier)
    body = client.get(base + "forecast.json").json()
    assert set(body) == {"supplier", "revision", "generated_at", "lines"}
    assert body["supplier"] == "ACME" and body["revision"] == 1
    assert body["lines"][0] == {
        "sku": "BOLT",
        "supplier_sku": "AC-BOLT",
        "week_start": week_start(TODAY + timedelta(days=4)).isoformat(),
        "quantity": "70",
        "zone": "firm",
    }
    zones = [line["zone"] for line in body["lines"]]
    assert zones[:2] == ["firm", "tradeoff"] and zones[-1] == "forecast"

    rows = list(
        csv.reader(io.StringIO(client.get(base + "forecast.csv").content.decode()))
    )
    assert rows[0] == ["sku", "supplier_sku", "week_start", "quantity", "zone"]
    assert rows[1] == [body["lines"][0][k] for k in rows[0]]

    page = client.get(base + "forecast/")
    assert page.status_code == 200 and b"zone-tradeoff" in page.content
    assert b"first revision" in page.content

    client.force_login(UserFactory(is_staff=True))
    staff = client.get("/api/v1/suppliers/ACME/forecast/").json()
    assert staff == body
    client.force_login(UserFactory(is_staff=False))
    assert client.get("/api/v1/suppliers/ACME/forecast/").status_code == 403


def test_the_page_shows_what_changed_since_the_previous_revision(bolt, client):
    base = link_for(bolt.supplier)
    client.get(base + "forecast/")
    stock_issue(item=bolt.item, quantity=D("50"), occurred_at=NOW - timedelta(hours=1))
    page = client.get(base + "forecast/")
    assert b"Changes since revision 1" in page.content
    assert b"No changes" not in page.content
    # This week's order grows from 70 to 80 (on hand 50: order up to 130 now).
    assert b'<td class="num">70</td><td class="num">80</td>' in page.content
