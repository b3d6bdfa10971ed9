"""Deliveries: create, order, cancel and receive with incoming inspection."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import fields as fields_of
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inventory_site.dates import (
    DateOutOfRange,
    check_event_moment,
    check_planned_date,
)
from items.limits import column_max
from items.models import Item
from items.services import (
    StockError,
    check_quantity,
    stock_receive_for_delivery_line,
)

from .models import (
    OPEN_DELIVERY_STATUSES,
    Delivery,
    DeliveryLine,
    DeliveryStatus,
    Supplier,
    SupplierItem,
    SupplierScore,
)
from .selectors import ScoreFigures, supplier_scores_compute

ZERO = Decimal("0")


class DeliveryError(Exception):
    """Base class of delivery errors; the message is meant for the user."""


class DeliveryNotReceivable(DeliveryError):
    pass


class InvalidReceipt(DeliveryError):
    def __init__(self, message: str, *, line_id: int | None = None, field: str = ""):
        self.line_id = line_id
        self.field = field
        super().__init__(message)


def check_quoted_lead_time_days(days: int | None) -> int | None:
    """A quoted lead time leads to a promised date, so it may be at most
    ``DATE_MAX_FUTURE_DAYS`` (inventory_site.dates); ``ValueError`` if longer."""
    if days is not None and days > settings.DATE_MAX_FUTURE_DAYS:
        raise ValueError(
            f"{days} days is longer than {settings.DATE_MAX_FUTURE_DAYS}, the "
            "furthest a promised date may lie ahead."
        )
    return days


@dataclass(frozen=True)
class LineReceipt:
    """What arrived now for one line: received and, of those, rejected."""

    line_id: int
    quantity_received: Decimal
    quantity_rejected: Decimal = ZERO
    rejection_reason: str = ""


@dataclass(frozen=True)
class LineOrder:
    item: Item
    quantity: Decimal
    unit_price: Decimal | None = None


def delivery_create(
    *,
    supplier: Supplier,
    reference: str,
    lines: Sequence[LineOrder],
    user=None,
    note: str = "",
) -> Delivery:
    """Create a draft delivery with its lines (one line per item)."""
    if not lines:
        raise DeliveryError("A delivery needs at least one line.")
    seen: set[int] = set()
    for line in lines:
        if line.item.pk in seen:
            raise DeliveryError(f"{line.item.sku} appears twice on the delivery.")
        seen.add(line.item.pk)
        check_quantity(line.quantity)
    with transaction.atomic():
        delivery = Delivery.objects.create(
            supplier=supplier,
            reference=reference,
            status=DeliveryStatus.DRAFT,
            note=note,
            created_by=user if user is not None and user.is_authenticated else None,
        )
        DeliveryLine.objects.bulk_create(
            DeliveryLine(
                delivery=delivery,
                item=line.item,
                quantity_ordered=line.quantity,
                unit_price=line.unit_price,
            )
            for line in lines
        )
    return delivery


def delivery_place_order(
    *,
    delivery: Delivery,
    ordered_at: datetime | None = None,
    promised_date: date | None = None,
) -> Delivery:
    """Draft → ordered. Without a promise, the longest quoted lead time of the
    delivery's sources gives the promised date."""
    try:
        if ordered_at is not None:
            check_event_moment(ordered_at)
        if promised_date is not None:
            check_planned_date(promised_date)
    except DateOutOfRange as error:
        raise DeliveryError(str(error)) from None
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.status != DeliveryStatus.DRAFT:
            raise DeliveryError(
                f"Delivery {delivery.reference} is {delivery.get_status_display()}; "
                "only drafts can be ordered."
            )
        delivery.ordered_at = ordered_at or timezone.now()
        if promised_date is None:
            lead_times = SupplierItem.objects.filter(
                supplier_id=delivery.supplier_id,
                item_id__in=delivery.lines.values("item_id"),
            ).values_list("quoted_lead_time_days", flat=True)
            days = max(lead_times, default=0)
            promised_date = timezone.localtime(delivery.ordered_at).date() + timedelta(
                days=days
            )
        delivery.promised_date = promised_date
        delivery.status = DeliveryStatus.ORDERED
        delivery.save(update_fields=["ordered_at", "promised_date", "status"])
    return delivery


def delivery_cancel(*, delivery: Delivery) -> Delivery:
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.status not in (DeliveryStatus.DRAFT, DeliveryStatus.ORDERED):
            raise DeliveryError(
                f"Delivery {delivery.reference} is {delivery.get_status_display()}; "
                "only drafts and ordered deliveries with nothing received can be "
                "cancelled."
            )
        delivery.status = DeliveryStatus.CANCELLED
        delivery.save(update_fields=["status"])
    return delivery


