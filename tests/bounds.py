"""Helpers of the bad-input tests (issue 13): what the data looked like, to
assert that a refused input changed nothing and broke nothing."""

from io import StringIO

from django.core.management import call_command

from items.models import Item, StockMovement
from suppliers.models import Delivery, DeliveryLine, SupplierItem

FROZEN_NOW = "2026-03-02 10:00:00+00:00"  # tests of the date window travel here


def ledger_report() -> str:
    """``check_ledger``'s answer (it raises on drift or on unreadable rows)."""
    out = StringIO()
    call_command("check_ledger", stdout=out, stderr=StringIO())
    return out.getvalue()


def state() -> dict:
    """Row counts, every item's stock and the ledger check, read back through
    the ORM (on SQLite an overflowed value fails to read)."""
    return {
        "movements": StockMovement.objects.count(),
        "deliveries": Delivery.objects.count(),
        "lines": DeliveryLine.objects.count(),
        "sources": SupplierItem.objects.count(),
        "received": sorted(DeliveryLine.objects.values_list("pk", "quantity_received")),
        "on_hand": dict(Item.objects.values_list("sku", "on_hand")),
        "ledger": ledger_report(),
    }
