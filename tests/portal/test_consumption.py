"""The consumption page: daily issues of the supplier's items, 28 site dates."""

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest

from items.services import stock_issue, stock_receive
from tests.factories import SupplierItemFactory
from tests.portal.conftest import BERLIN, link_for

pytestmark = pytest.mark.django_db


def at(day: str, hour: int) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=BERLIN)


def test_consumption_counts_site_dates_and_only_this_suppliers_items(client, frozen):
    source = SupplierItemFactory(supplier_sku="ACME-1", item__sku="BOLT")
    other = SupplierItemFactory(item__sku="NUT")  # another supplier's item
    for item in (source.item, other.item):
        stock_receive(item=item, quantity=D("1000"), occurred_at=at("2026-01-01", 9))
    stock_issue(item=source.item, quantity=D("4"), occurred_at=at("2026-03-11", 8))
    # 00:30 Berlin on 10 March is still 9 March in UTC: counted on the 10th.
    stock_issue(
        item=source.item,
        quantity=D("2"),
        occurred_at=at("2026-03-10", 0) + timedelta(minutes=30),
    )
    stock_issue(item=source.item, quantity=D("3"), occurred_at=at("2026-02-12", 10))
    stock_issue(
        item=source.item, quantity=D("9"), occurred_at=at("2026-02-11", 23)
    )  # 29 days ago
    stock_issue(item=other.item, quantity=D("7"), occurred_at=at("2026-03-11", 8))
    base = link_for(source.supplier)

    body = client.get(base + "consumption.json").json()
    assert body["supplier"] == source.supplier.code
    assert (body["from"], body["to"]) == ("2026-02-12", "2026-03-11")
    assert [i["sku"] for i in body["items"]] == ["BOLT"]
    days = {d["date"]: d["quantity"] for d in body["items"][0]["days"]}
    assert len(days) == 28
    assert days["2026-03-11"] == "4" and days["2026-03-10"] == "2"
    assert days["2026-02-12"] == "3" and days["2026-03-01"] == "0"
    assert body["items"][0]["supplier_sku"] == "ACME-1"

    response = client.get(base + "consumption.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["sku", "supplier_sku", "unit", "date", "quantity"]
    assert ["BOLT", "ACME-1", "ea", "2026-03-11", "4"] in rows
    assert len(rows) == 29 and not any(r[0] == "NUT" for r in rows)

    page = client.get(base + "consumption/")
    assert page.status_code == 200
    assert b"BOLT" in page.content and b"NUT" not in page.content
