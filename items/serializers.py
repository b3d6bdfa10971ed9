from decimal import Decimal

from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from inventory_site.dates import DateOutOfRange, check_event_moment, check_planned_date

from .limits import column_max
from .models import (
    ClassificationRun,
    Item,
    MovementKind,
    PlannedDemand,
    PlannedDemandStatus,
    StockMovement,
    UnmetDemand,
    UnmetDemandReason,
)


class ItemSerializer(serializers.ModelSerializer):
    days_of_cover = serializers.DecimalField(
        max_digits=20, decimal_places=1, read_only=True, allow_null=True
    )

    class Meta:
        model = Item
        fields = [
            "sku", "name", "unit", "unit_cost", "annual_demand", "on_hand",
            "abc_class", "xyz_class", "demand_pattern", "policy", "policy_override",
            "jit_pilot",
            "safety_time_days", "shelf_life_days", "active", "annual_value",
            "avg_daily_demand", "daily_demand_std", "reorder_point", "days_of_cover",
        ]  # fmt: skip
        read_only_fields = [
            "on_hand", "abc_class", "xyz_class", "demand_pattern", "policy",
            "annual_value",
            "avg_daily_demand", "daily_demand_std", "reorder_point",
        ]  # fmt: skip
        extra_kwargs = {
            "unit_cost": {"min_value": 0, "max_value": column_max(Item, "unit_cost")},
            "annual_demand": {
                "min_value": 0,
                "max_value": column_max(Item, "annual_demand"),
            },
        }


class EventDateTimeField(serializers.DateTimeField):
    """A moment something happened, within the plausible window
    (``inventory_site.dates``). An ISO text is checked before DRF converts it
    to the site's time zone (which only says "out of range" for year 1)."""

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None:
                self.check(parsed)
        return self.check(super().to_internal_value(value))

    @staticmethod
    def check(moment):
        try:
            return check_event_moment(moment)
        except DateOutOfRange as error:
            raise serializers.ValidationError(str(error)) from None


class MovementSerializer(serializers.ModelSerializer):
    """POST a movement as people enter it: a positive quantity for receipts,
    issues and scrap (the kind gives the sign), a signed one for adjustments."""

    sku = serializers.SlugRelatedField(
        source="item", slug_field="sku", queryset=Item.objects.all()
    )
    kind = serializers.ChoiceField(choices=MovementKind.choices)
    quantity = serializers.DecimalField(
        max_digits=StockMovement._meta.get_field("quantity").max_digits,
        decimal_places=StockMovement._meta.get_field("quantity").decimal_places,
    )
    occurred_at = EventDateTimeField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=255)
    reference = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="The production or sales order an issue is for: it uses up that "
        "order's planned demand.",
    )
    record_unmet = serializers.BooleanField(
        required=False,
        default=False,
        write_only=True,
        help_text="For an issue: when it is refused for lack of stock (409), "
        "record the shortfall (requested − on hand) as unmet demand; the 409 "
        "then carries it as `unmet_demand`. Nothing is issued either way.",
    )
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = StockMovement
        fields = [
            "id", "sku", "kind", "quantity", "occurred_at", "note", "reference",
            "record_unmet", "created_by",
        ]  # fmt: skip


class UnmetDemandSerializer(serializers.ModelSerializer):
    """A request that found no stock (append-only). Planning counts it as
    demand of its day."""

    sku = serializers.SlugRelatedField(
        source="item", slug_field="sku", queryset=Item.objects.all()
    )
    quantity = serializers.DecimalField(
        max_digits=16,
        decimal_places=3,
        min_value=Decimal("0.001"),
        max_value=column_max(UnmetDemand, "quantity"),
    )
    occurred_at = EventDateTimeField(required=False)
    reason = serializers.ChoiceField(
        choices=UnmetDemandReason.choices, default=UnmetDemandReason.OUT_OF_STOCK
    )
    reference = serializers.CharField(required=False, allow_blank=True, max_length=64)
    note = serializers.CharField(required=False, allow_blank=True, max_length=255)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = UnmetDemand
        fields = [
            "id", "sku", "quantity", "occurred_at", "reason", "reference", "note",
            "created_by", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_by", "created_at"]


class ClassificationRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClassificationRun
        fields = [
            "id", "status", "created_at", "started_at", "finished_at", "parameters",
            "counts", "items_total", "items_changed", "duration_seconds", "error",
        ]  # fmt: skip
        read_only_fields = fields


class PlannedDemandSerializer(serializers.ModelSerializer):
    """A line of known future demand. POST one object, or a list of them (all
    or nothing); lines with a reference replace that reference's earlier lines."""

    sku = serializers.SlugRelatedField(
        source="item", slug_field="sku", queryset=Item.objects.all()
    )
    quantity = serializers.DecimalField(
        max_digits=16,
        decimal_places=3,
        min_value=Decimal("0.001"),
        max_value=column_max(PlannedDemand, "quantity"),
    )
    status = serializers.ChoiceField(
        choices=PlannedDemandStatus.choices, default=PlannedDemandStatus.FIRM
    )
    reference = serializers.CharField(required=False, allow_blank=True, max_length=64)

    class Meta:
        model = PlannedDemand
        fields = ["id", "sku", "date", "quantity", "status", "reference", "source"]
        read_only_fields = ["id", "source"]

    def validate_date(self, value):
        try:
            return check_planned_date(value)
        except DateOutOfRange as error:
            raise serializers.ValidationError(str(error)) from error
