from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from inventory_site.api_permissions import IsStaff, IsSuperuser
from items.models import ClassificationRun
from items.serializers import ClassificationRunSerializer
from suppliers.models import Supplier

from .backtest_runner import BacktestError
from .models import Backtest, Suggestion
from .serializers import (
    AcceptOneSerializer,
    AcceptSerializer,
    BacktestListSerializer,
    BacktestRequestSerializer,
    BacktestSerializer,
    DismissSerializer,
    SuggestionSerializer,
)
from .services import (
    SuggestionError,
    backtest_request,
    classification_run_request,
    suggestion_dismiss,
    suggestions_accept,
    suggestions_accept_due,
)

BAD_INPUT_CODES = {"invalid_quantity", "nothing_selected"}


def _conflict(error: SuggestionError) -> Response:
    """A suggestion no longer open (or none due) is a conflict; a bad quantity is
    bad input. Either way ``{"detail", "code"}`` and nothing changed."""
    code = (
        status.HTTP_400_BAD_REQUEST
        if error.code in BAD_INPUT_CODES
        else status.HTTP_409_CONFLICT
    )
    return Response({"detail": str(error), "code": error.code}, status=code)


class SuggestionViewSet(viewsets.ReadOnlyModelViewSet):
    """Reorder suggestions (open ones by default: ``?status=`` for others).
    Accepting creates draft deliveries, one per supplier; dismissing snoozes."""

    serializer_class = SuggestionSerializer
    permission_classes = [IsStaff]
    lookup_value_regex = r"\d{1,18}"  # a bigint, else 404 (never a 500)
    filter_backends = [DjangoFilterBackend]
    filterset_fields = {"status": ["exact"], "supplier__code": ["exact"]}
    queryset = Suggestion.objects.select_related(
        "item", "supplier", "delivery"
    ).order_by("order_by", "supplier__code", "item__sku")

    def get_queryset(self):
        queryset = super().get_queryset()
        if "status" not in self.request.query_params and self.action == "list":
            queryset = queryset.filter(status="open")
        return queryset

    def _accept(self, suggestions, request, quantities=None) -> Response:
        try:
            deliveries = suggestions_accept(
                suggestions=suggestions, quantities=quantities, user=request.user
            )
        except SuggestionError as error:
            return _conflict(error)
        return self._accepted(deliveries, len(suggestions))

    def _accepted(self, deliveries, count: int) -> Response:
        return Response(
            {"deliveries": [d.reference for d in deliveries], "accepted": count},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=AcceptOneSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept into the supplier's open draft, optionally with a changed
        ``quantity`` (the suggestion keeps both figures)."""
        suggestion = self.get_object()
        serializer = AcceptOneSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        quantity = serializer.validated_data.get("quantity")
        quantities = {suggestion.pk: quantity} if quantity is not None else None
        return self._accept([suggestion], request, quantities)

    @extend_schema(request=AcceptSerializer, operation_id="suggestions_accept_many")
    @action(detail=False, methods=["post"], url_path="accept")
    def accept_many(self, request):
        """``{"ids": [...]}`` (optionally ``"quantities": {id: q}``), or
        ``{"supplier": CODE, "due": true}`` for all of a supplier's due ones
        (order-by today or earlier; ``"include_early": true`` adds the rest)."""
        serializer = AcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "ids" not in data:
            supplier = Supplier.objects.filter(code=data["supplier"]).first()
            if supplier is None:
                raise NotFound(f"No supplier with code {data['supplier']}.")
            try:
                delivery, count = suggestions_accept_due(
                    supplier=supplier,
                    user=request.user,
                    include_early=data["include_early"],
                )
            except SuggestionError as error:
                return _conflict(error)
            return self._accepted([delivery], count)
        suggestions = list(Suggestion.objects.filter(pk__in=data["ids"]))
        if len(suggestions) != len(set(data["ids"])):
            raise NotFound("Some of the ids are not suggestions.")
        return self._accept(suggestions, request, data.get("quantities"))

    @extend_schema(request=DismissSerializer, responses=SuggestionSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        serializer = DismissSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            suggestion = suggestion_dismiss(
                suggestion=self.get_object(),
                user=request.user,
                snooze_days=serializer.validated_data.get("snooze_days"),
            )
        except SuggestionError as error:
            return _conflict(error)
        return Response(self.get_serializer(suggestion).data)


class ClassificationRunViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """ABC/XYZ runs. POST starts one in the background (202 with its id)."""

    serializer_class = ClassificationRunSerializer
    lookup_value_regex = r"\d{1,18}"
    queryset = ClassificationRun.objects.order_by("-created_at", "-pk")

    def get_permissions(self):
        return [IsSuperuser()] if self.action == "create" else [IsStaff()]

    @extend_schema(request=None, responses={202: ClassificationRunSerializer})
    def create(self, request, *args, **kwargs):
        run = classification_run_request(requested_by=request.user)
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)


class BacktestViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Backtests (DESIGN §6). POST (superusers) starts one in the background: 202
    with its id; GET shows status, progress and, once done, the report."""

    serializer_class = BacktestSerializer
    lookup_value_regex = r"\d{1,18}"
    queryset = Backtest.objects.order_by("-created_at", "-pk")

    def get_permissions(self):
        return [IsSuperuser()] if self.action == "create" else [IsStaff()]

    def get_serializer_class(self):
        if self.action == "list":
            return BacktestListSerializer
        return BacktestSerializer

    @extend_schema(
        request=BacktestRequestSerializer, responses={202: BacktestSerializer}
    )
    def create(self, request, *args, **kwargs):
        serializer = BacktestRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        overrides = {
            key: (str(value) if not isinstance(value, dict) else dict(value))
            for key, value in data.get("overrides", {}).items()
        }
        try:
            run = backtest_request(
                days=data["days"],
                seed=data["seed"],
                skus=data.get("items") or None,
                overrides=overrides,
                requested_by=request.user,
            )
        except BacktestError as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(BacktestSerializer(run).data, status=status.HTTP_202_ACCEPTED)
