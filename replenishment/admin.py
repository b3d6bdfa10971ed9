from django.contrib import admin

from .models import Backtest, PolicyParameters, Suggestion


@admin.register(PolicyParameters)
class PolicyParametersAdmin(admin.ModelAdmin):
    """One row of planning knobs; the nightly run reads it."""

    fieldsets = [
        (
            "Delivery interval T (days)",
            {
                "fields": [
                    "delivery_interval_a_days",
                    "delivery_interval_b_days",
                    "delivery_interval_c_days",
                ]
            },
        ),
        (
            "Minimum safety time (days)",
            {
                "fields": [
                    "min_safety_time_a_days",
                    "min_safety_time_b_days",
                    "min_safety_time_c_days",
                ]
            },
        ),
        (
            "Service targets (fill rate per class; z = Φ⁻¹(target))",
            {
                "fields": [
                    "service_target_a",
                    "service_target_b",
                    "service_target_c",
                ]
            },
        ),
        (
            "Demand and horizon",
            {
                "fields": [
                    "demand_window_days",
                    "planning_horizon_days",
                    "snooze_days",
                    "jit_scope",
                ]
            },
        ),
    ]

    def has_add_permission(self, request):
        return not PolicyParameters.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = [
        "item",
        "supplier",
        "quantity",
        "order_by",
        "policy",
        "status",
        "single_source_risk",
        "switched_source",
        "created_at",
    ]
    list_filter = ["status", "policy", "single_source_risk", "switched_source"]
    search_fields = ["item__sku", "item__name", "supplier__code"]
    list_select_related = ["item", "supplier"]
    date_hierarchy = "order_by"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Backtest)
class BacktestAdmin(admin.ModelAdmin):
    """Stored backtests, read-only: start them from the Backtest page."""

    list_display = ["pk", "status", "days", "seed", "today", "created_at"]
    list_filter = ["status"]
    exclude = ["results"]
    readonly_fields = [
        "status", "days", "seed", "skus", "overrides", "today", "chunks_total",
        "chunks_done", "error", "requested_by", "created_at", "started_at",
        "finished_at",
    ]  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
