import json

from django.db.models import Prefetch
from django.http import HttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import filters, renderers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from inventory_site.api_permissions import IsStaff, StaffReadsAdminWrites

from .documents import purchase_order_pdf
from .models import Delivery, DeliveryLine, Supplier, SupplierItem
from .serializers import (
    CancelSerializer,
    DeliverySerializer,
    PlaceSerializer,
    ReceiveSerializer,
    SourceSerializer,
    SupplierSerializer,
    TransitionErrorSerializer,
)
from .services import (
    LineReceipt,
    check_receivable,
    delivery_cancel,
    delivery_close_short,
    delivery_place_order,
    delivery_receive,
    line_receipt_prefill,
)


class PDFRenderer(renderers.BaseRenderer):
    """Lets clients ask for ``application/pdf``; errors still render as JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode()


REFUSED = {
    400: OpenApiResponse(TransitionErrorSerializer, description="Bad input."),
    409: OpenApiResponse(
        TransitionErrorSerializer, description="Not allowed in this status."
    ),
}


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
            Prefetch(
                "lines",
                queryset=DeliveryLine.objects.with_expected()
                .select_related("item")
                .order_by("pk"),
            )
        )
        .order_by("-created_at", "-pk")
    )

    @extend_schema(
        request=ReceiveSerializer, responses={200: DeliverySerializer, **REFUSED}
    )
    @action(detail=True, methods=["post"])
    def receive(self, request, reference=None):
        """Book what arrived. Receiving starts from the supplier's ship notices:
        a line without ``quantity_received`` takes what they announced, and no
        ``lines`` at all receives every announced line as announced."""
        delivery = self.get_object()
        check_receivable(delivery)  # the state first: 409 (DomainError)
        serializer = ReceiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        receipts = self._receipts(delivery, serializer.validated_data)
        delivery = delivery_receive(
            delivery=delivery,
            receipts=receipts,
            user=request.user,
            close=serializer.validated_data["close"],
        )
        return self._fresh(delivery)

    @staticmethod
    def _receipts(delivery, data) -> list[LineReceipt]:
        lines = {line.pk: line for line in delivery.lines.all()}
        prefill = {pk: line_receipt_prefill(line) for pk, line in lines.items()}
        given = data.get("lines")
        if given is None:
            given = [
                {"line": pk, "quantity_rejected": 0, "rejection_reason": ""}
                for pk, line in lines.items()
                if line.ship_arrival is not None and prefill[pk] > 0
            ]
            if not given:
                raise ValidationError(
                    {"lines": ["List the lines received: no ship notice announces "
                               "anything still to receive."]}
                )  # fmt: skip
        errors = []
        for row in given:
            line = lines.get(row["line"])
            if "quantity_received" in row or line is None:
                errors.append({})
            elif line.ship_arrival is None:
                errors.append(
                    {"quantity_received": ["Required: no ship notice announces "
                                           "this line."]}
                )  # fmt: skip
            else:
                errors.append({})
        if any(errors):
            raise ValidationError({"lines": errors})
        return [
            LineReceipt(
                line_id=row["line"],
                quantity_received=row.get(
                    "quantity_received", prefill.get(row["line"])
                ),
                quantity_rejected=row["quantity_rejected"],
                rejection_reason=row["rejection_reason"],
            )
            for row in given
        ]

    def _fresh(self, delivery) -> Response:
        return Response(
            self.get_serializer(self.get_queryset().get(pk=delivery.pk)).data
        )

    @extend_schema(
        request=PlaceSerializer, responses={200: DeliverySerializer, **REFUSED}
    )
    @action(detail=True, methods=["post"])
    def place(self, request, reference=None):
        """Draft → ordered; the purchase order is e-mailed to the supplier
        (``sent_to``/``sent_at``; a failure shows in ``send_error`` and is
        retried)."""
        delivery = self.get_object()
        serializer = PlaceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        delivery = delivery_place_order(
            delivery=delivery,
            promised_date=serializer.validated_data.get("promised_date"),
            user=request.user,
        )
        return self._fresh(delivery)

    @extend_schema(
        request=CancelSerializer, responses={200: DeliverySerializer, **REFUSED}
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, reference=None):
        """Draft or ordered → cancelled, with a reason; the open quantity no
        longer counts as on order."""
        delivery = self.get_object()
        serializer = CancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        delivery = delivery_cancel(
            delivery=delivery,
            reason=serializer.validated_data["reason"],
            user=request.user,
        )
        return self._fresh(delivery)

    @extend_schema(request=None, responses={200: DeliverySerializer, **REFUSED})
    @action(detail=True, methods=["post"], url_path="close-short")
    def close_short(self, request, reference=None):
        """Partially received → received: what is still owed (rejected parts
        included) is recorded as the shortfall."""
        delivery = delivery_close_short(delivery=self.get_object(), user=request.user)
        return self._fresh(delivery)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The purchase order as a PDF."
            )
        }
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, PDFRenderer],
    )
    def document(self, request, reference=None):
        """The purchase-order document (PDF)."""
        delivery = self.get_object()
        response = HttpResponse(
            purchase_order_pdf(delivery), content_type="application/pdf"
        )
        name = "".join(c if c.isalnum() or c in "-_." else "-" for c in reference)
        response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
        return response
