from django.contrib import admin
from import_export.admin import ImportExportModelAdmin

from .imports import ADMIN_FORMATS
from .models import ClassificationRun, Item, ItemClassChange, StockMovement
from .resources import ItemResource, MovementResource


@admin.register(Item)
class ItemAdmin(ImportExportModelAdmin):
    resource_classes = [ItemResource]
    formats = ADMIN_FORMATS
    list_display = [
        "sku",
        "name",
        "unit",
        "unit_cost",
        "on_hand",
        "abc_class",
        "xyz_class",
        "policy",
        "policy_override",
        "jit_pilot",
        "reorder_point",
        "active",
    ]
    list_filter = ["abc_class", "xyz_class", "policy", "jit_pilot", "active"]
    search_fields = ["sku", "name"]
    list_per_page = 100
    show_full_result_count = False
    readonly_fields = [
        "on_hand",
        "abc_class",
        "xyz_class",
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


@admin.register(StockMovement)
class StockMovementAdmin(ImportExportModelAdmin):
    """The ledger is append-only: movements are never edited or deleted here
    (an import appends them through the ledger)."""

    resource_classes = [MovementResource]
    formats = ADMIN_FORMATS

    list_display = ["occurred_at", "item", "kind", "quantity", "note", "created_by"]
    list_filter = ["kind", "occurred_at"]
    search_fields = ["item__sku", "item__name", "note"]
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
