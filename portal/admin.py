"""Read-only views of the portal's records (links are made from the supplier
page, the API or ``supplier_link``; the supplier writes its own answers)."""

from django.contrib import admin

from .models import (
    ForecastRevision,
    LineConfirmation,
    PortalAccess,
    PortalToken,
    ShipNotice,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PortalToken)
class PortalTokenAdmin(ReadOnlyAdmin):
    list_display = [
        "supplier",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["supplier__code"]
    exclude = ["token_hash"]
    list_select_related = ["supplier"]


@admin.register(PortalAccess)
class PortalAccessAdmin(ReadOnlyAdmin):
    list_display = ["at", "supplier", "method", "page", "ip"]
    search_fields = ["supplier__code", "page", "ip"]
    list_select_related = ["supplier"]
    date_hierarchy = "at"


@admin.register(LineConfirmation)
class LineConfirmationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "line", "action", "quantity", "date", "reason"]
    list_filter = ["action", "in_firm_zone"]
    list_select_related = ["line__delivery", "line__item"]


@admin.register(ShipNotice)
class ShipNoticeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "delivery", "arrival"]
    list_select_related = ["delivery__supplier"]


@admin.register(ForecastRevision)
class ForecastRevisionAdmin(ReadOnlyAdmin):
    list_display = ["supplier", "number", "generated_at"]
    search_fields = ["supplier__code"]
    list_select_related = ["supplier"]
