"""The supplier's answers on delivery lines (DESIGN §9): the one rule of when a
line is expected, what planning counts as still coming, what receiving starts
from, and the time to confirm in the supplier's score."""

from datetime import datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine

from suppliers.models import DeliveryLine, DeliveryStatus, LineResponse
from suppliers.selectors import (
    item_on_order,
    lines_changed_by_supplier,
    supplier_confirm_times,
    supplier_scores_compute,
)
from suppliers.services import (
    InvalidTransition,
    LineReceipt,
    SupplierLineAnswer,
    delivery_lines_answer,
    delivery_receive,
    delivery_shipment_record,
    line_receipt_prefill,
    supplier_scores_refresh,
)
from tests.factories import DeliveryFactory, DeliveryLineFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 11, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))
TODAY = NOW.date()
PROMISED = TODAY + timedelta(days=6)


@pytest.fixture(autouse=True)
def _frozen(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def line():
    delivery = DeliveryFactory(
        reference="PO-1", promised_date=PROMISED, ordered_at=NOW - timedelta(hours=30)
    )
    return DeliveryLineFactory(delivery=delivery, quantity_ordered=D("10"))


def expected(line) -> tuple:
    row = DeliveryLine.objects.with_expected().get(pk=line.pk)
    return row.expected_arrival, row.expected_quantity, row.expected_open


def answer(line, response, quantity=None, day=None, at=None):
    return delivery_lines_answer(
        delivery=line.delivery,
        answers=[SupplierLineAnswer(line.pk, response, quantity, day)],
        at=at,
    )


def test_without_answers_a_line_is_expected_as_ordered_on_the_promised_date(line):
    assert expected(line) == (PROMISED, D("10"), D("10"))


def test_a_confirmation_keeps_the_promise_and_a_change_moves_it(line):
    assert answer(line, LineResponse.CONFIRM) == {line.pk: (D("10"), PROMISED)}
    assert expected(line) == (PROMISED, D("10"), D("10"))
    later = TODAY + timedelta(days=9)
    assert answer(line, LineResponse.CHANGE, day=later) == {line.pk: (D("10"), later)}
    assert expected(line) == (later, D("10"), D("10"))
    # A quantity change keeps the changed date.
    assert answer(line, LineResponse.CHANGE, quantity=D("7")) == {
        line.pk: (D("7"), later)
    }
    assert expected(line) == (later, D("7"), D("7"))
    # A confirmation goes back to the ordered quantity on the current date.
    answer(line, LineResponse.CONFIRM)
    assert expected(line) == (later, D("10"), D("10"))


def test_a_rejected_line_has_no_date_and_nothing_still_coming(line):
    answer(line, LineResponse.REJECT)
    line.refresh_from_db()
    assert (line.response, line.confirmed_quantity) == ("reject", D("0"))
    assert expected(line) == (None, D("0"), D("0"))
    # Changed afterwards: the ordered quantity on the promised date again.
    answer(line, LineResponse.CHANGE, quantity=D("4"))
    assert expected(line) == (PROMISED, D("4"), D("4"))


def test_a_ship_notice_arrival_wins_until_its_goods_are_received(line):
    answer(line, LineResponse.CHANGE, day=TODAY + timedelta(days=9))
    arrival = TODAY + timedelta(days=3)
    delivery_shipment_record(
        delivery=line.delivery, arrival=arrival, shipped={line.pk: D("6")}
    )
    assert expected(line)[0] == arrival
    line.refresh_from_db()
    assert (line.quantity_shipped, line.ship_arrival) == (D("6"), arrival)
    delivery_receive(
        delivery=line.delivery,
        receipts=[LineReceipt(line_id=line.pk, quantity_received=D("6"))],
    )
    # The announced goods are in: the rest comes on the confirmed date.
    assert expected(line) == (TODAY + timedelta(days=9), D("10"), D("4"))


def test_rejected_parts_are_still_expected_by_the_rule(line):
    delivery_receive(
        delivery=line.delivery,
        receipts=[
            LineReceipt(
                line_id=line.pk,
                quantity_received=D("10"),
                quantity_rejected=D("2"),
                rejection_reason="dented",
            )
        ],
    )
    assert expected(line) == (PROMISED, D("10"), D("2"))


def test_receiving_starts_from_the_ship_notices(line):
    line.refresh_from_db()
    assert line_receipt_prefill(line) == D("10")  # no notice: what is open
    arrival = TODAY + timedelta(days=2)
    delivery_shipment_record(
        delivery=line.delivery, arrival=arrival, shipped={line.pk: D("6")}
    )
    line.refresh_from_db()
    assert line_receipt_prefill(line) == D("6")
    delivery_receive(
        delivery=line.delivery,
        receipts=[LineReceipt(line_id=line.pk, quantity_received=D("6"))],
    )
    line.refresh_from_db()
    assert line_receipt_prefill(line) == D("0")  # nothing announced on the way
    delivery_shipment_record(
        delivery=line.delivery, arrival=arrival, shipped={line.pk: D("4")}
    )
    line.refresh_from_db()
    assert (line.quantity_shipped, line_receipt_prefill(line)) == (D("10"), D("4"))


def test_the_first_answer_is_the_time_to_confirm_and_later_ones_keep_it(line):
    first = NOW - timedelta(hours=6)
    answer(line, LineResponse.CONFIRM, at=first)
    answer(line, LineResponse.CHANGE, quantity=D("5"), at=NOW)
    line.delivery.refresh_from_db()
    assert line.delivery.first_response_at == first


def test_a_ship_notice_is_an_answer_too(line):
    delivery_shipment_record(
        delivery=line.delivery, arrival=TODAY, shipped={line.pk: D("1")}, at=NOW
    )
    line.delivery.refresh_from_db()
    assert line.delivery.first_response_at == NOW


@pytest.mark.parametrize("status", [DeliveryStatus.RECEIVED, DeliveryStatus.DRAFT])
def test_only_open_orders_take_answers(line, status):
    line.delivery.status = status
    line.delivery.save()
    with pytest.raises(InvalidTransition):
        answer(line, LineResponse.CONFIRM)
    with pytest.raises(InvalidTransition):
        delivery_shipment_record(
            delivery=line.delivery, arrival=TODAY, shipped={line.pk: D("1")}
        )
    line.refresh_from_db()
    assert line.response == "" and line.quantity_shipped == 0


def test_the_item_page_reads_the_expected_arrival(line):
    other = DeliveryLineFactory(
        item=line.item,
        delivery=DeliveryFactory(promised_date=TODAY + timedelta(days=2)),
    )
    assert [x.pk for x in item_on_order(line.item)] == [other.pk, line.pk]
    # The supplier moves the other order after ours, then rejects ours.
    answer(other, LineResponse.CHANGE, day=TODAY + timedelta(days=20))
    assert [x.pk for x in item_on_order(line.item)] == [line.pk, other.pk]
    answer(line, LineResponse.REJECT)
    on_order = {x.pk: x for x in item_on_order(line.item)}
    assert not on_order[line.pk].arrival_known and on_order[other.pk].arrival_known


def test_a_late_line_the_supplier_moved_has_a_known_arrival_again(line):
    delivery = line.delivery
    delivery.promised_date = TODAY - timedelta(days=1)
    delivery.save()
    (row,) = item_on_order(line.item)
    assert row.is_late and not row.arrival_known
    answer(line, LineResponse.CHANGE, day=TODAY + timedelta(days=2))
    (row,) = item_on_order(line.item)
    assert row.is_late  # still late against the promise (score, lists)
    assert row.arrival_known and row.expected_arrival == TODAY + timedelta(days=2)


def test_changed_and_rejected_open_lines_are_listed_for_the_buyer(line):
    confirmed = DeliveryLineFactory(delivery=line.delivery)
    closed = DeliveryLineFactory(delivery=DeliveryFactory())
    assert lines_changed_by_supplier() == (0, [])
    answer(line, LineResponse.CHANGE, quantity=D("5"))
    answer(confirmed, LineResponse.CONFIRM)
    answer(closed, LineResponse.REJECT)
    closed.delivery.status = DeliveryStatus.CANCELLED
    closed.delivery.save()
    count, lines = lines_changed_by_supplier()
    assert count == 1 and [x.pk for x in lines] == [line.pk]
    assert lines[0].expected_quantity == D("5")


def test_many_changed_lines_are_counted_beyond_the_first_ones(line):
    for _ in range(3):
        other = DeliveryLineFactory(delivery=line.delivery)
        answer(other, LineResponse.REJECT)
    count, lines = lines_changed_by_supplier(limit=2)
    assert count == 3 and len(lines) == 2


def test_the_database_refuses_negative_answers(line):
    from django.db import IntegrityError, transaction

    for field in ("confirmed_quantity", "quantity_shipped"):
        with pytest.raises(IntegrityError), transaction.atomic():
            DeliveryLine.objects.filter(pk=line.pk).update(**{field: D("-1")})


# --- time to confirm ---


def placed(supplier=None, *, hours_ago: float, answered_after: float | None):
    ordered_at = NOW - timedelta(hours=hours_ago)
    kwargs = {"supplier": supplier} if supplier else {}
    delivery = DeliveryFactory(ordered_at=ordered_at, **kwargs)
    if answered_after is not None:
        delivery.first_response_at = ordered_at + timedelta(hours=answered_after)
        delivery.save()
    return delivery


def test_time_to_confirm_is_the_median_hours_to_the_first_answer():
    first = placed(hours_ago=100, answered_after=2)
    supplier = first.supplier
    placed(supplier, hours_ago=90, answered_after=30)
    placed(supplier, hours_ago=80, answered_after=5)
    placed(supplier, hours_ago=70, answered_after=None)  # not answered yet
    cancelled = placed(supplier, hours_ago=60, answered_after=None)
    cancelled.status = DeliveryStatus.CANCELLED
    cancelled.save()
    placed(supplier, hours_ago=400 * 24, answered_after=1000)  # older than a year
    placed(hours_ago=10, answered_after=1)  # another supplier
    since = NOW - timedelta(days=365)
    times = supplier_confirm_times(since=since)[supplier.pk]
    assert (times.hours_median, times.answered, times.unanswered) == (D("5.0"), 3, 1)
    score = supplier_scores_compute(today=TODAY)[supplier.pk]
    assert score.confirm_hours_median == D("5.0")
    assert (score.orders_answered, score.orders_unanswered) == (3, 1)
    # An even count takes the middle two; the risk score is not changed by it.
    placed(supplier, hours_ago=50, answered_after=7)
    score_after = supplier_scores_compute(today=TODAY)[supplier.pk]
    assert score_after.confirm_hours_median == D("6.0")
    assert score_after.risk_score == score.risk_score


def test_the_stored_score_and_the_api_show_the_time_to_confirm(staff_client):
    delivery = placed(hours_ago=50, answered_after=3.25)
    supplier_scores_refresh(today=TODAY)
    supplier = delivery.supplier
    supplier.score.refresh_from_db()
    assert supplier.score.confirm_hours_median == D("3.2")  # 3.25 → 3.2 (half even)
    body = staff_client.get(f"/api/v1/suppliers/{supplier.code}/").json()
    assert body["score"]["confirm_hours_median"] == "3.2"
    assert body["score"]["orders_answered"] == 1
    page = staff_client.get(f"/suppliers/{supplier.code}/").content.decode()
    assert "Time to confirm" in page and "3.2 h" in page
    assert "median of 1 answered order" in page


def test_a_supplier_that_never_answers_has_no_time_to_confirm():
    delivery = placed(hours_ago=5, answered_after=None)
    score = supplier_scores_compute(today=TODAY)[delivery.supplier_id]
    assert score.confirm_hours_median is None
    assert (score.orders_answered, score.orders_unanswered) == (0, 1)


def test_an_answer_before_the_recorded_order_time_counts_as_zero():
    delivery = placed(hours_ago=5, answered_after=-1)
    times = supplier_confirm_times(since=NOW - timedelta(days=1))
    assert times[delivery.supplier_id].hours_median == D("0.0")
