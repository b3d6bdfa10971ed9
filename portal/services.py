"""Writes of the supplier portal: links, access log, the supplier's answers,
forecast revisions.

Links: ``portal_link_create`` draws ``secrets.token_urlsafe(32)`` (32 random
bytes) and stores only its SHA-256; the URL is returned once and is not
recoverable from the database. ``portal_links_revoke`` ends every usable link of
a supplier at once. Lookups (``selectors.portal_token_find``) accept only links
that are neither revoked nor expired.

Bad tokens are counted per client address in the cache (one counter per
address, expiring a minute after its first miss); at ``PORTAL_BAD_TOKEN_LIMIT``
the address gets 429 on every portal URL until the minute is over.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from inventory_site.errors import DomainError
from inventory_site.users import acting_user
from replenishment.generation import planning_params
from suppliers.models import Delivery, Supplier

from .forecast import forecast_lines
from .models import (
    ForecastRevision,
    LineAction,
    LineConfirmation,
    PortalAccess,
    PortalToken,
    ShipNotice,
    ShipNoticeLine,
)
from .selectors import forecast_inputs, line_states, token_hash

BAD_TOKEN_WINDOW_SECONDS = 60


class PortalInputError(DomainError):
    """The supplier's answer cannot be stored (400); ``errors`` (its ``fields``)
    are field errors in the shape of the request
    (``{"lines": [{}, {"reason": [...]}]}``)."""

    code = "invalid_answer"

    def __init__(self, errors: dict):
        super().__init__("Invalid answer.", fields=errors)

    @property
    def errors(self) -> dict:
        return self.fields


# --- links ---


def portal_url(token: str) -> str:
    return settings.SITE_URL + reverse("portal:home", args=[token])


def portal_link_create(
    *, supplier: Supplier, days: int | None = None, user=None
) -> tuple[str, datetime]:
    """A new portal link for the supplier: (absolute URL, expiry). Earlier links
    stay valid until they expire or are revoked."""
    days = settings.PORTAL_LINK_DAYS if days is None else days
    if days < 1:
        raise ValueError("A portal link must be valid for at least one day.")
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    link = PortalToken.objects.create(
        supplier=supplier,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + timedelta(days=days),
        created_by=acting_user(user),
    )
    return portal_url(token), link.expires_at


def portal_links_revoke(*, supplier: Supplier) -> int:
    """Revoke every usable link of the supplier; returns how many."""
    return (
        PortalToken.objects.usable()
        .filter(supplier=supplier)
        .update(revoked_at=timezone.now())
    )


def portal_access_record(
    *, token: PortalToken, page: str, method: str, ip: str | None
) -> None:
    now = timezone.now()
    PortalAccess.objects.create(
        token=token,
        supplier_id=token.supplier_id,
        page=page[:255],
        method=method[:8],
        ip=ip or None,
        at=now,
    )
    PortalToken.objects.filter(pk=token.pk).update(last_used_at=now)


def _bad_token_key(ip: str | None) -> str:
    return f"portal:bad-token:{ip or 'unknown'}"


def portal_bad_token_record(*, ip: str | None) -> int:
    """Count one bad token from this address; returns the count in the window."""
    key = _bad_token_key(ip)
    cache.add(key, 0, timeout=BAD_TOKEN_WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=BAD_TOKEN_WINDOW_SECONDS)
        return 1


def portal_throttled(*, ip: str | None) -> bool:
    return (cache.get(_bad_token_key(ip)) or 0) >= settings.PORTAL_BAD_TOKEN_LIMIT


# --- the supplier's answers ---


@dataclass(frozen=True, slots=True)
class LineAnswer:
    sku: str
    action: str
    quantity: Decimal | None = None
    date: date | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ShippedLine:
    sku: str
    quantity: Decimal


def _lines_by_sku(delivery: Delivery) -> dict:
    return {
        line.item.sku: line
        for line in delivery.lines.select_related("item", "delivery").order_by("pk")
    }


def check_line_answers(
    *, delivery: Delivery, answers: list[LineAnswer], today: date
) -> None:
    """Raise ``PortalInputError`` unless every answer names a line of this
    delivery once and carries what its action needs: a change a reason and a new
    quantity (> 0) or date; a rejection a reason; no date before today."""
    lines = _lines_by_sku(delivery)
    errors: list[dict] = []
    seen: set[str] = set()
    for answer in answers:
        error: dict[str, list[str]] = {}
        if answer.sku not in lines:
            error["sku"] = [f"{answer.sku!r} is not a line of {delivery.reference}."]
        elif answer.sku in seen:
            error["sku"] = [f"{answer.sku} is answered twice."]
        seen.add(answer.sku)
        if answer.action == LineAction.CHANGE:
            if answer.quantity is None and answer.date is None:
                error["quantity"] = ["A change needs a new quantity or date."]
            if not answer.reason.strip():
                error["reason"] = ["A change needs a reason."]
        elif answer.action == LineAction.REJECT and not answer.reason.strip():
            error["reason"] = ["A rejection needs a reason."]
        if answer.quantity is not None and answer.quantity <= 0:
            error["quantity"] = [
                "The quantity must be more than 0 (reject the line instead)."
            ]
        if answer.date is not None and answer.date < today:
            error["date"] = [f"The date cannot be before today ({today:%Y-%m-%d})."]
        errors.append(error)
    if not answers:
        raise PortalInputError({"lines": ["Answer at least one line."]})
    if any(errors):
        raise PortalInputError({"lines": errors})


def order_lines_answer(
    *,
    delivery: Delivery,
    answers: list[LineAnswer],
    token: PortalToken | None = None,
    today: date | None = None,
) -> list[LineConfirmation]:
    """Store the supplier's answers to lines of one open delivery, all or none.

    Each answer stores the resulting confirmed quantity and date: a confirmation
    the ordered quantity and the promised (or earlier confirmed) date, a change
    what it changes and keeps the rest, a rejection quantity 0 and no date."""
    today = today or timezone.localdate()
    check_line_answers(delivery=delivery, answers=answers, today=today)
    lines = _lines_by_sku(delivery)
    states = line_states(list(lines.values()))
    now = timezone.now()
    rows = []
    for answer in answers:
        line = lines[answer.sku]
        state = states[line.pk]
        current_quantity = (
            state.confirmed_quantity
            if state.confirmed_quantity and state.action != LineAction.REJECT
            else line.quantity_ordered
        )
        current_date = (
            state.confirmed_date
            if state.confirmed_date is not None
            else delivery.promised_date
        )
        if answer.action == LineAction.CONFIRM:
            quantity, day = line.quantity_ordered, current_date
        elif answer.action == LineAction.CHANGE:
            quantity = (
                answer.quantity if answer.quantity is not None else current_quantity
            )
            day = answer.date if answer.date is not None else current_date
        else:
            quantity, day = Decimal("0"), None
        rows.append(
            LineConfirmation(
                line=line,
                action=answer.action,
                quantity=quantity,
                date=day,
                reason=answer.reason.strip()[:255],
                # Every ordered line is in the firm zone (DESIGN §9): a change or
                # a rejection is one the buyer must act on.
                in_firm_zone=answer.action != LineAction.CONFIRM,
                token=token,
                created_at=now,
            )
        )
    with transaction.atomic():
        return LineConfirmation.objects.bulk_create(rows)


def ship_notice_create(
    *,
    delivery: Delivery,
    arrival: date,
    lines: list[ShippedLine],
    token: PortalToken | None = None,
    today: date | None = None,
) -> ShipNotice:
    """Record what shipped on an open delivery and when it arrives. Each line
    names a line of the delivery once, with a quantity > 0 and at most its open
    quantity; the arrival is today or later."""
    today = today or timezone.localdate()
    by_sku = _lines_by_sku(delivery)
    errors: dict = {}
    if arrival < today:
        errors["arrival"] = [f"The arrival cannot be before today ({today:%Y-%m-%d})."]
    line_errors: list[dict] = []
    seen: set[str] = set()
    for shipped in lines:
        error: dict[str, list[str]] = {}
        line = by_sku.get(shipped.sku)
        if line is None:
            error["sku"] = [f"{shipped.sku!r} is not a line of {delivery.reference}."]
        elif shipped.sku in seen:
            error["sku"] = [f"{shipped.sku} is listed twice."]
        elif shipped.quantity > line.quantity_open:
            error["quantity"] = [
                f"More than the {line.quantity_open.normalize():f} still open."
            ]
        if shipped.quantity <= 0:
            error["quantity"] = ["The quantity must be more than 0."]
        seen.add(shipped.sku)
        line_errors.append(error)
    if not lines:
        errors["lines"] = ["List at least one shipped line."]
    elif any(line_errors):
        errors["lines"] = line_errors
    if errors:
        raise PortalInputError(errors)
    with transaction.atomic():
        notice = ShipNotice.objects.create(
            delivery=delivery, arrival=arrival, token=token
        )
        ShipNoticeLine.objects.bulk_create(
            ShipNoticeLine(notice=notice, line=by_sku[s.sku], quantity=s.quantity)
            for s in lines
        )
    return notice


# --- forecast ---


def forecast_refresh(
    *, supplier: Supplier, today: date | None = None
) -> ForecastRevision:
    """Compute the supplier's forecast now; store it as a new revision only when
    its lines differ from the latest revision's. Returns the current revision.
    The supplier row is locked so two requests cannot both number a revision."""
    today = today or timezone.localdate()
    params = planning_params()
    lines = [
        line.as_json()
        for line in forecast_lines(
            forecast_inputs(supplier, today=today, params=params),
            supplier_id=supplier.pk,
            params=params,
            today=today,
        )
    ]
    with transaction.atomic():
        Supplier.objects.select_for_update().filter(pk=supplier.pk).first()
        latest = (
            ForecastRevision.objects.filter(supplier=supplier)
            .order_by("-number")
            .first()
        )
        if latest is not None and latest.lines == lines:
            return latest
        return ForecastRevision.objects.create(
            supplier=supplier,
            number=(latest.number + 1) if latest else 1,
            generated_at=timezone.now(),
            lines=lines,
        )
