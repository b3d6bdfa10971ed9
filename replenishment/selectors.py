"""Read-side questions about suggestions."""

from datetime import date

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Min, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from .models import Suggestion


def suggestions_open():
    """Open suggestions, soonest first, with item and supplier loaded."""
    return (
        Suggestion.objects.open()
        .select_related("item", "supplier", "source")
        .order_by("order_by", "supplier__code", "item__sku")
    )


PER_SUPPLIER = 25


def suggestions_by_supplier(
    *, per_supplier: int = PER_SUPPLIER, suppliers_per_page: int = 10, page=1
) -> tuple[list[dict], Page]:
    """Open suggestions grouped by supplier (suppliers whose first order is due
    soonest come first), a page of suppliers at a time: each group's first
    ``per_supplier`` suggestions and its total. Two queries whatever the count."""
    totals = list(
        Suggestion.objects.open()
        .values("supplier_id")
        .annotate(n=Count("pk"), first_due=Min("order_by"))
        .order_by("first_due", "supplier_id")
        .values_list("supplier_id", "n")
    )
    suppliers_page = Paginator(totals, suppliers_per_page).get_page(page)
    on_page = dict(suppliers_page.object_list)
    ranked = (
        suggestions_open()
        .filter(supplier_id__in=on_page)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("supplier_id")],
                order_by=[F("order_by").asc(), F("item__sku").asc()],
            )
        )
        .filter(rank__lte=per_supplier)
    )
    groups: dict[int, dict] = {
        supplier_id: {"suggestions": [], "total": n}
        for supplier_id, n in on_page.items()
    }
    for suggestion in ranked:
        group = groups[suggestion.supplier_id]
        group["supplier"] = suggestion.supplier
        group["suggestions"].append(suggestion)
    return [g for g in groups.values() if g["suggestions"]], suppliers_page


def suggestions_due_counts(supplier_ids, *, today=None) -> dict[int, int]:
    """Open suggestions due (order-by on or before today) per supplier."""
    today = today or timezone.localdate()
    return dict(
        Suggestion.objects.open()
        .filter(supplier_id__in=list(supplier_ids), order_by__lte=today)
        .values("supplier_id")
        .annotate(n=Count("pk"))
        .values_list("supplier_id", "n")
    )


def suggestions_due(
    *, supplier, today: date | None = None, include_early: bool = False
):
    """A supplier's open suggestions that are due: order-by on or before today
    (with ``include_early``, its not-yet-due ones too)."""
    open_ones = Suggestion.objects.open().filter(supplier=supplier)
    if include_early:
        return open_ones
    return open_ones.filter(order_by__lte=today or timezone.localdate())
