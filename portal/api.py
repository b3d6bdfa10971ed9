"""Staff API of the portal, under the suppliers' paths:

- ``POST /api/v1/suppliers/{code}/portal-link/`` → ``{"url", "expires_at"}``
  (optional ``{"days": n}``); ``DELETE`` revokes every link of the supplier → 204.
- ``GET /api/v1/suppliers/{code}/forecast/`` → the forecast the supplier sees.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory_site.api_permissions import IsStaff
from suppliers.models import Supplier

from .serializers import (
    ForecastSerializer,
    PortalLinkRequestSerializer,
    PortalLinkSerializer,
)
from .services import forecast_refresh, portal_link_create, portal_links_revoke
from .views import forecast_json


class PortalLinkView(APIView):
    """Make a supplier portal link (the URL is shown only in this answer), or
    revoke all of them."""

    permission_classes = [IsStaff]

    @extend_schema(request=PortalLinkRequestSerializer, responses=PortalLinkSerializer)
    def post(self, request, code):
        supplier = get_object_or_404(Supplier, code=code)
        options = PortalLinkRequestSerializer(data=request.data or {})
        options.is_valid(raise_exception=True)
        url, expires_at = portal_link_create(
            supplier=supplier,
            days=options.validated_data.get("days"),
            user=request.user,
        )
        return Response(
            PortalLinkSerializer({"url": url, "expires_at": expires_at}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, code):
        supplier = get_object_or_404(Supplier, code=code)
        portal_links_revoke(supplier=supplier)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SupplierForecastView(APIView):
    """The forecast this supplier sees on its portal (same revision numbers)."""

    permission_classes = [IsStaff]

    @extend_schema(responses=ForecastSerializer)
    def get(self, request, code):
        supplier = get_object_or_404(Supplier, code=code)
        return Response(forecast_json(forecast_refresh(supplier=supplier)))
