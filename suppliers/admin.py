from django.contrib import admin

from items.admin import BulkImportAdmin

from .models import Delivery, DeliveryLine, Supplier, SupplierItem
from .resources import DeliveryResource, SourceResource, SupplierResource


@admin.register(Supplier)
class SupplierAdmin(BulkImportAdmin):
    resource_classes = [SupplierResource]
    list_display = ["code", "name", "contact_name", "email", "jit_pilot", "active"]
    list_filter = ["active", "jit_pilot"]
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
    receiving the delivery, which posts to the stock ledger."""

    model = DeliveryLine
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
