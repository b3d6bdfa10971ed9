"""Acting on suggestions as a buyer works (DESIGN §5): one, a chosen set, or all of
a supplier's due ones into its one open draft; changed quantities; undo."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
import time_machine
from django.utils import timezone

from items.models import Item
from items.services import stock_issue
from replenishment.generation import suggestions_generate
from replenishment.models import Suggestion, SuggestionStatus
from replenishment.services import (
    SuggestionError,
    draft_line_remove,
    suggestion_accept,
    suggestions_accept,
    suggestions_accept_due,
)
from suppliers.models import Delivery, DeliveryLine, DeliveryStatus
from suppliers.services import (
    InvalidTransition,
    LineReceipt,
    delivery_cancel,
    delivery_place_order,
    delivery_receive,
)
from tests.factories import SupplierFactory, SupplierItemFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 2)
NOON = timezone.make_aware(timezone.datetime(2026, 3, 2, 12, 0))


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOON, tick=False):
        yield


def suggestion(source, quantity="10", order_by=TODAY, **extra) -> Suggestion:
    figures = {
        name: D("0")
        for name in (
            "avg_daily_demand", "daily_demand_std", "lead_time_days",
            "lead_time_std_days", "on_hand", "on_order", "inventory_position",
            "reorder_point", "order_up_to",
        )
    }  # fmt: skip
    return Suggestion.objects.create(
        item=source.item, source=source, supplier=source.supplier, policy="jit",
        quantity=D(quantity), order_by=order_by, expected_arrival=order_by,
        reason="10/day … → order 10 ea.", safety_time_days=1,
        delivery_interval_days=7, **figures, **extra,
    )  # fmt: skip


def test_accept_one_starts_the_draft_and_keeps_the_suggested_quantity(staff_user):
    src = SupplierItemFactory(unit_price=D("1.50"))
    s = suggestion(src, "12")
    delivery = suggestion_accept(suggestion=s, user=staff_user)
    s.refresh_from_db()
    assert s.status == SuggestionStatus.ACCEPTED
    assert (s.quantity, s.accepted_quantity) == (D("12"), D("12"))
    assert s.delivery == delivery and s.decided_by == staff_user
    assert s.reason == "10/day … → order 10 ea."
    line = delivery.lines.get()
    assert (line.quantity_ordered, line.unit_price) == (D("12"), D("1.50"))


def test_a_changed_quantity_keeps_both_figures_and_the_reason_says_so(staff_user):
    src = SupplierItemFactory()
    s = suggestion(src, "72")
    delivery = suggestion_accept(suggestion=s, quantity=D("50"), user=staff_user)
    s.refresh_from_db()
    assert (s.quantity, s.accepted_quantity) == (D("72"), D("50"))
    assert s.reason.endswith(
        "Accepted as 50 ea instead of the suggested 72 (changed by staff)."
    )
    assert delivery.lines.get().quantity_ordered == D("50")


@pytest.mark.parametrize("quantity", [D("0"), D("-3"), D("2.5")])
def test_a_bad_changed_quantity_refuses_everything(quantity):
    a, b = SupplierItemFactory(), SupplierItemFactory()
    sa, sb = suggestion(a), suggestion(b)
    with pytest.raises(SuggestionError) as excinfo:
        suggestions_accept(suggestions=[sa, sb], quantities={sb.pk: quantity})
    assert excinfo.value.code == "invalid_quantity"
    assert not Delivery.objects.exists()
    assert set(Suggestion.objects.values_list("status", flat=True)) == {"open"}


def test_a_chosen_set_goes_into_one_draft_per_supplier_and_later_accepts_join_it():
    acme = SupplierFactory(code="ACME")
    a1, a2, a3 = (SupplierItemFactory(supplier=acme) for _ in range(3))
    other = SupplierItemFactory()
    s1, s2, s3, s4 = suggestion(a1), suggestion(a2), suggestion(a3), suggestion(other)
    deliveries = suggestions_accept(suggestions=[s1, s4])
    assert len(deliveries) == 2
    acme_draft = next(d for d in deliveries if d.supplier_id == acme.pk)
    again = suggestions_accept(suggestions=[s2])  # a second accept, same day
    assert [d.pk for d in again] == [acme_draft.pk]
    suggestion_accept(suggestion=s3)
    assert Delivery.objects.filter(supplier=acme).count() == 1
    draft = Delivery.objects.get(supplier=acme)
    assert draft.lines.count() == 3
    assert Suggestion.objects.filter(delivery=draft).count() == 3


def test_accept_all_due_takes_every_due_one_across_pages_but_not_later_ones():
    acme = SupplierFactory(code="ACME")
    due = [
        suggestion(SupplierItemFactory(supplier=acme), order_by=TODAY - timedelta(1))
        for _ in range(130)  # more than a page of 100
    ]
    today = suggestion(SupplierItemFactory(supplier=acme), order_by=TODAY)
    later = suggestion(
        SupplierItemFactory(supplier=acme), order_by=TODAY + timedelta(days=1)
    )
    other = suggestion(SupplierItemFactory(), order_by=TODAY)
    draft, count = suggestions_accept_due(supplier=acme)
    assert count == 131
    assert draft.lines.count() == 131
    accepted = set(
        Suggestion.objects.filter(status="accepted").values_list("pk", flat=True)
    )
    assert accepted == {s.pk for s in due} | {today.pk}
    assert later.pk not in accepted and other.pk not in accepted


def test_accept_all_due_with_nothing_due_says_so():
    acme = SupplierFactory(code="ACME")
    suggestion(SupplierItemFactory(supplier=acme), order_by=TODAY + timedelta(3))
    with pytest.raises(SuggestionError, match="ACME has no open suggestions due"):
        suggestions_accept_due(supplier=acme)


@pytest.mark.parametrize("status", ["accepted", "dismissed", "superseded"])
def test_only_open_suggestions_can_be_accepted(status):
    s = suggestion(SupplierItemFactory(), status=status)
    with pytest.raises(SuggestionError) as excinfo:
        suggestion_accept(suggestion=s)
    assert excinfo.value.code == "not_open"
    assert not Delivery.objects.exists()


def test_removing_a_draft_line_reopens_its_suggestion_as_it_was(staff_user):
    src = SupplierItemFactory()
    s = suggestion(src, "72")
    delivery = suggestion_accept(suggestion=s, quantity=D("50"), user=staff_user)
    reopened = draft_line_remove(line=delivery.lines.get())
    s.refresh_from_db()
    assert reopened == s
    assert s.status == SuggestionStatus.OPEN
    assert s.accepted_quantity is None and s.delivery is None
    assert s.decided_at is None and s.decided_by is None
    assert s.reason == "10/day … → order 10 ea."
    assert not DeliveryLine.objects.exists()
    # and it can be accepted again, into the same (still open) draft
    assert suggestion_accept(suggestion=s).pk == delivery.pk


def test_removing_a_line_of_a_placed_order_is_refused():
    src = SupplierItemFactory()
    delivery = suggestion_accept(suggestion=suggestion(src))
    delivery_place_order(delivery=delivery, send=False)
    with pytest.raises(InvalidTransition):
        draft_line_remove(line=delivery.lines.get())
    assert Suggestion.objects.get().status == "accepted"
    assert DeliveryLine.objects.count() == 1


# --- no step silently drops an item from replenishment ---


@pytest.fixture
def planned():
    """A JIT item that planning orders from ACME."""
    src = SupplierItemFactory(
        supplier__code="ACME",
        item__abc_class="B",
        item__policy="jit",
        item__annual_demand=D("365"),
    )
    suggestions_generate(today=TODAY)
    return src, Suggestion.objects.get()


def test_an_accepted_draft_counts_as_on_order_and_cancelling_it_suggests_again(
    planned,
):
    src, s = planned
    delivery = suggestion_accept(suggestion=s)
    suggestions_generate(today=TODAY)
    assert not Suggestion.objects.open().exists()
    delivery_cancel(delivery=delivery, reason="wrong supplier")
    suggestions_generate(today=TODAY)
    assert Suggestion.objects.open().filter(item=src.item).count() == 1


def test_a_cancelled_order_is_suggested_again(planned):
    src, s = planned
    delivery = delivery_place_order(
        delivery=suggestion_accept(suggestion=s), send=False
    )
    delivery_cancel(delivery=delivery, reason="supplier cannot deliver")
    suggestions_generate(today=TODAY)
    assert Suggestion.objects.open().filter(item=src.item).exists()


def test_rejected_parts_stay_on_order_for_planning(planned):
    src, s = planned
    delivery = delivery_place_order(
        delivery=suggestion_accept(suggestion=s), send=False
    )
    line = delivery.lines.get()
    delivery_receive(
        delivery=delivery,
        receipts=[LineReceipt(line.pk, line.quantity_ordered, D("2"), "cracked")],
    )
    assert Delivery.objects.get(pk=delivery.pk).status == (
        DeliveryStatus.PARTIALLY_RECEIVED
    )
    # Use up what was accepted, so the item needs ordering again: the new
    # suggestion counts the 2 rejected parts as still on order.
    item = Item.objects.get(pk=src.item_id)
    stock_issue(item=item, quantity=item.on_hand)
    suggestions_generate(today=TODAY)
    new = Suggestion.objects.open().get(item=src.item)
    assert (new.on_hand, new.on_order) == (D("0"), D("2"))
