from decimal import Decimal

from django import forms

from inventory_site.limits import column_max

from .models import MovementKind, StockMovement, UnmetDemand, UnmetDemandReason


class MovementForm(forms.Form):
    """Record consumption, a receipt, an adjustment or scrap for one item."""

    kind = forms.ChoiceField(
        label="What happened", choices=MovementKind.choices, initial=MovementKind.ISSUE
    )
    quantity = forms.DecimalField(
        max_digits=16,
        decimal_places=3,
        max_value=column_max(StockMovement, "quantity"),
        min_value=-column_max(StockMovement, "quantity"),
        help_text="Positive for consumption, receipts and scrap; an adjustment "
        "may be negative.",
    )
    note = forms.CharField(required=False, max_length=255)
    reference = forms.CharField(
        label="For order",
        required=False,
        max_length=64,
        help_text="Production or sales order this consumption is for (uses up its "
        "planned demand).",
    )
    record_unmet = forms.BooleanField(
        label="If stock is short, record the shortfall as unmet demand",
        required=False,
        help_text="An issue beyond stock is refused either way; this records what "
        "was missing (requested − on hand) so planning counts it as demand.",
    )


class UnmetDemandForm(forms.Form):
    """Record a request that found no stock (nothing is issued). It shares the
    item page with ``MovementForm``: always used with ``prefix=PREFIX``."""

    PREFIX = "unmet"

    quantity = forms.DecimalField(
        label="Units not served",
        max_digits=16,
        decimal_places=3,
        min_value=Decimal("0.001"),
        max_value=column_max(UnmetDemand, "quantity"),
    )
    reason = forms.ChoiceField(
        choices=UnmetDemandReason.choices, initial=UnmetDemandReason.OUT_OF_STOCK
    )
    reference = forms.CharField(label="For order", required=False, max_length=64)
    note = forms.CharField(required=False, max_length=255)
