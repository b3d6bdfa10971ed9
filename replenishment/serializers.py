from rest_framework import serializers

from .models import Suggestion


class SuggestionSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="item.sku", read_only=True)
    supplier = serializers.CharField(source="supplier.code", read_only=True)
    delivery = serializers.CharField(
        source="delivery.reference", read_only=True, allow_null=True
    )

    class Meta:
        model = Suggestion
        fields = [
            "id", "sku", "supplier", "status", "policy", "quantity", "order_by",
            "expected_arrival", "reason", "avg_daily_demand", "daily_demand_std",
            "lead_time_days", "lead_time_std_days", "lead_time_samples",
            "safety_time_days", "delivery_interval_days", "on_hand", "on_order",
            "inventory_position", "reorder_point", "order_up_to",
            "single_source_risk", "switched_source", "snoozed_until", "delivery",
        ]  # fmt: skip
        read_only_fields = fields


MAX_ID = 2**63 - 1  # a bigint


class AcceptSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        allow_empty=False,
        max_length=1000,
    )


class DismissSerializer(serializers.Serializer):
    snooze_days = serializers.IntegerField(min_value=0, max_value=365, required=False)
