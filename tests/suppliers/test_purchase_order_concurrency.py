"""Two buyers at once, each thread with its own connection (SQLite and, in CI's
second pass, PostgreSQL row locks)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D

import pytest
from django.db import connection

from suppliers.models import Delivery, DeliveryLine, DeliveryStatus
from suppliers.services import (
    InvalidTransition,
    LineOrder,
    delivery_draft_add,
    delivery_place_order,
)
from tests.factories import SupplierFactory, SupplierItemFactory

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 6


def _together(fn):
    barrier = threading.Barrier(THREADS)

    def run(n):
        try:
            barrier.wait(timeout=10)
            return fn(n)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def test_a_concurrent_double_place_places_once():
    src = SupplierItemFactory()
    draft = delivery_draft_add(
        supplier=src.supplier, lines=[LineOrder(src.item, D("5"))]
    )

    def place(_):
        try:
            delivery_place_order(delivery=Delivery(pk=draft.pk), send=False)
            return "placed"
        except InvalidTransition:
            return "refused"

    results = _together(place)
    assert sorted(results) == ["placed"] + ["refused"] * (THREADS - 1)
    draft.refresh_from_db()
    assert draft.status == DeliveryStatus.ORDERED
    assert draft.note.count("Ordered ") == 1


def test_concurrent_accepts_for_one_supplier_share_one_draft():
    supplier = SupplierFactory()
    sources = [SupplierItemFactory(supplier=supplier) for _ in range(THREADS)]

    def add(n):
        return delivery_draft_add(
            supplier=supplier, lines=[LineOrder(sources[n].item, D("1"))]
        ).pk

    assert len(set(_together(add))) == 1
    assert Delivery.objects.filter(supplier=supplier).count() == 1
    assert DeliveryLine.objects.count() == THREADS