def _check_receipt(receipt: LineReceipt, line: DeliveryLine) -> tuple[Decimal, Decimal]:
    received, rejected = receipt.quantity_received, receipt.quantity_rejected
    if received is None or received < 0:
        raise InvalidReceipt(
            f"{line.item.sku}: received quantity must be zero or more.",
            line_id=line.pk,
            field="quantity_received",
        )
    if rejected is None or rejected < 0:
        raise InvalidReceipt(
            f"{line.item.sku}: rejected quantity must be zero or more.",
            line_id=line.pk,
            field="quantity_rejected",
        )
    if rejected > received:
        raise InvalidReceipt(
            f"{line.item.sku}: cannot reject {rejected}, only {received} received.",
            line_id=line.pk,
            field="quantity_rejected",
        )
    return received, rejected


def _check_line_total(line: DeliveryLine, received: Decimal) -> None:
    """The line's received total must fit its column (rejected ≤ received)."""
    limit = column_max(DeliveryLine, "quantity_received")
    if line.quantity_received + received > limit:
        raise InvalidReceipt(
            f"{line.item.sku}: {line.quantity_received.normalize():f} already "
            f"received; {received.normalize():f} more exceeds the largest quantity "
            f"a line can hold ({limit:f}).",
            line_id=line.pk,
            field="quantity_received",
        )


def delivery_receive(
    *,
    delivery: Delivery,
    receipts: Iterable[LineReceipt],
    user=None,
    received_at: datetime | None = None,
    close: bool = False,
) -> Delivery:
    """Book what arrived, after incoming inspection.

    Each receipt adds to its line's received and rejected quantities and posts a
    receipt movement for the accepted part (received − rejected), linked to the
    line. The delivery row is locked first, so two clerks receiving at once are
    serialised, and a delivery that is already received (or cancelled, or still a
    draft) is refused: receiving twice never doubles stock. The delivery becomes
    *received* when every line has arrived in full or ``close`` is set (short
    shipment accepted), else *partially received*.
    """
    if received_at is None:
        received_at = timezone.now()
    else:
        try:
            check_event_moment(received_at)
        except DateOutOfRange as error:
            raise InvalidReceipt(f"received_at {error}", field="received_at") from None
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.status not in OPEN_DELIVERY_STATUSES:
            raise DeliveryNotReceivable(
                f"Delivery {delivery.reference} is {delivery.get_status_display()} "
                "and cannot be received."
            )
        lines = {
            line.pk: line
            for line in DeliveryLine.objects.select_for_update()
            .filter(delivery=delivery)
            .select_related("item")
            .order_by("pk")
        }
        posted_any = False
        for receipt in receipts:
            line = lines.get(receipt.line_id)
            if line is None:
                raise InvalidReceipt(
                    f"Line {receipt.line_id} is not on delivery {delivery.reference}.",
                    line_id=receipt.line_id,
                )
            received, rejected = _check_receipt(receipt, line)
            if received == 0:
                continue
            _check_line_total(line, received)
            line.quantity_received += received
            line.quantity_rejected += rejected
            if receipt.rejection_reason:  # keep earlier reasons of the line
                reasons = [line.rejection_reason, receipt.rejection_reason.strip()]
                line.rejection_reason = "; ".join(r for r in reasons if r)[:255]
            line.save(
                update_fields=[
                    "quantity_received",
                    "quantity_rejected",
                    "rejection_reason",
                ]
            )
            accepted = received - rejected
            if accepted > 0:
                try:
                    stock_receive_for_delivery_line(
                        item=line.item,
                        quantity=accepted,
                        delivery_line_id=line.pk,
                        user=user,
                        occurred_at=received_at,
                        note=f"Delivery {delivery.reference}",
                    )
                except StockError as error:  # e.g. on_hand would overflow
                    raise InvalidReceipt(
                        f"{line.item.sku}: {error}",
                        line_id=line.pk,
                        field="quantity_received",
                    ) from error
            posted_any = True
        if not posted_any and not close:
            raise InvalidReceipt("Nothing received: enter at least one quantity.")
        complete = all(
            line.quantity_received >= line.quantity_ordered for line in lines.values()
        )
        if complete or close:
            delivery.status = DeliveryStatus.RECEIVED
            delivery.received_at = received_at
        else:
            delivery.status = DeliveryStatus.PARTIALLY_RECEIVED
        delivery.save(update_fields=["status", "received_at"])
    return delivery


def supplier_scores_refresh(*, today: date | None = None) -> int:
    """Store every supplier's current score (one row per supplier)."""
    figures = supplier_scores_compute(today=today)
    now = timezone.now()
    existing = set(
        SupplierScore.objects.filter(supplier_id__in=figures).values_list(
            "supplier_id", flat=True
        )
    )
    fields = [f.name for f in fields_of(ScoreFigures) if f.name != "supplier_id"]
    with transaction.atomic():
        to_create = []
        for supplier_id, score in figures.items():
            values = {name: getattr(score, name) for name in fields}
            if supplier_id in existing:
                SupplierScore.objects.filter(supplier_id=supplier_id).update(
                    computed_at=now, **values
                )
            else:
                to_create.append(
                    SupplierScore(supplier_id=supplier_id, computed_at=now, **values)
                )
        SupplierScore.objects.bulk_create(to_create)
    return len(figures)
