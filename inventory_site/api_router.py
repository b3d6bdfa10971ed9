"""``/api/v1/``: the REST API, its token endpoint, OpenAPI schema and docs."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.routers import DefaultRouter
from rest_framework.throttling import ScopedRateThrottle

from items.api import ItemViewSet, MovementViewSet
from portal.api import DeliveryAnswersView, PortalLinkView, SupplierForecastView
from replenishment.api import ClassificationRunViewSet, SuggestionViewSet
from suppliers.api import DeliveryViewSet, SourceViewSet, SupplierViewSet


class TokenView(ObtainAuthToken):
    """POST username and password, get ``{"token": …}`` (throttled)."""

    throttle_classes = [ScopedRateThrottle]  # ObtainAuthToken has none by default
    throttle_scope = "token"


router = DefaultRouter()
router.register("items", ItemViewSet, basename="item")
router.register("suppliers", SupplierViewSet, basename="supplier")
router.register("sources", SourceViewSet, basename="source")
router.register("deliveries", DeliveryViewSet, basename="delivery")
router.register("movements", MovementViewSet, basename="movement")
router.register("suggestions", SuggestionViewSet, basename="suggestion")
router.register(
    "classification-runs", ClassificationRunViewSet, basename="classification-run"
)

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
