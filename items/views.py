from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from inventory_site.formatting import prefixed, quantity, quantity_with_unit
from inventory_site.http import staff_only

from .exports import ExportTable, export_format, export_links, export_response
from .forms import ItemFilterForm, MovementForm, UnmetDemandForm
from .models import Item
from .selectors import items_for_list
from .services import (
    InsufficientStock,
    StockError,
    stock_movement_post,
    unmet_demand_record,
)

ITEM_EXPORT_HEADERS = [
    "sku", "name", "unit", "abc_class", "xyz_class", "policy", "jit_pilot",
    "on_hand", "reorder_point", "avg_daily_demand", "days_of_cover", "unit_cost",
    "stock_value", "currency",
]  # fmt: skip


def item_list(request):
    """Items with filters and sort; ``export=csv|xlsx`` downloads every filtered
    row; a search that is exactly one SKU opens that item."""
    form = ItemFilterForm(request.GET or None)
    items = form.filter(items_for_list()) if form.is_bound else items_for_list()
    fmt = export_format(request)
    if fmt:
        currency = settings.CURRENCY
        return export_response(
            request,
            ExportTable(
                name="items",
                headers=ITEM_EXPORT_HEADERS,
                rows=(
                    [
                        i.sku,
                        i.name,
                        i.unit,
                        i.abc_class,
                        i.xyz_class,
                        i.policy,
                        i.jit_pilot,
                        i.on_hand,
                        i.reorder_point,
                        i.avg_daily_demand,
                        i.days_of_cover,
                        i.unit_cost,
                        i.stock_value,
                        currency,
                    ]
                    for i in items.iterator(chunk_size=2000)
                ),  # fmt: skip
            ),
        )
    match = _exact_sku(form)
    if match is not None:
        return redirect("item_detail", sku=match)
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
            "exports": export_links(request),
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


def _exact_sku(form) -> str | None:
    """The SKU typed into the search when it names exactly one item (a scanned
    label) and nothing else narrows the list; exact case first."""
    if not form.is_bound or not form.is_valid():
        return None
    data = form.cleaned_data
    q = (data.get("q") or "").strip()
    others = [k for k, v in data.items() if k not in ("q", "sort") and v]
    if not q or others:
        return None
    skus = list(Item.objects.filter(sku__iexact=q).values_list("sku", flat=True)[:2])
    if q in skus:
        return q
    return skus[0] if len(skus) == 1 else None


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
                record_unmet=form.cleaned_data["record_unmet"],
                user=request.user,
            )
        except InsufficientStock as error:
            if error.unmet is None:
                messages.error(request, f"Nothing recorded: {error}")
            else:
                missing = error.unmet.quantity.normalize()
                messages.warning(
                    request,
                    f"Nothing issued: {error} Recorded {missing:f} {item.unit} as "
                    "unmet demand.",
                )
        except StockError as error:
            messages.error(request, prefixed("Nothing recorded", error))
        else:
            messages.success(
                request,
                f"Recorded {movement.get_kind_display().lower()} of "
                f"{quantity_with_unit(abs(movement.quantity), item.unit)}; "
                f"on hand now {quantity(item.on_hand, item.unit)}.",
            )
            return redirect("item_detail", sku=item.sku)
    else:
        errors = "; ".join(
            f"{form[name].label}: {' '.join(msgs)}"
            for name, msgs in form.errors.items()
        )
        messages.error(request, f"Nothing recorded: {errors}")
    return redirect("item_detail", sku=item.sku)


@require_POST
def unmet_demand_create(request, sku):
    """Record unmet demand from the item page (nothing is issued)."""
    staff_only(request)
    item = get_object_or_404(Item, sku=sku)
    form = UnmetDemandForm(request.POST, prefix=UnmetDemandForm.PREFIX)
    if form.is_valid():
        try:
            record = unmet_demand_record(
                item=item,
                quantity=form.cleaned_data["quantity"],
                reason=form.cleaned_data["reason"],
                reference=form.cleaned_data["reference"],
                note=form.cleaned_data["note"],
                user=request.user,
            )
        except StockError as error:
            messages.error(request, f"Nothing recorded: {error}")
        else:
            messages.success(
                request,
                f"Recorded {record.quantity.normalize():f} {item.unit} of unmet "
                "demand; planning counts it as demand.",
            )
    else:
        errors = "; ".join(
            f"{form[name].label}: {' '.join(msgs)}"
            for name, msgs in form.errors.items()
        )
        messages.error(request, f"Nothing recorded: {errors}")
    return redirect("item_detail", sku=item.sku)
