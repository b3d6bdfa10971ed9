"""The supplier portal: pages, CSV and JSON behind a token link, no staff login.

Every view is wrapped by ``portal_view``: a throttled address gets 429; an
unknown, expired or revoked token 404 (and counts against the address); a good
one is logged (``PortalAccess``) and the view receives the token's supplier,
the only supplier it ever reads. JSON POSTs are exempt from CSRF: they carry no
ambient credential (no cookie, the token is in the URL); the HTML forms keep it.
"""

from __future__ import annotations

import csv
import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from inventory_site.errors import error_body
from inventory_site.http import client_ip, staff_only
from suppliers.models import Supplier

from .forecast import lines_changes
from .models import PortalToken
from .selectors import (
    forecast_latest,
    line_states,
    portal_token_find,
    supplier_consumption,
    supplier_open_deliveries,
)
from .serializers import ConfirmSerializer, ShipNoticeSerializer
from .services import (
    LineAnswer,
    PortalInputError,
    ShippedLine,
    forecast_refresh,
    order_lines_answer,
    portal_access_record,
    portal_bad_token_record,
    portal_link_create,
    portal_links_revoke,
    portal_throttled,
    ship_notice_create,
)


def _client_ip(request) -> str | None:
    return client_ip(request) or None


def portal_view(view):
    @wraps(view)
    def wrapper(request, token, *args, **kwargs):
        ip = _client_ip(request)
        if portal_throttled(ip=ip):
            response = HttpResponse(
                "Too many requests with unknown links; try again in a minute.",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = "60"
            return response
        link = portal_token_find(token)
        if link is None:
            portal_bad_token_record(ip=ip)
            raise Http404("No such portal link.")
        page = request.path.split(token, 1)[-1] or "/"
        portal_access_record(token=link, page=page, method=request.method, ip=ip)
        request.portal_link = link
        request.portal_token = token
        response = view(request, link, *args, **kwargs)
        # The URL is the credential: never cached, never indexed.
        response["Cache-Control"] = "no-store, private"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return login_not_required(wrapper)


def _context(request, link: PortalToken, **extra) -> dict:
    return {"supplier": link.supplier, "token": request.portal_token, **extra}


def _csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_safe(value) for value in row])
    return response


