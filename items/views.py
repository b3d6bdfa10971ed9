from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from inventory_site.http import messages_add_error, staff_only

from .filters import ItemPageFilter
from .forms import MovementForm
from .models import Item
from .selectors import items_for_list
from .services import StockError, stock_movement_post


def item_list(request):
    filterset = ItemPageFilter(
        request.GET, queryset=items_for_list().order_by("sku", "pk")
    )
    items, form = filterset.qs, filterset.form
    page = Paginator(items, 50, allow_empty_first_page=True).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    return render(
        request,
        "items/item_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "sort_query": sort_query.urlencode(),
            "sort": request.GET.get("sort", "sku"),
            "columns": [
                ("sku", "SKU", False),
                ("name", "Name", False),
                ("class", "Class", False),
                ("", "Policy", False),
                ("on_hand", "On hand", True),
                ("", "Reorder point", True),
                ("cover", "Days of cover", True),
                ("value", "Stock value", True),
            ],
        },
    )


@require_POST
def movement_create(request, sku):
    """Record a movement from the item page; errors go back as messages."""
    staff_only(request)
    item = get_object_or_404(Item, sku=sku)
    form = MovementForm(request.POST)
    if form.is_valid():
        try:
            movement = stock_movement_post(
                item=item,
                kind=form.cleaned_data["kind"],
                quantity=form.cleaned_data["quantity"],
                note=form.cleaned_data["note"],
                reference=form.cleaned_data["reference"],
                user=request.user,
            )
        except StockError as error:
            messages_add_error(request, error, prefix="Nothing recorded: ")
        else:
            messages.success(
                request,
                f"Recorded {movement.get_kind_display().lower()} of "
                f"{abs(movement.quantity).normalize():f} {item.unit}; "
                f"on hand now {item.on_hand.normalize():f}.",
            )
            return redirect("item_detail", sku=item.sku)
    else:
        errors = "; ".join(
            f"{form[name].label}: {' '.join(msgs)}"
            for name, msgs in form.errors.items()
        )
        messages.error(request, f"Nothing recorded: {errors}")
    return redirect("item_detail", sku=item.sku)
