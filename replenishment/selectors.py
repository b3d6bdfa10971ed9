"""Read-side questions about suggestions."""

from .models import Suggestion


def suggestions_open():
    """Open suggestions, soonest first, with item and supplier loaded."""
    return (
        Suggestion.objects.open()
        .select_related("item", "supplier", "source")
        .order_by("order_by", "supplier__code", "item__sku")
    )
