import json
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command

from tests.factories import ItemFactory, SupplierItemFactory

pytestmark = pytest.mark.django_db


def test_suggest_prints_open_suggestions_as_json():
    item = ItemFactory(
        sku="GLOVE-L", abc_class="B", policy="jit", annual_demand=D("730")
    )
    SupplierItemFactory(item=item, supplier__code="ACME", order_multiple=D("10"))
    out = StringIO()
    call_command("suggest", "--format", "json", stdout=out)
    rows = json.loads(out.getvalue())
    assert len(rows) == 1
    row = rows[0]
    assert set(row) == {"sku", "supplier", "quantity", "order_by", "policy", "reason"}
    # d = 730/365 = 2, L = 5, ST(B) = 2, T(B) = 14 → ROP 14, S 42; IP 0 → Q 42 → 50
    assert (row["sku"], row["supplier"], row["policy"]) == ("GLOVE-L", "ACME", "jit")
    assert row["quantity"] == 50
    assert "rounded up to the pack of 10" in row["reason"]


def test_suggest_summary_is_idempotent():
    item = ItemFactory(annual_demand=D("365"), abc_class="A", policy="jit")
    SupplierItemFactory(item=item)
    first, second = StringIO(), StringIO()
    call_command("suggest", stdout=first)
    call_command("suggest", stdout=second)
    assert "1 new suggestions" in first.getvalue()
    assert "0 new suggestions, 1 unchanged, 0 superseded; 1 open." in second.getvalue()
