"""Builders of the pure planning inputs (``planning.ItemFigures`` and
``SourceFigures``) for the tests of ``planning.py``: one item BOLT-8 of class A
on jit, 10 a day, with one source ACME quoted at 5 days. Each test module passes
the defaults it differs in."""

from decimal import Decimal as D

from replenishment.planning import ItemFigures, SourceFigures


def source(**kwargs) -> SourceFigures:
    values = {
        "source_id": 1,
        "supplier_id": 1,
        "supplier_code": "ACME",
        "priority": 1,
        "quoted_lead_time_days": 5,
    }
    values.update(kwargs)
    return SourceFigures(**values)


def item(**kwargs) -> ItemFigures:
    values = {
        "item_id": 1,
        "sku": "BOLT-8",
        "abc_class": "A",
        "policy": "jit",
        "on_hand": D("100"),
        "on_order": D("0"),
        "daily_demand": D("10"),
        "daily_demand_std": D("0"),
    }
    values.update(kwargs)
    values.setdefault("sources", (source(),))
    return ItemFigures(**values)
