from django import forms
from django.contrib import admin
from django.forms.formsets import DELETION_FIELD_NAME
from django.forms.models import BaseInlineFormSet

from items.admin import BulkImportAdmin

from .models import Delivery, DeliveryLine, DeliveryStatus, Supplier, SupplierItem
from .resources import DeliveryResource, SourceResource, SupplierResource

#: What a received line keeps as it was when it was posted to the stock ledger.
RECEIVED_LINE_FIELDS = ("item", "quantity_ordered")


def line_is_received(line: DeliveryLine) -> bool:
    """Something arrived on this line: stock was posted (or inspected and refused)
    against its item, so the item and the ordered quantity are history."""
    return line.pk is not None and line.quantity_received > 0


def delivery_has_receipts(delivery: Delivery) -> bool:
    return (
        delivery.status
        in (
            DeliveryStatus.PARTIALLY_RECEIVED,
            DeliveryStatus.RECEIVED,
        )
        or delivery.lines.filter(quantity_received__gt=0).exists()
    )


class DeliveryLineForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if line_is_received(self.instance):
            for name in RECEIVED_LINE_FIELDS:
                if name in self.fields:
                    # A disabled field keeps the stored value whatever is posted.
                    self.fields[name].disabled = True
                    self.fields[
                        name
                    ].help_text = "Received: correct stock with an adjustment movement."


class DeliveryLineFormSet(BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if line_is_received(form.instance) and DELETION_FIELD_NAME in form.fields:
            form.fields[DELETION_FIELD_NAME].disabled = True


@admin.register(Supplier)
class SupplierAdmin(BulkImportAdmin):
    resource_classes = [SupplierResource]
    list_display = [
        "code", "name", "contact_name", "email", "jit_pilot", "order_weekday",
        "active",
    ]  # fmt: skip
    list_filter = ["active", "jit_pilot", "order_weekday"]
    search_fields = ["code", "name", "email"]


@admin.register(SupplierItem)
class SupplierItemAdmin(BulkImportAdmin):
    resource_classes = [SourceResource]
    list_display = [
        "item",
        "supplier",
        "priority",
        "unit_price",
        "quoted_lead_time_days",
        "min_order_qty",
        "order_multiple",
        "active",
    ]
    list_filter = ["priority", "active", "supplier"]
    search_fields = ["item__sku", "item__name", "supplier__code", "supplier_sku"]
    list_select_related = ["item", "supplier"]
    raw_id_fields = ["item"]
    show_full_result_count = False


class DeliveryLineInline(admin.TabularInline):
    """Lines are ordered here; received and rejected quantities change only by
    receiving the delivery, which posts to the stock ledger. A received line's
    item and ordered quantity are read-only and it cannot be deleted."""

    model = DeliveryLine
    form = DeliveryLineForm
    formset = DeliveryLineFormSet
    extra = 0
    raw_id_fields = ["item"]
    fields = [
        "item",
        "quantity_ordered",
        "unit_price",
        "quantity_received",
        "quantity_rejected",
        "rejection_reason",
    ]
    readonly_fields = ["quantity_received", "quantity_rejected", "rejection_reason"]


@admin.register(Delivery)
class DeliveryAdmin(BulkImportAdmin):
    """Imports and exports delivery lines (one row per line)."""

    resource_classes = [DeliveryResource]
    list_display = [
        "reference",
        "supplier",
        "status",
        "ordered_at",
        "promised_date",
        "received_at",
    ]
    list_filter = ["status", "supplier", "promised_date"]
    search_fields = ["reference", "supplier__code", "supplier__name"]
    list_select_related = ["supplier"]
    date_hierarchy = "ordered_at"
    inlines = [DeliveryLineInline]
    readonly_fields = ["status", "received_at", "created_at", "created_by"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        """Once stock was received against it, the supplier is history too."""
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and delivery_has_receipts(obj):
            fields.append("supplier")
        return fields

    def has_delete_permission(self, request, obj=None):
        if obj is not None and delivery_has_receipts(obj):
            return False
        return super().has_delete_permission(request, obj)
