"""``/api/v1/``: the REST API, its token endpoint, OpenAPI schema and docs."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import parsers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.routers import DefaultRouter
from rest_framework.throttling import ScopedRateThrottle

from inventory_site.api_parsers import JSONParser
from items.api import (
    ItemViewSet,
    MovementViewSet,
    PlannedDemandViewSet,
    UnmetDemandViewSet,
)
from portal.api import DeliveryAnswersView, PortalLinkView, SupplierForecastView
from replenishment.api import (
    BacktestViewSet,
    ClassificationRunViewSet,
    SuggestionViewSet,
)
from suppliers.api import DeliveryViewSet, SourceViewSet, SupplierViewSet


class TokenView(ObtainAuthToken):
    """POST username and password, get ``{"token": …}`` (throttled)."""

    throttle_classes = [ScopedRateThrottle]  # ObtainAuthToken has none by default
    throttle_scope = "token"
    # ObtainAuthToken names its own parsers: ours refuses deep nesting (a 400).
    parser_classes = [parsers.FormParser, parsers.MultiPartParser, JSONParser]


class KeyRouter(DefaultRouter):
    """Lookups may hold "/" (SKUs like M6/20, references like PO/2026/17), so an
    action's URL (``deliveries/PO/1/receive/``) is tried before the detail URL,
    which would otherwise read ``PO/1/receive`` as a reference."""

    # list, list actions, detail actions, detail (DRF: list, list actions, detail, …)
    routes = [DefaultRouter.routes[i] for i in (0, 1, 3, 2)]


router = KeyRouter()
router.register("items", ItemViewSet, basename="item")
router.register("suppliers", SupplierViewSet, basename="supplier")
router.register("sources", SourceViewSet, basename="source")
router.register("deliveries", DeliveryViewSet, basename="delivery")
router.register("movements", MovementViewSet, basename="movement")
router.register("planned-demand", PlannedDemandViewSet, basename="planned-demand")
router.register("unmet-demand", UnmetDemandViewSet, basename="unmet-demand")
router.register("suggestions", SuggestionViewSet, basename="suggestion")
router.register(
    "classification-runs", ClassificationRunViewSet, basename="classification-run"
)
router.register("backtests", BacktestViewSet, basename="backtest")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline
    # script, so the Content-Security-Policy stays strict.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
    path(
        "suppliers/<path:code>/portal-link/",
        PortalLinkView.as_view(),
        name="supplier-portal-link",
    ),
    path(
        "suppliers/<path:code>/forecast/",
        SupplierForecastView.as_view(),
        name="supplier-forecast",
    ),
    path(
        "deliveries/<path:reference>/answers/",
        DeliveryAnswersView.as_view(),
        name="delivery-answers",
    ),
    *router.urls,
]

# API clients authenticate with a token or session and get 401/403 from DRF, not
# a redirect to the login page.
for pattern in urlpatterns:
    pattern.callback.login_required = False
