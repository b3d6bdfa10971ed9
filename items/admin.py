from django.contrib import admin, messages

from bulk.admin import BulkImportAdmin

from .models import (
    BillOfMaterialsLine,
    ClassificationRun,
    Item,
    ItemClassChange,
    PlannedDemand,
    StockMovement,
    UnmetDemand,
)
from .resources import ItemResource, MovementResource, PlannedDemandResource


class BillOfMaterialsInline(admin.TabularInline):
    """The components one unit of this item is made of (one level)."""

    model = BillOfMaterialsLine
    fk_name = "product"
    raw_id_fields = ["component"]
    extra = 0
    verbose_name = "component"
    verbose_name_plural = "bill of materials (components per unit)"


@admin.register(Item)
class ItemAdmin(BulkImportAdmin):
    resource_classes = [ItemResource]
    inlines = [BillOfMaterialsInline]

    def import_action(self, request, **kwargs):
        """The preview also lists the import's warnings (e.g. a unit cost far
        outside the catalogue's range) as messages above the table."""
        response = super().import_action(request, **kwargs)
        result = (getattr(response, "context_data", None) or {}).get("result")
        for warning in getattr(result, "import_warnings", ()):
            self.message_user(request, warning, level=messages.WARNING)
        return response

    list_display = [
        "sku",
        "name",
        "unit",
        "unit_cost",
        "on_hand",
        "abc_class",
        "xyz_class",
        "demand_pattern",
        "policy",
        "policy_override",
        "jit_pilot",
        "reorder_point",
        "active",
    ]
    list_filter = [
        "abc_class", "xyz_class", "demand_pattern", "policy", "jit_pilot", "active",
    ]  # fmt: skip
    search_fields = ["sku", "name"]
    list_per_page = 100
    show_full_result_count = False
    readonly_fields = [
        "on_hand",
        "abc_class",
        "xyz_class",
        "demand_pattern",
        "policy",
        "annual_value",
        "abc_cumulative_share",
        "avg_daily_demand",
        "daily_demand_std",
        "reorder_point",
        "planned_at",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["sku", "name", "unit", "unit_cost", "active"]}),
        (
            "Planning",
            {
                "fields": [
                    "annual_demand",
                    "jit_pilot",
                    "policy_override",
                    "safety_time_days",
                    "shelf_life_days",
                    "production_lead_time_days",
                ]
            },
        ),
        (
            "Stock and classification (maintained by the ledger and the nightly run)",
            {
                "fields": [
                    "on_hand",
                    "abc_class",
                    "xyz_class",
                    "demand_pattern",
                    "policy",
                    "annual_value",
                    "abc_cumulative_share",
                    "avg_daily_demand",
                    "daily_demand_std",
                    "reorder_point",
                    "planned_at",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]


@admin.register(PlannedDemand)
class PlannedDemandAdmin(BulkImportAdmin):
    """Known future demand; import ``sku,date,quantity[,status,reference]`` (a
    re-imported reference replaces its lines)."""

    resource_classes = [PlannedDemandResource]
    list_display = ["date", "item", "quantity", "status", "reference", "source"]
    list_filter = ["status", "source", "date"]
    search_fields = ["item__sku", "reference"]
    list_select_related = ["item"]
    date_hierarchy = "date"
    raw_id_fields = ["item"]


@admin.register(StockMovement)
class StockMovementAdmin(BulkImportAdmin):
    """The ledger is append-only: movements are never edited or deleted here
    (an import appends them through the ledger)."""

    resource_classes = [MovementResource]

    list_display = [
        "occurred_at", "item", "kind", "quantity", "reference", "note", "created_by"
    ]  # fmt: skip
    list_filter = ["kind", "occurred_at"]
    search_fields = ["item__sku", "item__name", "note", "reference"]
    list_select_related = ["item", "created_by"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    raw_id_fields = ["item", "delivery_line"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(UnmetDemand)
class UnmetDemandAdmin(admin.ModelAdmin):
    """Requests that found no stock. Append-only like the ledger: recorded from
    the item page, the API (``/api/v1/unmet-demand/``) or a refused issue, never
    edited or deleted here."""

    list_display = [
        "occurred_at", "item", "quantity", "reason", "reference", "note", "created_by"
    ]  # fmt: skip
    list_filter = ["reason", "occurred_at"]
    search_fields = ["item__sku", "item__name", "reference", "note"]
    list_select_related = ["item", "created_by"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    raw_id_fields = ["item"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


class ItemClassChangeInline(admin.TabularInline):
    model = ItemClassChange
    extra = 0
    can_delete = False
    raw_id_fields = ["item"]
    readonly_fields = [
        "item",
        "changed_at",
        "old_abc_class",
        "new_abc_class",
        "old_xyz_class",
        "new_xyz_class",
        "old_policy",
        "new_policy",
    ]
    max_num = 0
    show_change_link = False


@admin.register(ClassificationRun)
class ClassificationRunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "created_at",
        "status",
        "items_total",
        "items_changed",
        "duration_seconds",
    ]
    list_filter = ["status"]
    readonly_fields = [
        "created_at",
        "started_at",
        "finished_at",
        "status",
        "parameters",
        "counts",
        "items_total",
        "items_changed",
        "duration_seconds",
        "error",
        "requested_by",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ItemClassChange)
class ItemClassChangeAdmin(admin.ModelAdmin):
    list_display = [
        "changed_at",
        "item",
        "old_abc_class",
        "new_abc_class",
        "old_xyz_class",
        "new_xyz_class",
        "old_policy",
        "new_policy",
    ]
    list_filter = ["new_abc_class", "new_xyz_class", "new_policy"]
    search_fields = ["item__sku", "item__name"]
    list_select_related = ["item"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
