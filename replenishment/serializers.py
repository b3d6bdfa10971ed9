from decimal import Decimal

from rest_framework import serializers

from .models import Backtest, Suggestion


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
            "single_source_risk", "switched_source", "problem", "snoozed_until",
            "delivery", "accepted_quantity",
        ]  # fmt: skip
        read_only_fields = fields


MAX_ID = 2**63 - 1  # a bigint


QUANTITY = {"max_digits": 16, "decimal_places": 3, "min_value": Decimal("0.001")}


class AcceptOneSerializer(serializers.Serializer):
    quantity = serializers.DecimalField(required=False, **QUANTITY)


class AcceptSerializer(serializers.Serializer):
    """Either ``ids`` (optionally with changed ``quantities`` by id) or a
    ``supplier`` code with ``due: true`` (all its suggestions due today; with
    ``include_early: true`` its not-yet-due ones too)."""

    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        allow_empty=False,
        max_length=1000,
        required=False,
    )
    quantities = serializers.DictField(
        child=serializers.DecimalField(**QUANTITY), required=False
    )
    supplier = serializers.CharField(max_length=32, required=False)
    due = serializers.BooleanField(required=False, default=False)
    include_early = serializers.BooleanField(
        required=False,
        default=False,
        help_text='With "supplier" and "due": also the suggestions not due yet '
        "(order-by after today). Without it only due ones are accepted.",
    )

    def validate_quantities(self, value):
        if len(value) > 1000:
            raise serializers.ValidationError("At most 1000 quantities.")
        try:
            return {int(key): quantity for key, quantity in value.items()}
        except ValueError:
            raise serializers.ValidationError("Keys must be suggestion ids.") from None

    def validate(self, data):
        if "ids" in data:
            if "supplier" in data or data.get("due"):
                raise serializers.ValidationError(
                    "Give either ids or supplier with due, not both."
                )
            if data.get("include_early"):
                raise serializers.ValidationError(
                    {"include_early": ['Only with "supplier" and "due": true.']}
                )
            return data
        if "supplier" in data and data.get("due"):
            if "quantities" in data:
                raise serializers.ValidationError(
                    "Quantities can only be changed for chosen ids."
                )
            return data
        raise serializers.ValidationError('Give "ids", or "supplier" with "due": true.')


class DismissSerializer(serializers.Serializer):
    snooze_days = serializers.IntegerField(min_value=0, max_value=365, required=False)


class BacktestSerializer(serializers.ModelSerializer):
    progress = serializers.IntegerField(source="progress_percent", read_only=True)

    class Meta:
        model = Backtest
        fields = [
            "id", "status", "days", "seed", "skus", "overrides", "today",
            "chunks_total", "chunks_done", "progress", "created_at", "started_at",
            "finished_at", "error", "results",
        ]  # fmt: skip
        read_only_fields = fields


class BacktestListSerializer(BacktestSerializer):
    """The list leaves the (large) report out; GET one run for it."""

    class Meta(BacktestSerializer.Meta):
        fields = [f for f in BacktestSerializer.Meta.fields if f != "results"]
        read_only_fields = fields


class PerClassDays(serializers.Serializer):
    A = serializers.IntegerField(min_value=0, max_value=365, required=False)
    B = serializers.IntegerField(min_value=0, max_value=365, required=False)
    C = serializers.IntegerField(min_value=0, max_value=365, required=False)


class BacktestOverridesSerializer(serializers.Serializer):
    service_level = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        min_value=Decimal("0.5"),
        max_value=Decimal("0.9999"),
        required=False,
    )
    z = serializers.DecimalField(
        max_digits=4, decimal_places=2, min_value=0, max_value=5, required=False
    )
    min_safety_time_days = PerClassDays(required=False)
    delivery_interval_days = PerClassDays(required=False)


class BacktestRequestSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=7, max_value=1095, default=365)
    seed = serializers.IntegerField(min_value=0, max_value=2**31 - 1, default=0)
    items = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=10000
    )
    overrides = BacktestOverridesSerializer(required=False)
