from decimal import Decimal
from pathlib import Path
from uuid import uuid4

from django import forms
from django.conf import settings
from django.db.models import Q
from import_export.forms import ImportForm

from .imports import SUPPORTED_EXTENSIONS
from .limits import column_max
from .models import (
    AbcClass,
    DemandPattern,
    MovementKind,
    Policy,
    StockMovement,
    UnmetDemand,
    UnmetDemandReason,
)


def new_key() -> str:
    return uuid4().hex


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
    demand_pattern = forms.ChoiceField(
        label="Demand pattern",
        required=False,
        choices=[("", "Any"), *DemandPattern.choices],
    )
    policy = forms.ChoiceField(required=False, choices=[("", "Any"), *Policy.choices])
    pilot = forms.ChoiceField(
        label="JIT pilot",
        required=False,
        choices=[("", "Any"), ("yes", "Pilot only"), ("no", "Not in pilot")],
    )
    below_rop = forms.BooleanField(label="At or below reorder point", required=False)
    stockout = forms.BooleanField(label="Stocked out", required=False)
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
        if data["demand_pattern"]:
            queryset = queryset.filter(demand_pattern=data["demand_pattern"])
        if data["policy"]:
            queryset = queryset.filter(policy=data["policy"])
        if data["pilot"]:
            queryset = queryset.filter(jit_pilot=data["pilot"] == "yes")
        # the dashboard counts these among active items; so does the list
        if data["below_rop"]:
            queryset = queryset.active().below_reorder_point()
        if data["stockout"]:
            queryset = queryset.active().stocked_out()
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


class ImportFileForm(ImportForm):
    """The admin's import form, refusing files too large for a request or of a
    type we do not read before anything is parsed. Each rendering carries a new
    ``upload_key``: submitting the same form twice queues the file once."""

    upload_key = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=32, initial=new_key
    )

    def submission_key(self) -> str:
        """The key of this submission (a fresh one if the form sent none)."""
        key = self.cleaned_data.get("upload_key") or new_key()
        return f"upload:{key}"

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        extension = Path(upload.name).suffix.lower()
        if extension not in SUPPORTED_EXTENSIONS:
            raise forms.ValidationError(
                f"Unsupported file type '{extension or upload.name}': "
                "upload a .csv or .xlsx file."
            )
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {upload.size / 1_048_576:.1f} MB; uploads are limited "
                f"to {limit / 1_048_576:.0f} MB. Split it, or import it on the "
                "server with `manage.py import_data`."
            )
        return upload