def _csv_safe(value):
    """Spreadsheet formulas are escaped, as in the exports."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _decimal(value) -> str:
    return f"{value.normalize():f}" if value is not None else None


# --- home and forecast ---


@require_GET
@portal_view
def home(request, link):
    latest, _ = forecast_latest(link.supplier)  # the forecast page recomputes
    revision = latest or forecast_refresh(supplier=link.supplier)
    return render(
        request,
        "portal/home.html",
        _context(
            request,
            link,
            revision=revision,
            orders=supplier_open_deliveries(link.supplier).count(),
        ),
    )


def _forecast(link):
    from .models import ForecastRevision

    revision = forecast_refresh(supplier=link.supplier)
    previous = (
        ForecastRevision.objects.filter(
            supplier=link.supplier, number__lt=revision.number
        )
        .order_by("-number")
        .first()
    )
    return revision, previous


def forecast_json(revision) -> dict:
    return {
        "supplier": revision.supplier.code,
        "revision": revision.number,
        "generated_at": revision.generated_at.isoformat(),
        "lines": revision.lines,
    }


@require_GET
@portal_view
def forecast(request, link):
    revision, previous = _forecast(link)
    changes = lines_changes(previous.lines, revision.lines) if previous else []
    return render(
        request,
        "portal/forecast.html",
        _context(
            request,
            link,
            revision=revision,
            previous=previous,
            changes=changes,
            weeks=_forecast_table(revision.lines),
        ),
    )


def _forecast_table(lines: list[dict]) -> list[dict]:
    """Lines grouped by week for the page: [{"week_start", "zone", "lines"}]."""
    weeks: dict[str, dict] = {}
    for line in sorted(lines, key=lambda x: (x["week_start"], x["sku"])):
        week = weeks.setdefault(
            line["week_start"], {"week_start": line["week_start"], "lines": []}
        )
        week["lines"].append(line)
    return list(weeks.values())


@require_GET
@portal_view
def forecast_json_view(request, link):
    revision, _ = _forecast(link)
    return JsonResponse(forecast_json(revision))


@require_GET
@portal_view
def forecast_csv(request, link):
    revision, _ = _forecast(link)
    return _csv_response(
        f"forecast-{link.supplier.code}-rev{revision.number}.csv",
        ["sku", "supplier_sku", "week_start", "quantity", "zone"],
        (
            [x["sku"], x["supplier_sku"], x["week_start"], x["quantity"], x["zone"]]
            for x in revision.lines
        ),
    )


# --- consumption ---


@require_GET
@portal_view
def consumption(request, link):
    dates, rows = supplier_consumption(link.supplier)
    return render(
        request,
        "portal/consumption.html",
        _context(request, link, dates=dates, rows=rows),
    )


@require_GET
@portal_view
def consumption_json(request, link):
    dates, rows = supplier_consumption(link.supplier)
    return JsonResponse(
        {
            "supplier": link.supplier.code,
            "from": dates[0].isoformat(),
            "to": dates[-1].isoformat(),
            "items": [
                {
                    "sku": row.sku,
                    "supplier_sku": row.supplier_sku,
                    "unit": row.unit,
                    "days": [
                        {"date": day.isoformat(), "quantity": _decimal(qty)}
                        for day, qty in row.days
                    ],
                }
                for row in rows
            ],
        }
    )


@require_GET
@portal_view
def consumption_csv(request, link):
    _, rows = supplier_consumption(link.supplier)
    return _csv_response(
        f"consumption-{link.supplier.code}.csv",
        ["sku", "supplier_sku", "unit", "date", "quantity"],
        (
            [row.sku, row.supplier_sku, row.unit, day.isoformat(), _decimal(qty)]
            for row in rows
            for day, qty in row.days
        ),
    )


# --- orders ---


def _orders(link) -> list[tuple]:
    deliveries = list(supplier_open_deliveries(link.supplier))
    lines = [line for d in deliveries for line in d.lines.all()]
    for line in lines:  # the prefetched lines' delivery, without a query each
        line.delivery = next(d for d in deliveries if d.pk == line.delivery_id)
    states = line_states(lines)
    return [
        (
            delivery,
            [(line, states[line.pk]) for line in delivery.lines.all()],
        )
        for delivery in deliveries
    ]


def _supplier_skus(link) -> dict[int, str]:
    return dict(link.supplier.sources.values_list("item_id", "supplier_sku"))


@require_GET
@portal_view
def orders_json(request, link):
    skus = _supplier_skus(link)
    return JsonResponse(
        {
            "supplier": link.supplier.code,
            "orders": [
                {
                    "reference": delivery.reference,
                    "promised_date": delivery.promised_date.isoformat()
                    if delivery.promised_date
                    else None,
                    "lines": [
                        {
                            "sku": line.item.sku,
                            "supplier_sku": skus.get(line.item_id, ""),
                            "quantity_ordered": _decimal(line.quantity_ordered),
                            "confirmed_quantity": _decimal(state.confirmed_quantity),
                            "confirmed_date": state.confirmed_date.isoformat()
                            if state.confirmed_date
                            else None,
                        }
                        for line, state in lines
                    ],
                }
                for delivery, lines in _orders(link)
            ],
        }
    )


@require_GET
@portal_view
def orders(request, link):
    return render(
        request,
        "portal/orders.html",
        _context(request, link, orders=_orders(link), skus=_supplier_skus(link)),
    )


def _open_delivery(link, reference):
    delivery = (
        supplier_open_deliveries(link.supplier).filter(reference=reference).first()
    )
    if delivery is None:  # not this supplier's, or not open: no such page
        raise Http404("No such open order.")
    return delivery


def _field_errors(errors: dict, body: dict) -> dict:
    """DRF reports errors of a list's items as ``{index: errors}``; the portal
    answers in the request's own shape: a list, ``{}`` for a good line."""
    errors = dict(errors)
    lines = errors.get("lines")
    if isinstance(lines, dict):
        count = len(body.get("lines") or []) if isinstance(body, dict) else 0
        errors["lines"] = [lines.get(n, {}) for n in range(count)]
    return errors


