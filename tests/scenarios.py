"""Shared scenarios of the page and API tests (moved from tests/test_pages.py and
tests/test_api.py when those were split per app). The fixtures ``world`` (pages),
``data`` and ``users`` (API) are registered for every test by ``tests/conftest.py``;
``API``, ``client_for`` and ``make_items`` are imported where used."""

from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from items.models import Item
from items.services import stock_receive
from replenishment.generation import suggestions_generate
from suppliers.models import SupplierScore
from tests.factories import DeliveryLineFactory, SupplierItemFactory, UserFactory

API = "/api/v1/"


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def make_items(n: int, supplier=None) -> list[Item]:
    start = Item.objects.count()
    items = Item.objects.bulk_create(
        Item(
            sku=f"BULK-{start + i:05d}",
            name=f"Bulk item {i}",
            unit_cost=D("3"),
            annual_demand=D("365"),
            abc_class="ABC"[i % 3],
            policy="jit",
            on_hand=D(i % 7),
            avg_daily_demand=D("1"),
            reorder_point=D("3"),
            abc_cumulative_share=D(min(100, i + 1)),
        )
        for i in range(n)
    )
    return items


@pytest.fixture
def world():
    source = SupplierItemFactory(
        item__sku="BOLT-8", item__annual_demand=D("3650"), item__abc_class="A",
        item__policy="jit", supplier__code="ACME",
    )  # fmt: skip
    stock_receive(item=source.item, quantity=D("20"))
    line = DeliveryLineFactory(
        item=source.item, delivery__supplier=source.supplier,
        delivery__reference="PO-100", quantity_ordered=D("10"),
    )  # fmt: skip
    SupplierScore.objects.create(
        supplier=source.supplier,
        risk_score=D("30"),
        risk_level="medium",
        history_sufficient=True,
    )
    suggestions_generate()
    return source, line


@pytest.fixture
def data():
    source = SupplierItemFactory(
        item__sku="BOLT-8", item__annual_demand=D("3650"), item__abc_class="A",
        item__policy="jit", supplier__code="ACME",
    )  # fmt: skip
    stock_receive(item=source.item, quantity=D("20"))
    line = DeliveryLineFactory(
        item=source.item, delivery__supplier=source.supplier,
        delivery__reference="PO-1", quantity_ordered=D("10"),
    )  # fmt: skip
    suggestions_generate()
    return source, line


@pytest.fixture
def users():
    return {
        "anonymous": None,
        "viewer": UserFactory(username="viewer", is_staff=False),
        "staff": UserFactory(username="staff", is_staff=True),
        "superuser": UserFactory(username="root", is_staff=True, is_superuser=True),
    }
