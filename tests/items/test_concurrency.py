"""Concurrent stock changes from many threads, each with its own connection.

Runs on SQLite (IMMEDIATE transactions, WAL) and on PostgreSQL in CI's second pass.
"""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from items.models import Item, StockMovement
from items.services import InsufficientStock, stock_issue, stock_receive

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8
ISSUES_PER_THREAD = 50


def _issue_many(item_id: int, count: int) -> tuple[int, int]:
    ok = refused = 0
    try:
        for _ in range(count):
            item = Item.objects.get(pk=item_id)  # possibly stale: must not matter
            try:
                stock_issue(item=item, quantity=Decimal("1"))
                ok += 1
            except InsufficientStock:
                refused += 1
    finally:
        connection.close()
    return ok, refused


def _run_threads(item_id: int) -> tuple[int, int]:
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(
            pool.map(lambda _: _issue_many(item_id, ISSUES_PER_THREAD), range(THREADS))
        )
    return sum(r[0] for r in results), sum(r[1] for r in results)


def test_eight_threads_of_fifty_issues_end_exactly_right():
    item = Item.objects.create(sku="RACE-1", name="Race item")
    stock_receive(item=item, quantity=Decimal("1000"))
    ok, refused = _run_threads(item.pk)
    item.refresh_from_db()
    assert (ok, refused) == (THREADS * ISSUES_PER_THREAD, 0)
    assert item.on_hand == Decimal("600")
    assert StockMovement.objects.filter(item=item, kind="issue").count() == 400


def test_concurrent_issues_beyond_stock_accept_only_what_fits():
    item = Item.objects.create(sku="RACE-2", name="Scarce item")
    stock_receive(item=item, quantity=Decimal("250"))
    ok, refused = _run_threads(item.pk)
    item.refresh_from_db()
    assert ok == 250
    assert refused == THREADS * ISSUES_PER_THREAD - 250
    assert item.on_hand == Decimal("0")
    assert StockMovement.objects.filter(item=item, kind="issue").count() == 250
