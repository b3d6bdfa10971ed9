"""Read-side questions about items and stock."""

from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, Sum
from django.db.models.functions import Coalesce

from .models import Item


def stock_overview() -> dict:
    """Headline stock figures in one query."""
    money = DecimalField(max_digits=30, decimal_places=7)
    figures = Item.objects.active().aggregate(
        items=Count("pk"),
        stock_value=Coalesce(
            Sum(F("on_hand") * F("unit_cost"), output_field=money),
            Decimal("0"),
            output_field=money,
        ),
        stockouts=Count("pk", filter=Q(on_hand__lte=0)),
        below_reorder_point=Count(
            "pk", filter=Q(reorder_point__gt=0, on_hand__lte=F("reorder_point"))
        ),
        class_a=Count("pk", filter=Q(abc_class="A")),
        class_b=Count("pk", filter=Q(abc_class="B")),
        class_c=Count("pk", filter=Q(abc_class="C")),
        pilot=Count("pk", filter=Q(jit_pilot=True)),
    )
    return figures
