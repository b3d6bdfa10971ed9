from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import filters, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from inventory_site.api_permissions import IsStaff, StaffReadsAdminWrites

from .models import Delivery, DeliveryLine, Supplier, SupplierItem
from .serializers import (
    DeliverySerializer,
    ReceiveSerializer,
    SourceSerializer,
    SupplierSerializer,
)
from .services import (
    DeliveryNotReceivable,
    InvalidReceipt,
    LineReceipt,
    delivery_receive,
)


class SupplierViewSet(viewsets.ModelViewSet):
    """Suppliers by code, with their latest performance and risk score."""

    serializer_class = SupplierSerializer
    permission_classes = [StaffReadsAdminWrites]
    lookup_field = "code"
    lookup_value_regex = ".+"  # codes may hold "/" and "." (README, Limits)
    filter_backends = [filters.SearchFilter]
    search_fields = ["code", "name"]
    queryset = Supplier.objects.select_related("score").order_by("code")


class SourceViewSet(viewsets.ModelViewSet):
    serializer_class = SourceSerializer
    permission_classes = [StaffReadsAdminWrites]
    lookup_value_regex = r"\d{1,18}"
    filter_backends = [DjangoFilterBackend]
    filterset_fields = {"supplier__code": ["exact"], "item__sku": ["exact"]}
    queryset = SupplierItem.objects.select_related("supplier", "item").order_by(
        "item__sku", "priority", "pk"
    )


class DeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """Deliveries by reference, with their lines; ``receive`` books what arrived
    after incoming inspection."""

    serializer_class = DeliverySerializer
    permission_classes = [IsStaff]
    lookup_field = "reference"
    lookup_value_regex = ".+"  # "PO/2026/17" (README, Limits)
    filter_backends = [DjangoFilterBackend]
    filterset_fields = {"status": ["exact"], "supplier__code": ["exact"]}
    queryset = (
        Delivery.objects.select_related("supplier")
        .prefetch_related(
            Prefetch("lines", queryset=DeliveryLine.objects.select_related("item"))
        )
        .order_by("-created_at", "-pk")
    )

    @extend_schema(request=ReceiveSerializer, responses=DeliverySerializer)
    @action(detail=True, methods=["post"])
    def receive(self, request, reference=None):
        delivery = self.get_object()
        serializer = ReceiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        receipts = [
            LineReceipt(
                line_id=line["line"],
                quantity_received=line["quantity_received"],
                quantity_rejected=line["quantity_rejected"],
                rejection_reason=line["rejection_reason"],
            )
            for line in serializer.validated_data["lines"]
        ]
        try:
            delivery = delivery_receive(
                delivery=delivery,
                receipts=receipts,
                user=request.user,
                close=serializer.validated_data["close"],
            )
        except DeliveryNotReceivable as error:
            return Response(
                {"detail": str(error), "code": "not_receivable"},
                status=status.HTTP_409_CONFLICT,
            )
        except InvalidReceipt as error:
            raise ValidationError({"lines": [str(error)]}) from error
        return Response(
            self.get_serializer(self.get_queryset().get(pk=delivery.pk)).data
        )
