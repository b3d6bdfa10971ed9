"""Issue 13 for planning: one item whose figures exceed what a suggestion can
store (huge demand times a long lead time, a lead time beyond the calendar)
gets no suggestion; the run still plans every other item, on both databases."""

from datetime import timedelta
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from items.services import stock_issue, stock_receive
from replenishment.models import Suggestion
from tests.bounds import ledger_report
from tests.factories import SupplierItemFactory

pytestmark = pytest.mark.django_db
BIG = D("9999999999999")


def consume(item, quantity: D, times: int) -> None:
    now = timezone.now()
    for day in range(times):
        moment = now - timedelta(days=10 + day)
        stock_receive(item=item, quantity=quantity, occurred_at=moment)
        stock_issue(item=item, quantity=quantity, occurred_at=moment)


@pytest.mark.parametrize(
    ("lead_time", "quantity"),
    [
        (365, BIG),  # d·L ≈ 10^14: beyond numeric(16, 3) (PostgreSQL refused)
        (900_000_000, D("1")),  # the order-by date lies beyond year 9999
    ],
)
def test_an_item_beyond_the_columns_gets_no_suggestion_and_others_do(
    lead_time, quantity
):
    absurd = SupplierItemFactory(item__sku="HUGE", quoted_lead_time_days=lead_time)
    consume(absurd.item, quantity, times=3)
    normal = SupplierItemFactory(item__sku="NORMAL", quoted_lead_time_days=5)
    consume(normal.item, D("10"), times=3)

    call_command("suggest", stdout=StringIO())

    assert list(Suggestion.objects.values_list("item__sku", flat=True)) == ["NORMAL"]
    assert "Ledger consistent" in ledger_report()