def _flatten(errors, prefix: str = "") -> list[str]:
    """Field errors as readable sentences for a page ("lines 1 quantity: …")."""
    if isinstance(errors, dict):
        return [
            text
            for key, value in errors.items()
            for text in _flatten(value, f"{prefix} {key}".strip())
        ]
    if isinstance(errors, list) and errors and not isinstance(errors[0], str):
        return [
            text
            for n, value in enumerate(errors, 1)
            for text in _flatten(value, f"{prefix} {n}")
        ]
    return [f"{prefix}: {text}" if prefix else str(text) for text in errors]


def _json_body(request):
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None


def _answers(data) -> list[LineAnswer]:
    return [
        LineAnswer(
            sku=line["sku"],
            action=line["action"],
            quantity=line.get("quantity"),
            date=line.get("date"),
            reason=line.get("reason", ""),
        )
        for line in data["lines"]
    ]


@csrf_exempt
@require_http_methods(["POST"])
@portal_view
def confirm_json(request, link, reference):
    delivery = _open_delivery(link, reference)
    body = _json_body(request)
    if not isinstance(body, dict):
        return JsonResponse(
            error_body("The body must be a JSON object.", "invalid"), status=400
        )
    serializer = ConfirmSerializer(data=body)
    if not serializer.is_valid():
        return JsonResponse(
            error_body(
                "Invalid answer.", "invalid", _field_errors(serializer.errors, body)
            ),
            status=400,
        )
    try:
        order_lines_answer(
            delivery=delivery,
            answers=_answers(serializer.validated_data),
            token=link,
        )
    except PortalInputError as error:
        return JsonResponse(error.as_dict(), status=error.status)
    return JsonResponse(_order_json(link, delivery))


def _order_json(link, delivery) -> dict:
    lines = list(delivery.lines.select_related("item", "delivery").order_by("pk"))
    states = line_states(lines)
    skus = _supplier_skus(link)
    return {
        "reference": delivery.reference,
        "promised_date": delivery.promised_date.isoformat()
        if delivery.promised_date
        else None,
        "lines": [
            {
                "sku": line.item.sku,
                "supplier_sku": skus.get(line.item_id, ""),
                "quantity_ordered": _decimal(line.quantity_ordered),
                "confirmed_quantity": _decimal(states[line.pk].confirmed_quantity),
                "confirmed_date": states[line.pk].confirmed_date.isoformat()
                if states[line.pk].confirmed_date
                else None,
                "expected_arrival": states[line.pk].expected_arrival.isoformat()
                if states[line.pk].expected_arrival
                else None,
            }
            for line in lines
        ],
    }


@csrf_exempt
@require_http_methods(["POST"])
@portal_view
def ship_notice_json(request, link, reference):
    delivery = _open_delivery(link, reference)
    body = _json_body(request)
    if not isinstance(body, dict):
        return JsonResponse(
            error_body("The body must be a JSON object.", "invalid"), status=400
        )
    serializer = ShipNoticeSerializer(data=body)
    if not serializer.is_valid():
        return JsonResponse(
            error_body(
                "Invalid answer.", "invalid", _field_errors(serializer.errors, body)
            ),
            status=400,
        )
    data = serializer.validated_data
    try:
        notice = ship_notice_create(
            delivery=delivery,
            arrival=data["arrival"],
            lines=[ShippedLine(x["sku"], x["quantity"]) for x in data["lines"]],
            token=link,
        )
    except PortalInputError as error:
        return JsonResponse(error.as_dict(), status=error.status)
    return JsonResponse(
        {"reference": delivery.reference, "arrival": notice.arrival.isoformat()},
        status=201,
    )


