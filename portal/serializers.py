"""Shapes of the portal's JSON requests (validated with DRF serializers, which
give field errors in the request's own shape) and of the staff API's answers."""

from rest_framework import serializers

from .models import LineAction


class LineAnswerSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    action = serializers.ChoiceField(choices=LineAction.values)
    quantity = serializers.DecimalField(
        max_digits=16, decimal_places=3, required=False, allow_null=True
    )
    date = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default=""
    )


class ConfirmSerializer(serializers.Serializer):
    lines = LineAnswerSerializer(many=True, allow_empty=False, max_length=1000)


class ShippedLineSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.DecimalField(max_digits=16, decimal_places=3)


class ShipNoticeSerializer(serializers.Serializer):
    arrival = serializers.DateField()
    lines = ShippedLineSerializer(many=True, allow_empty=False, max_length=1000)


class PortalLinkSerializer(serializers.Serializer):
    url = serializers.URLField()
    expires_at = serializers.DateTimeField()


class PortalLinkRequestSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=3650, required=False)


class ForecastLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    supplier_sku = serializers.CharField()
    week_start = serializers.DateField()
    quantity = serializers.DecimalField(max_digits=16, decimal_places=3)
    zone = serializers.ChoiceField(choices=["firm", "tradeoff", "forecast"])


class ForecastSerializer(serializers.Serializer):
    supplier = serializers.CharField()
    revision = serializers.IntegerField()
    generated_at = serializers.DateTimeField()
    lines = ForecastLineSerializer(many=True)


class LineAnswersSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    sku = serializers.CharField()
    quantity_ordered = serializers.DecimalField(max_digits=16, decimal_places=3)
    answer = serializers.CharField(allow_null=True)
    confirmed_quantity = serializers.DecimalField(
        max_digits=16, decimal_places=3, allow_null=True
    )
    confirmed_date = serializers.DateField(allow_null=True)
    shipped_quantity = serializers.DecimalField(
        max_digits=16, decimal_places=3, allow_null=True
    )
    expected_arrival = serializers.DateField(allow_null=True)


class DeliveryAnswersSerializer(serializers.Serializer):
    reference = serializers.CharField()
    lines = LineAnswersSerializer(many=True)
