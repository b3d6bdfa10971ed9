from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from items.models import Item
from items.services import stock_issue, stock_receive
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


def test_check_ledger_passes_when_on_hand_matches_movements():
    item = ItemFactory(unit="kg")  # fractions: not counted in whole units
    stock_receive(item=item, quantity=Decimal("0.1"))
    stock_receive(item=item, quantity=Decimal("0.2"))
    stock_issue(item=item, quantity=Decimal("0.3"))
    out = StringIO()
    call_command("check_ledger", stdout=out)
    assert "Ledger consistent" in out.getvalue()


def test_check_ledger_reports_drift_and_fails():
    item = ItemFactory(sku="DRIFT-1")
    stock_receive(item=item, quantity=Decimal("5"))
    Item.objects.filter(pk=item.pk).update(on_hand=Decimal("7"))  # bypass the ledger
    err = StringIO()
    with pytest.raises(CommandError, match="drift on 1 item"):
        call_command("check_ledger", stderr=err)
    assert "DRIFT-1: on_hand 7.000 but movements sum to 5.000" in err.getvalue()
