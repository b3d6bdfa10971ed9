"""inventory_site.db's readers: compiled queries rerun with new values, and
queries sent in a pipeline read back in order (on both databases; the compiled
and pipelined paths are PostgreSQL's, SQLite runs the same calls plainly)."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db.models import Q

from inventory_site import db
from items.models import Item, PlannedDemand
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


def _lines(first_id, last_id, since):
    return (
        PlannedDemand.objects.filter(
            Q(item_id__gte=first_id, item_id__lte=last_id), date__gte=since
        )
        .order_by("item_id", "date")
        .values_list("item_id", "date", "quantity")
    )


@pytest.fixture
def planned():
    items = [ItemFactory(sku=f"P-{k}") for k in range(4)]
    day = date(2026, 12, 1)
    for k, item in enumerate(items):
        for offset in (0, 5):
            PlannedDemand.objects.create(
                item=item, date=day + timedelta(days=offset), quantity=D(k + 1)
            )
    return items, day


def test_compiled_queries_rerun_with_each_calls_values(planned):
    items, day = planned
    a, b, c, d = (item.pk for item in items)
    first = db.send_query(
        "test.lines", _lines, first_id=a, last_id=b, since=day + timedelta(days=1)
    ).rows()
    assert first == [
        (a, day + timedelta(days=5), D("1")),
        (b, day + timedelta(days=5), D("2")),
    ]
    # the same key, other values: the other items' rows, not the first call's
    again = db.send_query("test.lines", _lines, first_id=c, last_id=d, since=day).rows()
    assert [(pk, q) for pk, _, q in again] == [
        (c, D(3)),
        (c, D(3)),
        (d, D(4)),
        (d, D(4)),
    ]
    assert again == list(_lines(c, d, day))
    if db.is_postgresql():
        assert db._COMPILED["test.lines"]  # compiled once, kept


def test_a_query_that_moves_a_value_is_never_kept(planned):
    items, day = planned
    a, b = items[0].pk, items[1].pk
    later = day + timedelta(days=5)

    def moved(first_id, last_id, since):  # arithmetic on the values: not reusable
        return _lines(first_id, last_id + 1, since + timedelta(days=1))

    rows = db.send_query("test.moved", moved, first_id=a, last_id=a, since=day).rows()
    assert rows == [(a, later, D("1")), (b, later, D("2"))]
    # kept with the first call's values, this would return both items again
    rows = db.send_query(
        "test.moved", moved, first_id=a, last_id=a - 1, since=day
    ).rows()
    assert rows == [(a, later, D("1"))]
    if db.is_postgresql():
        assert db._COMPILED["test.moved"] is False


def test_queries_sent_in_a_pipeline_read_back_in_order(planned):
    items, day = planned
    with db.pipeline():
        counted = db.send(
            f"SELECT COUNT(*) FROM {Item._meta.db_table} WHERE sku LIKE %s", ["P-%"]
        )
        lines = db.send_queryset(_lines(items[0].pk, items[0].pk, day))
        compiled = db.send_query(
            "test.lines", _lines, first_id=items[3].pk, last_id=items[3].pk, since=day
        )
        assert counted.rows() == [(4,)]
        assert [q for _, _, q in lines.rows()] == [D("1"), D("1")]
        assert [q for _, _, q in compiled.rows()] == [D("4"), D("4")]
    # and the connection works as before after the block
    assert Item.objects.filter(sku__startswith="P-").count() == 4


def test_insert_rows_keeps_awkward_text_dates_and_nulls():
    # Rows go to PostgreSQL as one array literal per column: quotes, backslashes,
    # braces, commas, the word NULL and real NULLs must all come back as written.
    from items.models import Item

    names = ["sku", "name", "unit", "shelf_life_days", "safety_time_days"]
    awkward = ['say "hi"', "back\\slash", "{braces}, commas", "NULL", "x" * 200]
    rows = [
        (f"AWK-{k}", text, "ea", k if k % 2 else None, None)
        for k, text in enumerate(awkward)
    ]
    db.insert_rows(Item, names, rows)
    stored = dict(
        Item.objects.filter(sku__startswith="AWK-").values_list("sku", "name")
    )
    assert stored == {f"AWK-{k}": text for k, text in enumerate(awkward)}
    assert list(
        Item.objects.filter(sku__startswith="AWK-")
        .order_by("sku")
        .values_list("shelf_life_days", flat=True)
    ) == [None, 1, None, 3, None]


def _synchronous_commit() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)  # real transactions, not one per test
def test_commit_unwaited_holds_for_its_transaction_only():
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    if not db.is_postgresql():
        with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
            db.commit_unwaited()
        assert not ctx.captured_queries  # nothing to relax on SQLite
        return
    before = _synchronous_commit()
    with transaction.atomic():
        db.commit_unwaited()
        assert _synchronous_commit() == "off"
    assert _synchronous_commit() == before == "on"
    # a sent transaction (pipelined, its own BEGIN): off inside, on after
    with db.pipeline(), db.sent_transaction(db.SentTransaction()):
        db.commit_unwaited()
        shown = db.send("SHOW synchronous_commit", [])
    assert shown.rows() == [("off",)]
    assert _synchronous_commit() == "on"
