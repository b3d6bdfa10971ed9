"""Chunks planned in a row (``generation.suggestions_generate_ranges``): while a
chunk is planned, the writes of the chunk before and the reads of the one after
are on the server (PostgreSQL's pipeline). The result is the same as chunk by
chunk, and a chunk whose writes fail is rolled back alone."""

from datetime import datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import DatabaseError, connection
from django.utils import timezone

from items.models import Item
from items.services import MovementInput, movements_bulk_post
from replenishment import generation
from replenishment.generation import (
    item_id_ranges,
    planning_params,
    suggestions_generate,
    suggestions_generate_chunk,
    suggestions_generate_ranges,
)
from replenishment.models import PolicyParameters, Suggestion
from tests.factories import ItemFactory, SupplierItemFactory

FROZEN = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
TODAY = FROZEN.date()
PARAMS = planning_params(PolicyParameters())


@pytest.fixture(autouse=True)
def _frozen_today(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    with time_machine.travel(FROZEN, tick=True):
        yield


def consuming_items(count: int) -> list[int]:
    """Items that each need an order today: 30 days of steady issues, a little
    stock left."""
    ids = []
    for n in range(count):
        item = ItemFactory(abc_class="AB"[n % 2], policy="jit", annual_demand=D(0))
        SupplierItemFactory(item=item, order_multiple=D(1 + n % 3))
        per_day = D(1 + n % 4)
        start = timezone.now() - timedelta(days=31)
        moves = [MovementInput(item.pk, "receipt", per_day * 32, start)]
        moves += [
            MovementInput(item.pk, "issue", -per_day, start + timedelta(days=d))
            for d in range(1, 31)
        ]
        movements_bulk_post(movements=moves)
        ids.append(item.pk)
    return ids


def open_suggestions() -> list[tuple]:
    return sorted(
        Suggestion.objects.open().values_list(
            "item_id", "source_id", "quantity", "order_by", "reason"
        )
    )


def reset() -> None:
    Suggestion.objects.all().delete()
    Item.objects.update(avg_daily_demand=0, daily_demand_std=0, reorder_point=0)


@pytest.mark.django_db
def test_chunks_in_a_row_plan_what_chunks_one_by_one_plan():
    ids = consuming_items(7)
    for first, last in item_id_ranges(1000):
        suggestions_generate_chunk(
            first_id=first, last_id=last, today=TODAY, params=PARAMS
        )
    alone = open_suggestions()
    figures = sorted(
        Item.objects.values_list("pk", "avg_daily_demand", "reorder_point")
    )
    assert len(alone) == 7
    reset()
    result = suggestions_generate(today=TODAY, chunk_size=2)  # 4 chunks in a row
    assert (result.items, result.created, result.kept) == (7, 7, 0)
    assert open_suggestions() == alone
    assert (
        sorted(Item.objects.values_list("pk", "avg_daily_demand", "reorder_point"))
        == figures
    )
    again = suggestions_generate(today=TODAY, chunk_size=2)
    assert (again.created, again.kept, again.superseded) == (0, 7, 0)
    assert {pk for pk, *_ in open_suggestions()} == set(ids)


@pytest.mark.django_db
def test_each_chunk_is_planned_while_its_neighbours_reads_and_writes_are_sent(
    monkeypatch,
):
    """The order of the work: chunk k+1's reads and chunk k−1's writes are sent
    before chunk k is planned; the last chunk is written at the end."""
    consuming_items(5)
    ranges = item_id_ranges(2)  # 3 chunks
    events = []

    def spy(name, fn, key):
        def wrapped(*args, **kwargs):
            events.append((name, key(*args, **kwargs)))
            return fn(*args, **kwargs)

        monkeypatch.setattr(generation, name, wrapped)

    chunk_of = {bounds: k for k, bounds in enumerate(ranges)}
    spy(
        "_generation_reads",
        generation._generation_reads,
        lambda a, b, *_: chunk_of[(a, b)],
    )
    spy("_chunk_changes", generation._chunk_changes, lambda r, **_: chunk_of[r.bounds])
    spy("_chunk_send", generation._chunk_send, lambda c, _: chunk_of[c.bounds])
    spy(
        "_chunk_write_statements",
        generation._chunk_write_statements,
        lambda c: chunk_of[c.bounds],
    )
    suggestions_generate_ranges(ranges, today=TODAY, params=PARAMS)
    assert events == [
        ("_generation_reads", 0),
        ("_generation_reads", 1),
        ("_chunk_changes", 0),
        ("_chunk_send", 0),  # sent, not waited for
        ("_chunk_write_statements", 0),
        ("_generation_reads", 2),
        ("_chunk_changes", 1),
        ("_chunk_send", 1),
        ("_chunk_write_statements", 1),
        ("_chunk_changes", 2),
        ("_chunk_write_statements", 2),  # the last one, at the end
    ]


def _fail_writes_of(monkeypatch, item_id: int) -> None:
    """The new suggestion of ``item_id`` gets a negative quantity, which the
    database refuses (CHECK quantity > 0) when the chunk's writes run."""
    row = generation._suggestion_row
    at = generation.SUGGESTION_COLUMNS.index("quantity")

    def broken(plan, *, now):
        values = list(row(plan, now=now))
        if plan.item_id == item_id:
            values[at] = D("-1")
        return tuple(values)

    monkeypatch.setattr(generation, "_suggestion_row", broken)


def _a_failed_chunk_is_rolled_back_alone(monkeypatch):
    ids = consuming_items(7)
    ranges = item_id_ranges(2)  # [0,1] [2,3] [4,5] [6]
    _fail_writes_of(monkeypatch, ids[2])
    with pytest.raises(DatabaseError):
        suggestions_generate_ranges(ranges, today=TODAY, params=PARAMS)
    planned = {pk for pk, *_ in open_suggestions()}
    # the chunk of ids[2] wrote nothing (not even ids[3]'s suggestion or the
    # figures); every other chunk, before and after it, was written
    assert planned == set(ids) - {ids[2], ids[3]}
    stored = dict(Item.objects.values_list("pk", "reorder_point"))
    assert stored[ids[2]] == stored[ids[3]] == 0
    assert all(stored[pk] > 0 for pk in planned)
    monkeypatch.undo()
    suggestions_generate_ranges(ranges, today=TODAY, params=PARAMS)
    assert {pk for pk, *_ in open_suggestions()} == set(ids)
    no_statement_left_open()


def no_statement_left_open() -> None:
    """Reads sent for a chunk that failed are dropped: on SQLite an unread
    cursor keeps its statement open, and a table cannot be dropped meanwhile."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE probe_after_failure (x integer)")
        cursor.execute("DROP TABLE probe_after_failure")


@pytest.mark.django_db
def test_a_chunk_whose_writes_fail_is_rolled_back_alone_inside_a_transaction(
    monkeypatch,
):
    """Inside an atomic block (as every test here): the chunk's writes are a
    savepoint."""
    _a_failed_chunk_is_rolled_back_alone(monkeypatch)


@pytest.mark.django_db(transaction=True)
def test_a_chunk_whose_writes_fail_is_rolled_back_alone_in_autocommit(monkeypatch):
    """As a Celery worker runs it: each chunk's writes their own transaction."""
    _a_failed_chunk_is_rolled_back_alone(monkeypatch)


@pytest.mark.django_db
def test_a_chunk_whose_planning_fails_leaves_the_others_planned(monkeypatch):
    ids = consuming_items(5)
    ranges = item_id_ranges(2)
    plan_item = generation.plan_item

    def failing(figures, **kwargs):
        if figures.item_id == ids[2]:
            raise ZeroDivisionError("a bug in one item's arithmetic")
        return plan_item(figures, **kwargs)

    monkeypatch.setattr(generation, "plan_item", failing)
    with pytest.raises(ZeroDivisionError) as failed:
        suggestions_generate_ranges(ranges, today=TODAY, params=PARAMS)
    assert {pk for pk, *_ in open_suggestions()} == set(ids) - {ids[2], ids[3]}
    del failed  # the traceback holds the failed chunk's frames
    no_statement_left_open()


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_write_error_that_surfaces_while_the_writes_are_sent_is_rolled_back(
    monkeypatch,
):
    """In a pipeline a failed write surfaces when psycopg next reads results:
    on a slow machine that can be while the chunk's writes are still being sent,
    before ``_chunk_send`` returns. The savepoint is still rolled back alone
    (it once marked the whole test transaction broken instead, and every later
    chunk failed with TransactionManagementError)."""
    write = generation._chunk_write_statements

    def surfacing(changes):
        write(changes)
        with connection.connection.pipeline() as sent:  # nested: reads results
            sent.sync()

    monkeypatch.setattr(generation, "_chunk_write_statements", surfacing)
    _a_failed_chunk_is_rolled_back_alone(monkeypatch)
