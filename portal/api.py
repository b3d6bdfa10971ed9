"""Staff API of the portal, under the suppliers' paths:

- ``POST /api/v1/suppliers/{code}/portal-link/`` → ``{"url", "expires_at"}``
  (optional ``{"days": n}``); ``DELETE`` revokes every link of the supplier → 204.
- ``GET /api/v1/suppliers/{code}/forecast/`` → the forecast the supplier sees.
- ``GET /api/v1/deliveries/{reference}/answers/`` → per line the supplier's
  ``confirmed_quantity``, ``confirmed_date``, shipped quantity and the
  ``expected_arrival`` (kept here: the suppliers' API does not import portal).
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory_site.api_permissions import IsStaff
from suppliers.models import Delivery, Supplier

from .selectors import line_states
from .serializers import (
    DeliveryAnswersSerializer,
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


class DeliveryAnswersView(APIView):
    """The supplier's answers per line of one delivery."""

    permission_classes = [IsStaff]

    @extend_schema(responses=DeliveryAnswersSerializer)
    def get(self, request, reference):
        delivery = get_object_or_404(Delivery, reference=reference)
        lines = list(delivery.lines.select_related("item", "delivery").order_by("pk"))
        states = line_states(lines)
        data = {
            "reference": delivery.reference,
            "lines": [
                {
                    "line": line.pk,
                    "sku": line.item.sku,
                    "quantity_ordered": line.quantity_ordered,
                    "answer": states[line.pk].action,
                    "confirmed_quantity": states[line.pk].confirmed_quantity,
                    "confirmed_date": states[line.pk].confirmed_date,
                    "shipped_quantity": states[line.pk].shipped_quantity,
                    "expected_arrival": states[line.pk].expected_arrival,
                }
                for line in lines
            ],
        }
        return Response(DeliveryAnswersSerializer(data).data)
