from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from inventory_site.charts import lead_time_chart
from inventory_site.http import staff_only

from .forms import DeliveryFilterForm, LineReceiptFormSet, ReceiveOptionsForm
from .models import OPEN_DELIVERY_STATUSES, Delivery, Supplier
from .selectors import supplier_lead_times, suppliers_riskiest
from .services import DeliveryError, InvalidReceipt, LineReceipt, delivery_receive


def supplier_list(request):
    return render(
        request, "suppliers/supplier_list.html", {"suppliers": suppliers_riskiest()}
    )


def supplier_detail(request, code):
    supplier = get_object_or_404(Supplier.objects.select_related("score"), code=code)
    sources = supplier.sources.select_related("item").order_by("item__sku")[:200]
    deliveries = (
        supplier.deliveries.annotate(line_count=Count("lines")).order_by(
            "-created_at", "-pk"
        )
    )[:20]
    return render(
        request,
        "suppliers/supplier_detail.html",
        {
            "supplier": supplier,
            "score": getattr(supplier, "score", None),
            "chart": lead_time_chart(supplier_lead_times(supplier)),
            "sources": sources,
            "deliveries": deliveries,
        },
    )


def delivery_list(request):
    form = DeliveryFilterForm(request.GET or None)
    deliveries = Delivery.objects.select_related("supplier").annotate(
        line_count=Count("lines")
    )
    status = form.cleaned_data["status"] if form.is_valid() else ""
    if status == "":
        deliveries = deliveries.filter(status__in=OPEN_DELIVERY_STATUSES)
    elif status != "all":
        deliveries = deliveries.filter(status=status)
    if form.is_valid() and form.cleaned_data["q"]:
        q = form.cleaned_data["q"]
        deliveries = deliveries.filter(
            Q(reference__icontains=q)
            | Q(supplier__code__icontains=q)
            | Q(supplier__name__icontains=q)
        )
    deliveries = deliveries.order_by("promised_date", "-created_at", "pk")
    page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "suppliers/delivery_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "today": timezone.localdate(),
        },
    )


def _receipt_formset(delivery, data=None):
    lines = list(delivery.lines.select_related("item").order_by("pk"))
    initial = [
        {"line": line.pk, "quantity_received": line.quantity_open} for line in lines
    ]
    formset = LineReceiptFormSet(data, initial=initial, prefix="lines")
    return lines, formset


def delivery_detail(request, reference):
    delivery = get_object_or_404(
        Delivery.objects.select_related("supplier"), reference=reference
    )
    lines, formset = _receipt_formset(delivery)
    return render(
        request,
        "suppliers/delivery_detail.html",
        {
            "delivery": delivery,
            "rows": list(zip(lines, formset.forms, strict=True)),
            "formset": formset,
            "options": ReceiveOptionsForm(),
        },
    )


def _mark_line_error(formset, error: InvalidReceipt) -> None:
    """Show a refused receipt on the field of its line (e.g. a quantity that
    would overflow the stock column)."""
    for form in formset.forms:
        if (
            form.cleaned_data.get("line") == error.line_id
            and error.field in form.fields
        ):
            form.add_error(error.field, str(error))


@require_POST
def delivery_receive_view(request, reference):
    """Incoming inspection: book received and rejected quantities per line."""
    staff_only(request)
    delivery = get_object_or_404(
        Delivery.objects.select_related("supplier"), reference=reference
    )
    lines, formset = _receipt_formset(delivery, request.POST)
    options = ReceiveOptionsForm(request.POST)
    if formset.is_valid() and options.is_valid():
        receipts = [
            LineReceipt(
                line_id=form.cleaned_data["line"],
                quantity_received=form.cleaned_data["quantity_received"],
                quantity_rejected=form.cleaned_data["quantity_rejected"],
                rejection_reason=form.cleaned_data["rejection_reason"],
            )
            for form in formset.forms
        ]
        try:
            delivery = delivery_receive(
                delivery=delivery,
                receipts=receipts,
                user=request.user,
                close=options.cleaned_data["close"],
            )
        except DeliveryError as error:
            messages.error(request, f"Nothing received: {error}")
            if isinstance(error, InvalidReceipt):
                _mark_line_error(formset, error)
        else:
            messages.success(
                request,
                f"Received {delivery.reference}: now "
                f"{delivery.get_status_display().lower()}.",
            )
            return redirect("delivery_detail", reference=delivery.reference)
    else:
        messages.error(request, "Nothing received: please correct the marked fields.")
    return render(
        request,
        "suppliers/delivery_detail.html",
        {
            "delivery": delivery,
            "rows": list(zip(lines, formset.forms, strict=True)),
            "formset": formset,
            "options": options,
        },
        status=400,
    )
