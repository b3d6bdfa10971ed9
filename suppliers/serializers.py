from decimal import Decimal

from rest_framework import serializers

from inventory_site.limits import column_max
from items.models import Item

from .models import Delivery, DeliveryLine, Supplier, SupplierItem, SupplierScore
from .receiving import inspection_problems
from .services import check_quoted_lead_time_days


class SupplierScoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupplierScore
        exclude = ["id", "supplier"]


class SupplierSerializer(serializers.ModelSerializer):
    score = SupplierScoreSerializer(read_only=True)

    class Meta:
        model = Supplier
        fields = [
            "code", "name", "contact_name", "email", "phone", "jit_pilot", "active",
            "order_weekday", "score",
        ]  # fmt: skip
        extra_kwargs = {
            "order_weekday": {
                "help_text": "0 = Monday … 6 = Sunday: the supplier is ordered from "
                "on that day only (planning adds the week to the protection "
                "interval). null: any day."
            }
        }


class SourceSerializer(serializers.ModelSerializer):
    supplier = serializers.SlugRelatedField(
        slug_field="code", queryset=Supplier.objects.all()
    )
    sku = serializers.SlugRelatedField(
        source="item", slug_field="sku", queryset=Item.objects.all()
    )

    class Meta:
        model = SupplierItem
        fields = [
            "id", "supplier", "sku", "supplier_sku", "unit_price",
            "quoted_lead_time_days", "min_order_qty", "order_multiple", "priority",
            "active",
        ]  # fmt: skip
        extra_kwargs = {
            "unit_price": {
                "min_value": 0,
                "max_value": column_max(SupplierItem, "unit_price"),
            },
            "min_order_qty": {
                "min_value": 0,
                "max_value": column_max(SupplierItem, "min_order_qty"),
            },
            "order_multiple": {
                "min_value": Decimal("0.001"),
                "max_value": column_max(SupplierItem, "order_multiple"),
            },
            "priority": {"min_value": 1},
        }

    def validate_quoted_lead_time_days(self, value):
        try:
            return check_quoted_lead_time_days(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None


class DeliveryLineSerializer(serializers.ModelSerializer):
    """A line with the supplier's answers: ``response`` (latest answer),
    ``confirmed_quantity`` / ``confirmed_date``, what its ship notices shipped
    (``quantity_shipped``, ``ship_arrival``), what is on the way
    (``quantity_announced``: receiving starts from it), and ``expected_arrival``
    (needs ``DeliveryLine.objects.with_expected()``)."""

    sku = serializers.CharField(source="item.sku", read_only=True)
    unit = serializers.CharField(source="item.unit", read_only=True)
    quantity_open = serializers.DecimalField(
        max_digits=16, decimal_places=3, read_only=True
    )
    quantity_announced = serializers.DecimalField(
        max_digits=16, decimal_places=3, read_only=True
    )
    expected_arrival = serializers.DateField(read_only=True, allow_null=True)

    class Meta:
        model = DeliveryLine
        fields = [
            "id", "sku", "unit", "quantity_ordered", "quantity_received",
            "quantity_rejected", "rejection_reason", "quantity_open",
            "quantity_short", "unit_price", "response", "confirmed_quantity",
            "confirmed_date", "quantity_shipped", "ship_arrival",
            "quantity_announced", "expected_arrival",
        ]  # fmt: skip
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    supplier = serializers.SlugRelatedField(slug_field="code", read_only=True)
    lines = DeliveryLineSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "reference", "supplier", "status", "ordered_at", "promised_date",
            "received_at", "sent_to", "sent_at", "send_error", "cancelled_at",
            "cancel_reason", "note", "lines",
        ]  # fmt: skip
        read_only_fields = fields


class LineReceiptSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    quantity_received = serializers.DecimalField(
        max_digits=16,
        decimal_places=3,
        min_value=0,
        max_value=column_max(DeliveryLine, "quantity_received"),
        required=False,
        help_text="Omitted: what the supplier's ship notices announced for the "
        "line (only for a line with a ship notice).",
    )
    quantity_rejected = serializers.DecimalField(
        max_digits=16,
        decimal_places=3,
        min_value=0,
        default=0,
        max_value=column_max(DeliveryLine, "quantity_rejected"),
    )
    rejection_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=255, default=""
    )

    def validate(self, attrs):
        """The rules of receiving (suppliers.receiving), as field errors of the
        line: e.g. ``{"lines": [{"rejection_reason": ["…"]}]}``. Without a
        received quantity the line takes what its ship notices announced, and
        the service applies the same rules to it."""
        if "quantity_received" not in attrs:
            return attrs
        problems = inspection_problems(
            received=attrs["quantity_received"],
            rejected=attrs["quantity_rejected"],
            reason=attrs.get("rejection_reason", ""),
        )
        if problems:
            raise serializers.ValidationError(
                {problem.field: [problem.message] for problem in problems},
                code=problems[0].code,
            )
        return attrs


class ReceiveSerializer(serializers.Serializer):
    lines = LineReceiptSerializer(
        many=True,
        allow_empty=False,
        required=False,
        help_text="Omitted: every line as the supplier's ship notices announced.",
    )
    close = serializers.BooleanField(default=False)


class PlaceSerializer(serializers.Serializer):
    promised_date = serializers.DateField(required=False)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255, trim_whitespace=True)


class TransitionErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
