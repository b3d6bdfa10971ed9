from django import forms
from django.db.models import Q

from inventory_site.limits import column_max

from .models import AbcClass, MovementKind, Policy, StockMovement

SORTS = {
    "sku": "sku",
    "-sku": "-sku",
    "name": "name",
    "-name": "-name",
    "on_hand": "on_hand",
    "-on_hand": "-on_hand",
    "value": "stock_value",
    "-value": "-stock_value",
    "cover": "days_of_cover",
    "-cover": "-days_of_cover",
    "class": "abc_class",
    "-class": "-abc_class",
}


class ItemFilterForm(forms.Form):
    q = forms.CharField(label="Search SKU or name", required=False, max_length=100)
    abc_class = forms.ChoiceField(
        label="ABC class", required=False, choices=[("", "Any"), *AbcClass.choices]
    )
    policy = forms.ChoiceField(required=False, choices=[("", "Any"), *Policy.choices])
    pilot = forms.ChoiceField(
        label="JIT pilot",
        required=False,
        choices=[("", "Any"), ("yes", "Pilot only"), ("no", "Not in pilot")],
    )
    below_rop = forms.BooleanField(label="At or below reorder point", required=False)
    sort = forms.ChoiceField(required=False, choices=[(k, k) for k in SORTS])

    def filter(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["q"]:
            queryset = queryset.filter(
                Q(sku__icontains=data["q"]) | Q(name__icontains=data["q"])
            )
        if data["abc_class"]:
            queryset = queryset.filter(abc_class=data["abc_class"])
        if data["policy"]:
            queryset = queryset.filter(policy=data["policy"])
        if data["pilot"]:
            queryset = queryset.filter(jit_pilot=data["pilot"] == "yes")
        if data["below_rop"]:
            queryset = queryset.below_reorder_point()
        return queryset.order_by(SORTS.get(data["sort"] or "sku", "sku"), "pk")


class MovementForm(forms.Form):
    """Record consumption, a receipt, an adjustment or scrap for one item."""

    kind = forms.ChoiceField(
        label="What happened", choices=MovementKind.choices, initial="issue"
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
