from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from inventory_site.charts import lead_time_chart
from inventory_site.errors import DomainError
from inventory_site.formatting import exact, quantity_with_unit
from inventory_site.http import messages_add_error, staff_only
from items.exports import ExportTable, export_format, export_links, export_response

from .documents import purchase_order_context, purchase_order_pdf
from .forms import (
    CancelForm,
    DeliveryFilterForm,
    LineQuantityForm,
    LineReceiptFormSet,
    PlaceOrderForm,
    ReceiveOptionsForm,
)
from .models import (
    OPEN_DELIVERY_STATUSES,
    Delivery,
    DeliveryLine,
    DeliveryStatus,
    RiskLevel,
    Supplier,
)
from .selectors import (
    delivery_lines_expected,
    supplier_lead_times,
    suppliers_riskiest,
)
from .services import (
    DeliveryError,
    InvalidReceipt,
    LineReceipt,
    delivery_cancel,
    delivery_close_short,
    delivery_line_update,
    delivery_place_order,
    delivery_receive,
    delivery_send_order,
    line_receipt_maximum,
    line_receipt_prefill,
    receipt_tolerance,
)


def supplier_list(request):
    level = request.GET.get("level", "")
    level = level if level in RiskLevel.values else ""
    suppliers = suppliers_riskiest(level=level)
    if export_format(request):
        return export_response(
            request,
            ExportTable(
                name="suppliers",
                headers=SUPPLIER_EXPORT_HEADERS,
                rows=(_supplier_row(s) for s in suppliers.iterator(chunk_size=500)),
            ),
        )
    return render(
        request,
        "suppliers/supplier_list.html",
        {
            "suppliers": suppliers,
            "level": level,
            "exports": export_links(request),
            "levels": RiskLevel.choices,
        },
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


DELIVERY_EXPORT_HEADERS = [
    "reference", "supplier", "supplier_name", "status", "late", "ordered_at",
    "promised_date", "received_at", "lines",
]  # fmt: skip
SUPPLIER_EXPORT_HEADERS = [
    "code", "name", "email", "risk_level", "risk_score", "performance_score",
    "dependency_score", "history_sufficient", "deliveries_365d", "on_time_rate",
    "fill_rate", "defect_rate", "lead_time_mean_days", "lead_time_std_days",
    "lead_time_cv", "single_source_exposure", "exposure_share", "currency",
]  # fmt: skip


def _supplier_row(supplier) -> list:
    score = getattr(supplier, "score", None)
    head = [supplier.code, supplier.name, supplier.email]
    if score is None:
        return head + [""] * (len(SUPPLIER_EXPORT_HEADERS) - len(head))
    return head + [
        score.risk_level, score.risk_score, score.performance_score,
        score.dependency_score, score.history_sufficient, score.deliveries_count,
        score.on_time_rate, score.fill_rate, score.defect_rate,
        score.lead_time_mean_days, score.lead_time_std_days, score.lead_time_cv,
        score.single_source_exposure, score.exposure_share, settings.CURRENCY,
    ]  # fmt: skip


def delivery_list(request):
    form = DeliveryFilterForm(request.GET or None)
    deliveries = Delivery.objects.select_related("supplier").annotate(
        line_count=Count("lines")
    )
    today = timezone.localdate()
    status = form.cleaned_data["status"] if form.is_valid() else ""
    if status == "":  # drafts (to order) and everything still expected
        deliveries = deliveries.on_order()
    elif status == "open":
        deliveries = deliveries.filter(status__in=OPEN_DELIVERY_STATUSES)
    elif status == "late":
        deliveries = deliveries.late(today=today)
    elif status != "all":
        deliveries = deliveries.filter(status=status)
    if form.is_valid() and form.cleaned_data["q"]:
        q = form.cleaned_data["q"]
        deliveries = deliveries.filter(
            Q(reference__icontains=q)
            | Q(supplier__code__icontains=q)
            | Q(supplier__name__icontains=q)
        )
    # Late first, then drafts waiting to be ordered, then by promised date.
    rank = Case(
        When(status__in=OPEN_DELIVERY_STATUSES, promised_date__lt=today, then=Value(0)),
        When(status=DeliveryStatus.DRAFT, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    deliveries = deliveries.annotate(rank=rank).order_by(
        "rank", "promised_date", "-created_at", "pk"
    )
    if export_format(request):
        return export_response(
            request,
            ExportTable(
                name="deliveries",
                headers=DELIVERY_EXPORT_HEADERS,
                rows=(
                    [
                        d.reference,
                        d.supplier.code,
                        d.supplier.name,
                        d.status,
                        d.rank == 0,
                        d.ordered_at,
                        d.promised_date,
                        d.received_at,
                        d.line_count,
                    ]
                    for d in deliveries.iterator(chunk_size=2000)
                ),  # fmt: skip
            ),
        )
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
            "today": today,
            "exports": export_links(request),
        },
    )


def _receipt_formset(delivery, data=None):
    """The receiving form, one row per line, starting from what the supplier's
    ship notices announced (else the open quantity): ``line_receipt_prefill``."""
    lines = delivery_lines_expected(delivery)
    initial = [
        {"line": line.pk, "quantity_received": exact(line_receipt_prefill(line))}
        for line in lines
    ]
    formset = LineReceiptFormSet(data, initial=initial, prefix="lines")
    return lines, formset


def _detail_context(delivery, lines, formset, options=None, **extra) -> dict:
    tolerance = receipt_tolerance()
    for line in lines:
        line.receipt_maximum = line_receipt_maximum(line, tolerance)
    ctx = purchase_order_context(delivery)
    return {
        "delivery": delivery,
        "rows": list(zip(lines, formset.forms, strict=True)),
        "formset": formset,
        "options": options or ReceiveOptionsForm(),
        "tolerance_percent": tolerance * 100,
        "total": ctx["total"],
        "currency": ctx["currency"],
        "place_form": PlaceOrderForm(),
        "cancel_form": CancelForm(),
        "late": delivery.is_late(),
        "shipped": any(line.ship_arrival for line in lines),
        **extra,
    }


def _get_delivery(reference):
    return get_object_or_404(
        Delivery.objects.select_related("supplier"), reference=reference
    )


def delivery_detail(request, reference):
    delivery = _get_delivery(reference)
    lines, formset = _receipt_formset(delivery)
    return render(
        request,
        "suppliers/delivery_detail.html",
        _detail_context(delivery, lines, formset),
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
    delivery = _get_delivery(reference)
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
            messages_add_error(request, error, prefix="Nothing received")
            if isinstance(error, InvalidReceipt):
                _mark_line_error(formset, error)
        else:
            messages.success(
                request,
                f"Received {delivery.reference}: now "
                f"{delivery.get_status_display().lower()}.",
            )
            for note in delivery.receipt_notes:
                messages.warning(request, note)
            return redirect("delivery_detail", reference=delivery.reference)
    else:
        messages.error(request, "Nothing received: please correct the marked fields.")
    return render(
        request,
        "suppliers/delivery_detail.html",
        _detail_context(delivery, lines, formset, options),
        status=400,
    )


def _refused(request, delivery, error, *, form_name=None, form=None):
    """Show the delivery again with the refusal (a ``DeliveryError``, or the
    message of a form that did not validate: 400); nothing was changed."""
    if isinstance(error, DomainError):
        messages_add_error(request, error)
    else:
        messages.error(request, error)
    lines, formset = _receipt_formset(delivery)
    extra = {form_name: form} if form_name else {}
    return render(
        request,
        "suppliers/delivery_detail.html",
        _detail_context(delivery, lines, formset, **extra),
        status=error.status if isinstance(error, DomainError) else 400,
    )


@require_POST
def delivery_place_view(request, reference):
    staff_only(request)
    delivery = _get_delivery(reference)
    form = PlaceOrderForm(request.POST)
    if not form.is_valid():
        return _refused(
            request, delivery, "Order not placed: please correct the date.",
            form_name="place_form", form=form,
        )  # fmt: skip
    try:
        delivery = delivery_place_order(
            delivery=delivery,
            promised_date=form.cleaned_data["promised_date"],
            user=request.user,
        )
    except DeliveryError as error:
        return _refused(request, delivery, error, form_name="place_form", form=form)
    delivery.refresh_from_db()
    if delivery.sent_at:
        messages.success(
            request,
            f"Ordered {delivery.reference}, promised "
            f"{delivery.promised_date:%d %b %Y}; the purchase order was e-mailed "
            f"to {delivery.sent_to}.",
        )
    else:
        messages.warning(
            request,
            f"Ordered {delivery.reference}, promised "
            f"{delivery.promised_date:%d %b %Y}, but the purchase order was not "
            f"e-mailed yet: {delivery.send_error or 'sending is pending'}.",
        )
    return redirect("delivery_detail", reference=delivery.reference)


@require_POST
def delivery_cancel_view(request, reference):
    staff_only(request)
    delivery = _get_delivery(reference)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _refused(
            request, delivery, "Not cancelled: say why.",
            form_name="cancel_form", form=form,
        )  # fmt: skip
    try:
        delivery = delivery_cancel(
            delivery=delivery, reason=form.cleaned_data["reason"], user=request.user
        )
    except DeliveryError as error:
        return _refused(request, delivery, error, form_name="cancel_form", form=form)
    messages.success(
        request,
        f"Cancelled {delivery.reference}; its items may be suggested again at the "
        "next planning run.",
    )
    return redirect("delivery_detail", reference=delivery.reference)


@require_POST
def delivery_close_short_view(request, reference):
    staff_only(request)
    delivery = _get_delivery(reference)
    try:
        delivery = delivery_close_short(delivery=delivery, user=request.user)
    except DeliveryError as error:
        return _refused(request, delivery, error)
    messages.success(
        request, f"Closed {delivery.reference} short; the shortfall is recorded."
    )
    return redirect("delivery_detail", reference=delivery.reference)


@require_POST
def delivery_send_view(request, reference):
    """Send the purchase order again (after a failure or a new address)."""
    staff_only(request)
    delivery = _get_delivery(reference)
    if delivery_send_order(delivery_id=delivery.pk):
        delivery.refresh_from_db()
        messages.success(request, f"Purchase order e-mailed to {delivery.sent_to}.")
    else:
        delivery.refresh_from_db()
        messages.error(request, f"Not sent: {delivery.send_error}")
    return redirect("delivery_detail", reference=delivery.reference)


@require_POST
def delivery_line_quantity_view(request, pk):
    staff_only(request)
    line = get_object_or_404(
        DeliveryLine.objects.select_related("delivery", "item"), pk=pk
    )
    form = LineQuantityForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"{line.item.sku}: enter a quantity.")
    else:
        try:
            line = delivery_line_update(
                line=line, quantity=form.cleaned_data["quantity"]
            )
        except DeliveryError as error:
            messages_add_error(request, error)
        else:
            messages.success(
                request,
                f"{line.item.sku}: now "
                f"{quantity_with_unit(line.quantity_ordered, line.item.unit)}.",
            )
    return redirect("delivery_detail", reference=line.delivery.reference)


def delivery_document_pdf(request, reference):
    delivery = _get_delivery(reference)
    response = HttpResponse(
        purchase_order_pdf(delivery), content_type="application/pdf"
    )
    name = "".join(c if c.isalnum() or c in "-_." else "-" for c in reference)
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


def delivery_document_print(request, reference):
    """The purchase order as a print-ready page (the browser's Print)."""
    delivery = _get_delivery(reference)
    return render(
        request,
        "suppliers/purchase_order.html",
        {"delivery": delivery, **purchase_order_context(delivery)},
    )
