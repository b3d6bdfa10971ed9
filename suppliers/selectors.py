"""Read-side questions about suppliers and deliveries."""

from django.db.models import Count, Q
from django.utils import timezone

from .models import OPEN_DELIVERY_STATUSES, Delivery, Supplier


def supplier_overview() -> dict:
    """Headline supplier and delivery figures in two queries."""
    today = timezone.localdate()
    figures = Supplier.objects.aggregate(
        suppliers=Count("pk", filter=Q(active=True)),
    )
    figures.update(
        Delivery.objects.aggregate(
            open_deliveries=Count("pk", filter=Q(status__in=OPEN_DELIVERY_STATUSES)),
            late_deliveries=Count(
                "pk",
                filter=Q(status__in=OPEN_DELIVERY_STATUSES, promised_date__lt=today),
            ),
        )
    )
    return figures


def deliveries_open_recent(*, limit: int = 10):
    return (
        Delivery.objects.open()
        .select_related("supplier")
        .annotate(line_count=Count("lines"))
        .order_by("promised_date", "pk")[:limit]
    )
