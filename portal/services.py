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

import logging
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
from inventory_site.locks import job_lock
from inventory_site.users import acting_user
from jobs.services import job_enqueue
from replenishment.generation import planning_params
from suppliers.models import Delivery, Supplier
from suppliers.services import (
    InvalidTransition,
    SupplierLineAnswer,
    delivery_lines_answer,
    delivery_shipment_record,
)

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
from .selectors import forecast_inputs, token_hash

BAD_TOKEN_WINDOW_SECONDS = 60
logger = logging.getLogger(__name__)


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


def _lock(delivery: Delivery) -> None:
    """Lock the delivery row for the rest of the transaction (answers and ship
    notices of one order are checked and applied one at a time)."""
    Delivery.objects.select_for_update().filter(pk=delivery.pk).first()


def check_line_answers(
    *, delivery: Delivery, answers: list[LineAnswer], today: date
) -> None:
    """Raise ``PortalInputError`` unless every answer names a line of this
    delivery once and carries what its action needs: a change a reason and a new
    quantity (> 0) or date; a rejection a reason, and no goods of the line on
    their way (on a ship notice, not received); no date before today."""
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
        elif answer.action == LineAction.REJECT:
            if not answer.reason.strip():
                error["reason"] = ["A rejection needs a reason."]
            line = lines.get(answer.sku)
            if line is not None and line.quantity_announced > 0:
                error["action"] = [
                    f"{answer.sku} is on its way "
                    f"({line.quantity_announced.normalize():f} on a ship notice): "
                    "change the quantity instead of rejecting the line."
                ]
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


def _not_open(error: InvalidTransition) -> PortalInputError:
    return PortalInputError({"reference": [str(error)]})


def order_lines_answer(
    *,
    delivery: Delivery,
    answers: list[LineAnswer],
    token: PortalToken | None = None,
    today: date | None = None,
) -> list[LineConfirmation]:
    """Store the supplier's answers to lines of one open delivery, all or none.

    Where each line then stands (confirmed quantity and date) is recorded on the
    line by ``suppliers.services.delivery_lines_answer``; each answer keeps the
    result, its reason and the link it came from, as the history staff see. A
    change or rejection is in the firm zone (every ordered line is, DESIGN §9):
    the buyer is alerted on the staff pages and by e-mail (``portal.tasks.
    firm_zone_alert_task``, through the jobs outbox once this commits)."""
    today = today or timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        _lock(delivery)
        check_line_answers(delivery=delivery, answers=answers, today=today)
        lines = _lines_by_sku(delivery)
        try:
            results = delivery_lines_answer(
                delivery=delivery,
                answers=[
                    SupplierLineAnswer(
                        line_id=lines[a.sku].pk,
                        response=a.action,
                        quantity=a.quantity,
                        date=a.date,
                    )
                    for a in answers
                ],
                at=now,
            )
        except InvalidTransition as error:
            raise _not_open(error) from None
        rows = []
        for answer in answers:
            line = lines[answer.sku]
            quantity, day = results[line.pk]
            rows.append(
                LineConfirmation(
                    line=line,
                    action=answer.action,
                    quantity=quantity,
                    date=day,
                    reason=answer.reason.strip()[:255],
                    in_firm_zone=answer.action != LineAction.CONFIRM,
                    token=token,
                    created_at=now,
                )
            )
        created = LineConfirmation.objects.bulk_create(rows)
        firm = [row.pk for row in created if row.in_firm_zone]
        if firm:
            job_enqueue(task_name="portal.tasks.firm_zone_alert_task", args=[firm])
    return created