# --- the order page (HTML forms, no JavaScript) ---


def _order_page(request, link, delivery, *, errors=None, form=None, status=200):
    lines = list(delivery.lines.select_related("item", "delivery").order_by("pk"))
    states = line_states(lines)
    return render(
        request,
        "portal/order_detail.html",
        _context(
            request,
            link,
            delivery=delivery,
            rows=[(line, states[line.pk]) for line in lines],
            skus=_supplier_skus(link),
            errors=errors or {},
            form=form or {},
            today=timezone.localdate(),
        ),
        status=status,
    )


@require_http_methods(["GET", "POST"])
@portal_view
def order_detail(request, link, reference):
    """GET: the order with a form per line; POST: one line's answer."""
    delivery = _open_delivery(link, reference)
    if request.method == "GET":
        return _order_page(request, link, delivery)
    post = request.POST
    answer = {
        "sku": post.get("sku", ""),
        "action": post.get("action", ""),
        "quantity": post.get("quantity") or None,
        "date": post.get("date") or None,
        "reason": post.get("reason", ""),
    }
    serializer = ConfirmSerializer(data={"lines": [answer]})
    errors = None
    if not serializer.is_valid():
        errors = _field_errors(serializer.errors, {"lines": [answer]})["lines"][0]
    else:
        try:
            order_lines_answer(
                delivery=delivery,
                answers=_answers(serializer.validated_data),
                token=link,
            )
        except PortalInputError as error:
            errors = error.errors["lines"][0]
    if errors:
        return _order_page(
            request, link, delivery, errors={answer["sku"]: errors},
            form={answer["sku"]: answer}, status=400,
        )  # fmt: skip
    messages.success(request, f"Thank you: {answer['sku']} recorded.")
    return redirect(
        "portal:order_detail", token=request.portal_token, reference=reference
    )


@require_http_methods(["POST"])
@portal_view
def ship_notice_form(request, link, reference):
    delivery = _open_delivery(link, reference)
    post = request.POST
    lines = []
    for line in delivery.lines.select_related("item"):
        quantity = post.get(f"ship-{line.pk}", "").strip()
        if quantity and quantity != "0":
            lines.append({"sku": line.item.sku, "quantity": quantity})
    serializer = ShipNoticeSerializer(
        data={"arrival": post.get("arrival") or None, "lines": lines}
    )
    errors = None
    if not serializer.is_valid():
        errors = serializer.errors
    else:
        data = serializer.validated_data
        try:
            ship_notice_create(
                delivery=delivery,
                arrival=data["arrival"],
                lines=[ShippedLine(x["sku"], x["quantity"]) for x in data["lines"]],
                token=link,
            )
        except PortalInputError as error:
            errors = error.errors
    if errors:
        return _order_page(
            request,
            link,
            delivery,
            errors={"ship_notice": _flatten(errors)},
            status=400,
        )
    messages.success(request, "Thank you: ship notice recorded.")
    return redirect(
        "portal:order_detail", token=request.portal_token, reference=reference
    )


# --- staff: make or revoke a link from the supplier page ---


@require_http_methods(["POST"])
def staff_link_create(request, code):
    """Make a link and show its URL once (it is not stored, only its hash)."""
    staff_only(request)
    supplier = get_object_or_404(Supplier, code=code)
    url, expires_at = portal_link_create(supplier=supplier, user=request.user)
    response = render(
        request,
        "portal/link_created.html",
        {"supplier": supplier, "url": url, "expires_at": expires_at},
    )
    response["Cache-Control"] = "no-store, private"
    return response


@require_http_methods(["POST"])
def staff_links_revoke(request, code):
    staff_only(request)
    supplier = get_object_or_404(Supplier, code=code)
    count = portal_links_revoke(supplier=supplier)
    messages.success(request, f"Revoked {count} portal link(s) of {supplier.code}.")
    return redirect("supplier_detail", code=supplier.code)
