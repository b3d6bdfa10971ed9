from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from inventory_site.api_permissions import IsStaff, IsSuperuser
from items.models import ClassificationRun
from items.serializers import ClassificationRunSerializer

from .backtest_services import BacktestError, backtest_request
from .models import Backtest, Suggestion
from .serializers import (
    AcceptSerializer,
    BacktestListSerializer,
    BacktestRequestSerializer,
    BacktestSerializer,
    DismissSerializer,
    SuggestionSerializer,
)
from .services import (
    SuggestionError,
    classification_run_request,
    suggestion_dismiss,
    suggestions_accept,
)


def _conflict(error: Exception) -> Response:
    return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)


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

    def _accept(self, suggestions, request) -> Response:
        try:
            deliveries = suggestions_accept(suggestions=suggestions, user=request.user)
        except SuggestionError as error:
            return _conflict(error)
        return Response(
            {"deliveries": [d.reference for d in deliveries]},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._accept([self.get_object()], request)

    @extend_schema(request=AcceptSerializer, operation_id="suggestions_accept_many")
    @action(detail=False, methods=["post"], url_path="accept")
    def accept_many(self, request):
        serializer = AcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = serializer.validated_data["ids"]
        return self._accept(list(Suggestion.objects.filter(pk__in=ids)), request)

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
