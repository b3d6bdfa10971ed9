from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters, mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from inventory_site.api_permissions import IsStaff, StaffReadsAdminWrites

from .filters import ItemFilter
from .models import PlannedDemand, StockMovement, UnmetDemand
from .selectors import items_for_list
from .serializers import (
    ItemSerializer,
    MovementSerializer,
    PlannedDemandSerializer,
    UnmetDemandSerializer,
)
from .services import (
    InsufficientStock,
    InvalidMovementDate,
    InvalidQuantity,
    PlannedDemandInput,
    planned_demand_replace,
    stock_movement_post,
    unmet_demand_record,
)


class ItemViewSet(viewsets.ModelViewSet):
    """Items by SKU. Stock and planning figures are read-only: stock changes only
    through movements."""

    serializer_class = ItemSerializer
    permission_classes = [StaffReadsAdminWrites]
    lookup_field = "sku"
    lookup_value_regex = ".+"  # SKUs may hold "/" and "." (README, Limits)
    filter_backends = [
        DjangoFilterBackend,
        filters.SearchFilter,
        filters.OrderingFilter,
    ]
    filterset_class = ItemFilter
    search_fields = ["sku", "name"]
    ordering_fields = ["sku", "name", "on_hand", "unit_cost", "annual_value"]
    ordering = ["sku"]
    queryset = items_for_list()


class MovementViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """The stock ledger: list movements, or post one (consumption, receipt,
    adjustment, scrap). An issue beyond stock answers 409 and changes nothing."""

    serializer_class = MovementSerializer
    permission_classes = [IsStaff]
    filter_backends = [DjangoFilterBackend]
    filterset_fields = {
        "item__sku": ["exact"],
        "kind": ["exact"],
        "occurred_at": ["gte", "lt"],
    }
    queryset = StockMovement.objects.select_related("item", "created_by").order_by(
        "-occurred_at", "-pk"
    )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            movement = stock_movement_post(
                item=data["item"],
                kind=data["kind"],
                quantity=data["quantity"],
                occurred_at=data.get("occurred_at"),
                note=data.get("note", ""),
                reference=data.get("reference", ""),
                record_unmet=data.get("record_unmet", False),
                user=request.user,
            )
        except InvalidQuantity as error:
            raise ValidationError({"quantity": [str(error)]}) from error
        except InvalidMovementDate as error:
            raise ValidationError({"occurred_at": [str(error)]}) from error
        except InsufficientStock as error:
            body = {"detail": str(error), "code": "insufficient_stock"}
            if error.unmet is not None:
                body["unmet_demand"] = UnmetDemandSerializer(error.unmet).data
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response(
            self.get_serializer(movement).data, status=status.HTTP_201_CREATED
        )


class UnmetDemandViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Requests that found no stock (append-only: no edit, no delete). Planning
    counts them as demand of their day, beside the issues. Filter by ``sku``,
    ``reason`` and ``occurred_at`` range. An issue refused for lack of stock can
    record its shortfall itself: POST it to ``movements/`` with
    ``"record_unmet": true``."""

    serializer_class = UnmetDemandSerializer
    permission_classes = [IsStaff]
    lookup_value_regex = r"\d{1,18}"
    filter_backends = [DjangoFilterBackend]
    filterset_fields = {
        "item__sku": ["exact"],
        "reason": ["exact"],
        "occurred_at": ["gte", "lt"],
    }
    queryset = UnmetDemand.objects.select_related("item", "created_by").order_by(
        "-occurred_at", "-pk"
    )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            record = unmet_demand_record(
                item=data["item"],
                quantity=data["quantity"],
                occurred_at=data.get("occurred_at"),
                reason=data["reason"],
                reference=data.get("reference", ""),
                note=data.get("note", ""),
                user=request.user,
            )
        except InvalidQuantity as error:
            raise ValidationError({"quantity": [str(error)]}) from error
        except InvalidMovementDate as error:
            raise ValidationError({"occurred_at": [str(error)]}) from error
        return Response(
            self.get_serializer(record).data, status=status.HTTP_201_CREATED
        )


class PlannedDemandViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Known future demand (production schedules, customer orders). POST one line
    or a list of lines (all or nothing); a line with a reference replaces that
    reference's earlier lines. Filter by ``sku``, ``reference``, ``status`` and
    ``date`` range."""

    serializer_class = PlannedDemandSerializer
    permission_classes = [IsStaff]
    filter_backends = [DjangoFilterBackend]
    filterset_fields = {
        "item__sku": ["exact"],
        "reference": ["exact"],
        "status": ["exact"],
        "date": ["gte", "lte"],
    }
    queryset = PlannedDemand.objects.select_related("item").order_by("date", "pk")

    def create(self, request, *args, **kwargs):
        many = isinstance(request.data, list)
        serializer = self.get_serializer(data=request.data, many=many)
        serializer.is_valid(raise_exception=True)
        rows = serializer.validated_data if many else [serializer.validated_data]
        _, added = planned_demand_replace(
            lines=[
                PlannedDemandInput(
                    item_id=row["item"].pk,
                    date=row["date"],
                    quantity=row["quantity"],
                    status=row["status"],
                    reference=row.get("reference", ""),
                )
                for row in rows
            ],
            source="api",
        )
        data = self.get_serializer(added, many=True).data
        return Response(data if many else data[0], status=status.HTTP_201_CREATED)
