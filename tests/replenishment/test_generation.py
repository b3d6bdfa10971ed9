"""Suggestion generation against the database: inputs from the ledger and the
delivery history, idempotent regeneration, snoozing and accepting."""

from datetime import datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from items.models import Item
from items.services import MovementInput, movements_bulk_post
from replenishment.generation import (
    planning_params,
    suggestions_generate,
    suggestions_generate_chunk,
)
from replenishment.models import PolicyParameters, Suggestion
from replenishment.services import (
    SuggestionError,
    suggestion_dismiss,
    suggestions_accept,
)
from suppliers.models import Delivery, DeliveryStatus, SupplierScore
from tests.factories import (
    DeliveryFactory,
    DeliveryLineFactory,
    ItemFactory,
    SupplierFactory,
    SupplierItemFactory,
)

pytestmark = pytest.mark.django_db

# A fixed "today" (the suite must pass on any date): the clock is frozen there
# for every test of this module, so code that asks the clock agrees.
FROZEN = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
TODAY = FROZEN.date()


@pytest.fixture(autouse=True)
def _frozen_today(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    with time_machine.travel(FROZEN, tick=True):
        yield


PARAMS = planning_params(PolicyParameters())  # the defaults, without a query


def at(days_ago: int, hour: int = 12) -> datetime:
    day = TODAY - timedelta(days=days_ago)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def consume(item: Item, *, per_day: D, days: int, opening: D) -> None:
    """An opening receipt, then ``per_day`` issued every day for ``days`` days."""
    moves = [MovementInput(item.pk, "receipt", opening, at(days + 1))]
    moves += [
        MovementInput(item.pk, "issue", -per_day, at(day)) for day in range(days, 0, -1)
    ]
    movements_bulk_post(movements=moves)
    item.refresh_from_db()


def received_delivery(source, *, ordered_days_ago: int, lead_days: int):
    line = DeliveryLineFactory(
        item=source.item,
        delivery__supplier=source.supplier,
        delivery__status=DeliveryStatus.RECEIVED,
        delivery__ordered_at=at(ordered_days_ago),
        delivery__received_at=at(ordered_days_ago - lead_days),
        delivery__promised_date=(at(ordered_days_ago) + timedelta(days=5)).date(),
        quantity_ordered=D("10"),
        quantity_received=D("10"),
    )
    return line.delivery


@pytest.fixture
def jit_item():
    """10/day over the whole 90-day window, 100 left, primary source quoted 5 d."""
    item = ItemFactory(sku="BOLT-8", abc_class="A", policy="jit", unit_cost=D("2"))
    source = SupplierItemFactory(
        item=item, supplier__code="ACME", quoted_lead_time_days=5,
        order_multiple=D("12"),
    )  # fmt: skip
    consume(item, per_day=D("10"), days=100, opening=D("1100"))
    assert item.on_hand == D("100")
    return item, source


def test_generate_uses_ledger_demand_and_quoted_lead_time(jit_item):
    item, source = jit_item
    result = suggestions_generate(today=TODAY)
    assert (result.items, result.created) == (1, 1)
    s = Suggestion.objects.get(item=item, status="open")
    # d = 10 (90 days × 10 / 90), σd = 0; L = 5 quoted; ST = 1; ROP 60, S 130
    # IP 100 → crossing in 4 days at IP 60 → Q = 70 → pack of 12 → 72
    assert s.avg_daily_demand == D("10")
    assert s.daily_demand_std == 0
    assert (s.lead_time_days, s.lead_time_samples) == (D("5"), 0)
    assert (s.reorder_point, s.order_up_to) == (D("60"), D("130"))
    assert s.quantity == D("72")
    assert s.order_by == TODAY + timedelta(days=4)
    assert s.source == source and s.supplier == source.supplier
    assert "70 rounded up to the pack of 12" in s.reason
    item.refresh_from_db()
    assert (item.avg_daily_demand, item.reorder_point) == (D("10"), D("60"))


def test_measured_lead_time_wins_with_three_deliveries(jit_item):
    item, source = jit_item
    for ago, lead in [(60, 3), (40, 3), (20, 3)]:
        received_delivery(source, ordered_days_ago=ago, lead_days=lead)
    suggestions_generate(today=TODAY)
    s = Suggestion.objects.get(item=item, status="open")
    # L = 3 measured (σL = 0): ROP = 10·(3+1) = 40; S = 110
    assert (s.lead_time_days, s.lead_time_samples) == (D("3"), 3)
    assert s.reorder_point == D("40")
    assert "measured over 3 deliveries" in s.reason


def test_open_and_draft_deliveries_count_as_on_order(jit_item):
    item, source = jit_item
    draft = DeliveryFactory(supplier=source.supplier, status=DeliveryStatus.DRAFT)
    DeliveryLineFactory(item=item, delivery=draft, quantity_ordered=D("60"))
    ordered = DeliveryFactory(supplier=source.supplier)
    DeliveryLineFactory(
        item=item, delivery=ordered, quantity_ordered=D("50"), quantity_received=D("20")
    )
    suggestions_generate(today=TODAY)
    # IP = 100 + 60 + 30 = 190; 190 − 70 = 120 > 60 → nothing due
    assert not Suggestion.objects.exists()


def test_regeneration_is_idempotent(jit_item):
    item, _ = jit_item
    suggestions_generate(today=TODAY)
    first = Suggestion.objects.get()
    result = suggestions_generate(today=TODAY)
    assert (result.created, result.kept, result.superseded) == (0, 1, 0)
    assert list(Suggestion.objects.values_list("pk", "status")) == [(first.pk, "open")]


def test_a_changed_situation_supersedes_the_open_suggestion(jit_item):
    item, _ = jit_item
    suggestions_generate(today=TODAY)
    movements_bulk_post(movements=[MovementInput(item.pk, "issue", D("-50"), at(0, 0))])
    suggestions_generate(today=TODAY)
    statuses = sorted(Suggestion.objects.values_list("status", flat=True))
    assert statuses == ["open", "superseded"]


def test_no_demand_gives_no_suggestion_and_planned_demand_is_the_fallback():
    idle = ItemFactory(annual_demand=D("0"))
    SupplierItemFactory(item=idle)
    planned = ItemFactory(annual_demand=D("3650"), abc_class="B", policy="jit")
    SupplierItemFactory(item=planned)
    suggestions_generate(today=TODAY)
    assert not Suggestion.objects.filter(item=idle).exists()
    s = Suggestion.objects.get(item=planned)
    assert s.avg_daily_demand == D("10")  # 3650 / 365, no consumption history


def test_demand_window_starts_at_an_items_first_consumption():
    def with_source(**kwargs):
        item = ItemFactory(**kwargs)
        SupplierItemFactory(item=item)
        return item

    # first issued 30 days ago at noon: ceil(29.5) = 30 days of history, 3/day
    new = with_source(annual_demand=D("0"))
    consume(new, per_day=D("3"), days=30, opening=D("200"))
    # first issued exactly at the window start: the whole window; one day of
    # demand in 90 is intermittent (issue 17), so Croston/SBA: size 180, interval
    # the window (one demand day), d = 0.95 · 180 / 90 = 1.9
    edge = with_source(annual_demand=D("0"))
    # issued before the window only: consumed, so no demand (not the planned 10)
    gone = with_source(annual_demand=D("3650"))
    # issued today only (the window ends at midnight): the planned 730 / 365 = 2
    fresh = with_source(annual_demand=D("730"))
    movements_bulk_post(
        movements=[
            MovementInput(edge.pk, "receipt", D("500"), at(95)),
            MovementInput(edge.pk, "issue", D("-180"), at(90, 0)),
            MovementInput(gone.pk, "receipt", D("10"), at(200)),
            MovementInput(gone.pk, "issue", D("-5"), at(120)),
            MovementInput(fresh.pk, "receipt", D("10"), at(1)),
            MovementInput(fresh.pk, "issue", D("-5"), at(0, 0)),
        ]
    )
    suggestions_generate(today=TODAY)
    demand = dict(Item.objects.values_list("pk", "avg_daily_demand"))
    assert demand == {new.pk: D("3"), edge.pk: D("1.9"), gone.pk: 0, fresh.pk: D("2")}


def test_single_source_risk_counts_every_active_source(jit_item):
    item, _ = jit_item  # an A item with one source
    suggestions_generate(today=TODAY)
    assert Suggestion.objects.get().single_source_risk
    Suggestion.objects.all().delete()
    SupplierItemFactory(item=item, priority=2)
    suggestions_generate(today=TODAY)
    assert not Suggestion.objects.get().single_source_risk


def test_dismiss_snoozes_the_item(jit_item):
    item, _ = jit_item
    suggestions_generate(today=TODAY)
    s = Suggestion.objects.get()
    suggestion_dismiss(suggestion=s, snooze_days=7)
    suggestions_generate(today=TODAY + timedelta(days=3))
    assert not Suggestion.objects.open().exists()
    suggestions_generate(today=TODAY + timedelta(days=7))
    assert Suggestion.objects.open().count() == 1
    with pytest.raises(SuggestionError, match="dismissed"):
        suggestion_dismiss(suggestion=s)


def test_accepting_groups_draft_deliveries_per_supplier(staff_user):
    s1, s2 = SupplierFactory(code="S1"), SupplierFactory(code="S2")
    sources = [SupplierItemFactory(supplier=supplier) for supplier in (s1, s1, s2)]
    for source in sources:
        source.item.abc_class = "B"
        source.item.policy = "jit"
        source.item.annual_demand = D("365")
        source.item.save()
    suggestions_generate(today=TODAY)
    assert Suggestion.objects.open().count() == 3
    deliveries = suggestions_accept(
        suggestions=Suggestion.objects.open(), user=staff_user
    )
    assert sorted(d.supplier.code for d in deliveries) == ["S1", "S2"]
    s1 = next(d for d in deliveries if d.supplier.code == "S1")
    assert s1.status == DeliveryStatus.DRAFT and s1.lines.count() == 2
    assert set(Suggestion.objects.values_list("status", flat=True)) == {"accepted"}
    # drafts are on order: regenerating does not suggest the same items again
    suggestions_generate(today=TODAY)
    assert not Suggestion.objects.open().exists()
    with pytest.raises(SuggestionError, match="no longer open"):
        suggestions_accept(suggestions=Suggestion.objects.all()[:1])
    assert Delivery.objects.count() == 2


def test_high_risk_primary_fails_over_to_secondary(jit_item):
    item, primary = jit_item
    secondary = SupplierItemFactory(item=item, priority=2, supplier__code="BETA")
    SupplierScore.objects.create(
        supplier=primary.supplier, risk_level="high", history_sufficient=True
    )
    suggestions_generate(today=TODAY)
    s = Suggestion.objects.get()
    assert s.source == secondary and s.switched_source
    assert "instead of the primary ACME" in s.reason


def test_failover_skips_alternatives_whose_supplier_is_high_risk_too(jit_item):
    item, primary = jit_item
    item.abc_class = "A"  # single-source risk counts every active source
    item.save(update_fields=["abc_class"])
    risky = SupplierItemFactory(item=item, priority=2, supplier__code="BETA")
    safe = SupplierItemFactory(item=item, priority=3, supplier__code="GAMMA")
    for supplier in (primary.supplier, risky.supplier):
        SupplierScore.objects.create(
            supplier=supplier, risk_level="high", history_sufficient=True
        )
    suggestions_generate(today=TODAY)
    s = Suggestion.objects.get()
    assert s.source == safe and s.switched_source
    assert not s.single_source_risk  # three sources, though two were not read
    # every supplier high risk: the primary stays
    SupplierScore.objects.create(
        supplier=safe.supplier, risk_level="high", history_sufficient=True
    )
    Suggestion.objects.all().delete()
    suggestions_generate(today=TODAY)
    s = Suggestion.objects.get()
    assert s.source == primary and not s.switched_source


def test_one_open_suggestion_per_item_is_a_database_constraint(jit_item):
    suggestions_generate(today=TODAY)
    s = Suggestion.objects.get()
    s.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        s.save()


def test_chunks_give_the_same_result_as_one_run(django_assert_max_num_queries):
    items = []
    for n in range(12):
        item = ItemFactory(abc_class="AB"[n % 2], policy="jit", annual_demand=D("0"))
        SupplierItemFactory(item=item, order_multiple=D(str(1 + n % 4)))
        consume(item, per_day=D(str(1 + n)), days=30, opening=D(str(40 * (1 + n))))
        items.append(item)
    ids = [i.pk for i in items]
    # 9 reads, and in one transaction: commit unwaited (db.commit_unwaited),
    # supersede, insert, store figures
    with django_assert_max_num_queries(15):
        suggestions_generate_chunk(
            first_id=ids[0], last_id=ids[-1], today=TODAY, params=PARAMS
        )
    whole = sorted(
        Suggestion.objects.open().values_list("item_id", "quantity", "order_by")
    )
    Suggestion.objects.all().delete()
    Item.objects.update(avg_daily_demand=0, daily_demand_std=0, reorder_point=0)
    for start in range(0, 12, 5):
        part = ids[start : start + 5]
        suggestions_generate_chunk(
            first_id=part[0], last_id=part[-1], today=TODAY, params=PARAMS
        )
    parts = sorted(
        Suggestion.objects.open().values_list("item_id", "quantity", "order_by")
    )
    assert whole == parts and len(whole) > 0


def test_query_count_per_chunk_is_constant():
    def make(n):
        ids = []
        for _ in range(n):
            item = ItemFactory(abc_class="A", policy="jit")
            SupplierItemFactory(item=item)
            SupplierItemFactory(item=item, priority=2)
            consume(item, per_day=D("2"), days=10, opening=D("25"))
            ids.append(item.pk)
        return ids

    counts = []
    for n in (3, 15):
        ids = make(n)
        with CaptureQueriesContext(connection) as ctx:
            suggestions_generate_chunk(
                first_id=ids[0], last_id=ids[-1], today=TODAY, params=PARAMS
            )
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_policy_parameters_have_the_design_defaults():
    p = PolicyParameters.current()
    assert [p.delivery_interval(c) for c in "ABC"] == [7, 14, 60]
    assert [p.min_safety_time(c) for c in "ABC"] == [1, 2, 3]
    # issue 17: fill targets per class replace the one z = 1.65
    assert [p.service_target(c) for c in "ABC"] == [D("0.98"), D("0.97"), D("0.95")]
    assert (p.demand_window_days, p.planning_horizon_days, p.snooze_days) == (90, 7, 7)
    assert p.jit_scope == "pilot"


def test_listed_demand_days_come_as_arrays_or_text_in_no_order():
    """PostgreSQL lists an item's demand days as two arrays, SQLite as text,
    both in no order: both give (offset, quantity), oldest first."""
    from replenishment.generation import _listed_events

    arrays = _listed_events([12, 3, 10], [1.5, 2.0, 5.0], shift=-2)
    text = _listed_events("12,3,10", "1.500,2.000,5.000", shift=-2)
    assert arrays == text == [(1, 2.0), (8, 5.0), (10, 1.5)]
    assert _listed_events(None, None, shift=0) == _listed_events("", "", shift=0) == []