def ship_notice_create(
    *,
    delivery: Delivery,
    arrival: date,
    lines: list[ShippedLine],
    token: PortalToken | None = None,
    today: date | None = None,
) -> ShipNotice:
    """Record what shipped on an open delivery and when it arrives. Each line
    names a line of the delivery once, not one the supplier rejected, with a
    quantity > 0 and at most what is still open and not on an earlier notice;
    the arrival is today or later. The lines' shipped quantity and arrival are
    recorded by ``suppliers.services.delivery_shipment_record``: receiving then
    starts from those quantities, and the arrival is when they are expected."""
    today = today or timezone.localdate()
    with transaction.atomic():
        _lock(delivery)
        by_sku = _lines_by_sku(delivery)
        errors: dict = {}
        if arrival < today:
            errors["arrival"] = [
                f"The arrival cannot be before today ({today:%Y-%m-%d})."
            ]
        line_errors: list[dict] = []
        seen: set[str] = set()
        for shipped in lines:
            error: dict[str, list[str]] = {}
            line = by_sku.get(shipped.sku)
            if line is None:
                error["sku"] = [
                    f"{shipped.sku!r} is not a line of {delivery.reference}."
                ]
            elif shipped.sku in seen:
                error["sku"] = [f"{shipped.sku} is listed twice."]
            elif line.response == LineAction.REJECT:
                error["sku"] = [
                    f"{shipped.sku} was rejected: confirm or change the line "
                    "before shipping it."
                ]
            elif shipped.quantity > line.quantity_unannounced:
                still = line.quantity_unannounced
                announced = (
                    f" and not on an earlier ship notice "
                    f"({line.quantity_announced.normalize():f} already is)"
                    if line.quantity_announced
                    else ""
                )
                error["quantity"] = [
                    f"More than the {still.normalize():f} still open{announced}."
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
        notice = ShipNotice.objects.create(
            delivery=delivery, arrival=arrival, token=token
        )
        ShipNoticeLine.objects.bulk_create(
            ShipNoticeLine(notice=notice, line=by_sku[s.sku], quantity=s.quantity)
            for s in lines
        )
        try:
            delivery_shipment_record(
                delivery=delivery,
                arrival=arrival,
                shipped={by_sku[s.sku].pk: s.quantity for s in lines},
                at=notice.created_at,
            )
        except InvalidTransition as error:
            raise _not_open(error) from None
    return notice


# --- alerting the buyer ---


def _alert_recipients(delivery: Delivery) -> list[str]:
    """The buyer who placed the order, else the one who drafted it, else the
    addresses in ``PORTAL_ALERT_EMAILS``."""
    for user in (delivery.placed_by, delivery.created_by):
        if user is not None and user.email:
            return [user.email]
    return list(settings.PORTAL_ALERT_EMAILS)


def _alert_line(answer: LineConfirmation) -> str:
    line = answer.line
    unit = line.item.unit
    if answer.action == LineAction.REJECT:
        what = f"rejected ({line.quantity_ordered.normalize():f} {unit} ordered)"
    else:
        day = f"{answer.date:%d %b %Y}" if answer.date else "no date"
        promised = line.delivery.promised_date
        what = (
            f"changed to {answer.quantity.normalize():f} {unit} for {day} "
            f"(ordered {line.quantity_ordered.normalize():f}"
            + (f", promised {promised:%d %b %Y})" if promised else ")")
        )
    reason = f": {answer.reason}" if answer.reason else ""
    return f"- {line.item.sku} {what}{reason}"


def firm_zone_alert_send(*, confirmation_ids: list[int]) -> int:
    """E-mail the buyer of each order about these firm-zone changes not
    alerted yet (one message per order); returns how many messages were sent.

    Idempotent: a change is marked alerted when its message is sent, and a lock
    per batch keeps a retry from sending it twice at once. A mail failure raises
    (the task retries); an order with nobody to tell is left for the staff
    pages, which show every change anyway."""
    from django.core.mail import EmailMessage

    key = ",".join(str(pk) for pk in sorted(confirmation_ids))[:200]
    with job_lock(f"portal-alert:{key}", expiry=300) as mine:
        if not mine:
            return 0
        pending = list(
            LineConfirmation.objects.filter(
                pk__in=confirmation_ids, in_firm_zone=True, alerted_at__isnull=True
            )
            .select_related(
                "line__item",
                "line__delivery__supplier",
                "line__delivery__placed_by",
                "line__delivery__created_by",
            )
            .order_by("line__delivery_id", "line_id", "pk")
        )
        by_delivery: dict[int, list[LineConfirmation]] = {}
        for answer in pending:
            by_delivery.setdefault(answer.line.delivery_id, []).append(answer)
        sent = 0
        for answers in by_delivery.values():
            delivery = answers[0].line.delivery
            to = _alert_recipients(delivery)
            if not to:
                logger.info("No one to alert about %s", delivery.reference)
                continue
            url = settings.SITE_URL + reverse(
                "delivery_detail", args=[delivery.reference]
            )
            body = "\n".join(
                [
                    f"{delivery.supplier.code} {delivery.supplier.name} answered "
                    f"order {delivery.reference} inside the firm zone:",
                    "",
                    *(_alert_line(a) for a in answers),
                    "",
                    f"The order: {url}",
                ]
            )
            EmailMessage(
                subject=f"{delivery.supplier.code} changed order {delivery.reference}",
                body=body,
                to=to,
            ).send(fail_silently=False)
            LineConfirmation.objects.filter(
                pk__in=[a.pk for a in answers], alerted_at__isnull=True
            ).update(alerted_at=timezone.now())
            sent += 1
        return sent


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
