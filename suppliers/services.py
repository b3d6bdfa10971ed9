"""Deliveries: create, order, cancel and receive with incoming inspection."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import fields as fields_of
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from inventory_site.dates import (
    DateOutOfRange,
    check_event_moment,
    check_planned_date,
)
from inventory_site.db import filter_in, insert_rows, merge_rows, update_rows
from inventory_site.errors import DomainError
from inventory_site.formatting import exact
from inventory_site.limits import column_max
from inventory_site.locks import job_lock
from inventory_site.users import acting_user
from items.models import Item
from items.services import (
    InvalidQuantity,
    StockError,
    check_quantity,
    check_whole_units,
    counts_in_whole_units,
    stock_receive_for_delivery_line,
)
from jobs.services import job_enqueue

from .models import (
    OPEN_DELIVERY_STATUSES,
    Delivery,
    DeliveryLine,
    DeliveryStatus,
    LineResponse,
    Supplier,
    SupplierItem,
    SupplierScore,
)
from .receiving import (
    LineState,
    accepted_to_post,
    inspection_problems,
    reasons_joined,
    status_after_receipt,
)
from .selectors import ScoreFigures, supplier_scores_compute

ZERO = Decimal("0")
logger = logging.getLogger(__name__)


class DeliveryError(DomainError):
    """Base class of delivery errors: bad input (400) unless a subclass says
    otherwise; the message is meant for the user and ``code`` names the rule
    for API clients."""

    code = "invalid"


class InvalidTransition(DeliveryError):
    """The delivery's status does not allow this step (409); nothing changed."""

    code = "invalid_transition"
    status = 409


class DeliveryNotReceivable(InvalidTransition):
    code = "not_receivable"


def check_receivable(delivery) -> None:
    """``DeliveryNotReceivable`` unless ``delivery`` is open for receiving: the
    state is checked before the quantities (a closed delivery refuses any
    receipt, even one that is wrong in itself)."""
    if delivery.status not in OPEN_DELIVERY_STATUSES:
        raise DeliveryNotReceivable(
            f"Delivery {delivery.reference} is {delivery.get_status_display()} "
            "and cannot be received."
        )


class InvalidReceipt(DeliveryError):
    """A receipt that cannot be booked; ``line_id`` and ``field`` say which
    line's input (for the receiving form). The API reports it under ``lines``."""

    code = "invalid_receipt"

    def __init__(self, message: str, *, line_id: int | None = None, field: str = ""):
        self.line_id = line_id
        self.field = field
        super().__init__(message, fields={"lines": [message]})


def check_quoted_lead_time_days(days: int | None) -> int | None:
    """A quoted lead time leads to a promised date, so it may be at most
    ``DATE_MAX_FUTURE_DAYS`` (inventory_site.dates); ``ValueError`` if longer."""
    if days is not None and days > settings.DATE_MAX_FUTURE_DAYS:
        raise ValueError(
            f"{days} days is longer than {settings.DATE_MAX_FUTURE_DAYS}, the "
            "furthest a promised date may lie ahead."
        )
    return days


class OverReceipt(InvalidReceipt):
    """More than ``ordered × (1 + RECEIPT_OVER_TOLERANCE)`` would be accepted."""

    code = "over_receipt"

    def __init__(self, message: str, *, line_id: int, sku: str, maximum: Decimal):
        self.sku = sku
        self.maximum = maximum
        super().__init__(message, line_id=line_id, field="quantity_received")


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


def _who(user) -> str:
    user = acting_user(user)
    return f" by {user.get_username()}" if user is not None else ""


def _append_note(delivery: Delivery, text: str) -> None:
    delivery.note = f"{delivery.note}\n{text}".strip() if delivery.note else text


def suppliers_upsert(
    *, fields: Sequence[str], rows: Sequence[Sequence]
) -> tuple[set[str], set[str]]:
    """Create or update suppliers by ``code``: rows of ``(code, value, …)`` for
    ``fields``. Returns the codes created and those updated. Set-based
    (``inventory_site.db.merge_rows``)."""
    return merge_rows(Supplier, "code", fields, rows)


def sources_upsert(
    *, fields: Sequence[str], rows: Sequence[Sequence]
) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """Create or update sources by (supplier, item): rows of ``(supplier_id,
    item_id, value, …)`` for ``fields``. Returns the keys created and those
    updated; existing values are read per chunk of items, then one insert and
    one update statement per batch."""
    existing: dict[tuple[int, int], tuple] = {}
    sources = SupplierItem.objects.all()
    item_ids = (row[1] for row in rows)
    for queryset in filter_in(sources, "item_id", item_ids, sql_type="bigint"):
        for pk, supplier_id, item_id, *values in queryset.values_list(
            "pk", "supplier_id", "item_id", *fields
        ):
            existing[supplier_id, item_id] = (pk, values)
    new_sources, updates = [], []
    created, updated = set(), set()
    for supplier_id, item_id, *values in rows:
        key = (supplier_id, item_id)
        current = existing.get(key)
        if current is None:
            new_sources.append((*key, *values))
            created.add(key)
        elif current[1] != values:
            updates.append((current[0], *values))
            updated.add(key)
    insert_rows(SupplierItem, ["supplier_id", "item_id", *fields], new_sources)
    update_rows(SupplierItem, fields, updates)
    return created, updated


def check_order_quantity(*, item: Item, quantity) -> Decimal:
    """A quantity to order of ``item``: positive, 3 places, whole if the item's
    unit is counted in whole numbers; else ``DeliveryError`` (``invalid_quantity``)."""
    try:
        quantity = check_quantity(quantity)
        check_whole_units(sku=item.sku, unit=item.unit, quantity=quantity)
    except InvalidQuantity as error:
        raise DeliveryError(f"{item.sku}: {error}", code="invalid_quantity") from None
    return quantity


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
        raise DeliveryError("A delivery needs at least one line.", code="no_lines")
    seen: set[int] = set()
    for line in lines:
        if line.item.pk in seen:
            raise DeliveryError(f"{line.item.sku} appears twice on the delivery.")
        seen.add(line.item.pk)
        check_order_quantity(item=line.item, quantity=line.quantity)
    with transaction.atomic():
        delivery = Delivery.objects.create(
            supplier=supplier,
            reference=reference,
            status=DeliveryStatus.DRAFT,
            note=note,
            created_by=acting_user(user),
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


def _draft_reference(supplier: Supplier) -> str:
    base = f"JIT-{timezone.localdate():%y%m%d}-{supplier.code}"
    taken = set(
        Delivery.objects.filter(reference__startswith=base).values_list(
            "reference", flat=True
        )
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def delivery_draft_add(
    *, supplier: Supplier, lines: Sequence[LineOrder], user=None, note: str = ""
) -> Delivery:
    """Add lines to the supplier's one open draft, or start it.

    Race-safe: the supplier row is locked first (``SELECT … FOR UPDATE``; SQLite
    serialises writers), so two buyers accepting at once for the same supplier
    both land in one draft. An item already on the draft gets its quantity
    increased instead of a second line."""
    if not lines:
        raise DeliveryError("Nothing to add to the draft.", code="no_lines")
    for line in lines:
        check_order_quantity(item=line.item, quantity=line.quantity)
    with transaction.atomic():
        Supplier.objects.select_for_update().filter(pk=supplier.pk).first()
        draft = (
            Delivery.objects.select_for_update()
            .filter(supplier=supplier, status=DeliveryStatus.DRAFT)
            .order_by("created_at", "pk")
            .first()
        )
        if draft is None:
            draft = Delivery.objects.create(
                supplier=supplier,
                reference=_draft_reference(supplier),
                status=DeliveryStatus.DRAFT,
                note=note,
                created_by=acting_user(user),
            )
        existing = {
            line.item_id: line
            for line in DeliveryLine.objects.select_for_update().filter(delivery=draft)
        }
        new = []
        for line in lines:
            if line.item.pk in existing:
                DeliveryLine.objects.filter(pk=existing[line.item.pk].pk).update(
                    quantity_ordered=F("quantity_ordered") + line.quantity
                )
            else:
                new.append(
                    DeliveryLine(
                        delivery=draft,
                        item=line.item,
                        quantity_ordered=line.quantity,
                        unit_price=line.unit_price,
                    )
                )
                existing[line.item.pk] = new[-1]
        DeliveryLine.objects.bulk_create(new)
    return draft


def _lock_draft(delivery_id: int, action: str) -> Delivery:
    delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
    if delivery.status != DeliveryStatus.DRAFT:
        raise InvalidTransition(
            f"Delivery {delivery.reference} is {delivery.get_status_display()}; "
            f"only a draft can {action}.",
            code="not_draft",
        )
    return delivery


def delivery_line_update(*, line: DeliveryLine, quantity) -> DeliveryLine:
    """Change the quantity of a draft's line."""
    with transaction.atomic():
        _lock_draft(line.delivery_id, "have its lines changed")
        line = DeliveryLine.objects.select_related("item").get(pk=line.pk)
        line.quantity_ordered = check_order_quantity(item=line.item, quantity=quantity)
        line.save(update_fields=["quantity_ordered"])
    return line


def delivery_line_remove(*, line: DeliveryLine) -> Delivery:
    """Remove a line from a draft (the caller reopens its suggestion)."""
    with transaction.atomic():
        delivery = _lock_draft(line.delivery_id, "have its lines removed")
        DeliveryLine.objects.filter(pk=line.pk).delete()
    return delivery


def delivery_place_order(
    *,
    delivery: Delivery,
    ordered_at: datetime | None = None,
    promised_date: date | None = None,
    user=None,
    send: bool = True,
) -> Delivery:
    """Draft → ordered: ``ordered_at`` = now, ``promised_date`` = the order date +
    the longest quoted lead time of the delivery's sources unless given; missing
    unit prices are taken from the sources.

    The delivery row is locked, so two clicks on *Place order* place it once (the
    second sees it ordered and gets ``InvalidTransition``). Once committed the
    order is e-mailed to the supplier (``send``); a failure to send is recorded
    and retried through the outbox and never undoes the order."""
    try:
        if ordered_at is not None:
            check_event_moment(ordered_at)
        if promised_date is not None:
            check_planned_date(promised_date)
    except DateOutOfRange as error:
        raise DeliveryError(str(error)) from None
    with transaction.atomic():
        delivery = _lock_draft(delivery.pk, "be placed")
        lines = list(DeliveryLine.objects.filter(delivery=delivery))
        if not lines:
            raise InvalidTransition(
                f"Delivery {delivery.reference} has no lines; add at least one "
                "before placing the order.",
                code="no_lines",
            )
        delivery.ordered_at = ordered_at or timezone.now()
        order_day = timezone.localtime(delivery.ordered_at).date()
        sources = {
            item_id: (lead_time, price)
            for item_id, lead_time, price in SupplierItem.objects.filter(
                supplier_id=delivery.supplier_id,
                item_id__in=[line.item_id for line in lines],
            ).values_list("item_id", "quoted_lead_time_days", "unit_price")
        }
        if promised_date is None:
            days = max((lt for lt, _ in sources.values()), default=0)
            promised_date = order_day + timedelta(days=days)
        elif promised_date < order_day:
            raise DeliveryError(
                f"The requested delivery date {promised_date:%d %b %Y} is before "
                f"the order date {order_day:%d %b %Y}.",
                code="invalid_promised_date",
            )
        priced = [line for line in lines if line.unit_price is None]
        for line in priced:
            if line.item_id in sources:
                line.unit_price = sources[line.item_id][1]
        DeliveryLine.objects.bulk_update(priced, ["unit_price"])
        delivery.promised_date = promised_date
        delivery.status = DeliveryStatus.ORDERED
        delivery.placed_by = acting_user(user)
        _append_note(
            delivery,
            f"Ordered {timezone.localtime(delivery.ordered_at):%d %b %Y %H:%M}"
            f"{_who(user)}.",
        )
        delivery.save(
            update_fields=["ordered_at", "promised_date", "status", "note", "placed_by"]
        )
        if send:
            delivery_id = delivery.pk
            transaction.on_commit(lambda: delivery_send_order_or_queue(delivery_id))
    return delivery


def delivery_cancel(*, delivery: Delivery, reason: str = "", user=None) -> Delivery:
    """Draft or ordered (nothing received) → cancelled, with a reason. Its open
    quantity no longer counts as on order, so planning may suggest the items again
    the next time it runs."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.status not in (DeliveryStatus.DRAFT, DeliveryStatus.ORDERED):
            raise InvalidTransition(
                f"Delivery {delivery.reference} is {delivery.get_status_display()}; "
                "only drafts and ordered deliveries with nothing received can be "
                "cancelled.",
                code="not_cancellable",
            )
        reason = (reason or "").strip()
        if not reason:
            raise DeliveryError(
                "Say why the delivery is cancelled.", code="reason_required"
            )
        now = timezone.now()
        delivery.status = DeliveryStatus.CANCELLED
        delivery.cancelled_at = now
        delivery.cancel_reason = reason[:255]
        _append_note(
            delivery,
            f"Cancelled {timezone.localtime(now):%d %b %Y %H:%M}{_who(user)}: {reason}",
        )
        delivery.save(update_fields=["status", "cancelled_at", "cancel_reason", "note"])
    return delivery


def receipt_tolerance() -> Decimal:
    return Decimal(str(getattr(settings, "RECEIPT_OVER_TOLERANCE", "0.10")))


def line_receipt_maximum(line: DeliveryLine, tolerance: Decimal | None = None):
    """The most that may be accepted on a line in total: ordered × (1 + tolerance),
    rounded down to a whole number for items counted in whole units."""
    tolerance = receipt_tolerance() if tolerance is None else tolerance
    maximum = (line.quantity_ordered * (1 + tolerance)).quantize(
        Decimal("0.001"), rounding=ROUND_FLOOR
    )
    if counts_in_whole_units(line.item.unit):
        maximum = maximum.to_integral_value(rounding=ROUND_FLOOR)
    return maximum


def _check_receipt(receipt: LineReceipt, line: DeliveryLine) -> tuple[Decimal, Decimal]:
    """The inspection rules (suppliers.receiving) for what arrives now."""
    received, rejected = receipt.quantity_received, receipt.quantity_rejected
    for problem in inspection_problems(
        received=received,
        rejected=rejected,
        reason=receipt.rejection_reason,
        sku=line.item.sku,
        unit=line.item.unit,
    ):
        raise InvalidReceipt(problem.message, line_id=line.pk, field=problem.field)
    return received, rejected


def _check_line_total(line: DeliveryLine, received: Decimal) -> None:
    """The line's received total must fit its column (rejected ≤ received)."""
    limit = column_max(DeliveryLine, "quantity_received")
    if line.quantity_received + received > limit:
        raise InvalidReceipt(
            f"{line.item.sku}: {exact(line.quantity_received)} already "
            f"received; {exact(received)} more exceeds the largest quantity "
            f"a line can hold ({limit:f}).",
            line_id=line.pk,
            field="quantity_received",
        )


def _check_tolerance(line: DeliveryLine, accepted_now: Decimal, tolerance) -> None:
    maximum = line_receipt_maximum(line, tolerance)
    if line.quantity_accepted + accepted_now <= maximum:
        return
    still = max(maximum - line.quantity_accepted, ZERO)
    raise OverReceipt(
        f"{line.item.sku}: accepting {exact(accepted_now)} more would make "
        f"{exact(line.quantity_accepted + accepted_now)} against "
        f"{exact(line.quantity_ordered)} ordered; at most {exact(maximum)} is allowed "
        f"(+{exact(tolerance * 100)} %), so at most {exact(still)} more can be "
        "accepted on this line.",
        line_id=line.pk,
        sku=line.item.sku,
        maximum=maximum,
    )


def _close_short(delivery: Delivery, lines, *, at: datetime, user=None) -> None:
    """Record what is still owed per line as its shortfall and close the delivery."""
    short = []
    for line in lines:
        owed = line.quantity_open
        if owed > 0:
            line.quantity_short = owed
            short.append(line)
    DeliveryLine.objects.bulk_update(short, ["quantity_short"])
    delivery.status = DeliveryStatus.RECEIVED
    delivery.received_at = at
    if short:
        owed = ", ".join(f"{exact(x.quantity_short)} {x.item.sku}" for x in short)
        _append_note(
            delivery,
            f"Closed short {timezone.localtime(at):%d %b %Y}{_who(user)}: "
            f"{owed} not delivered.",
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
    draft) is refused: receiving twice never doubles stock.

    Rejected parts are still owed: a line is complete when its *accepted* quantity
    reaches the ordered one, so the delivery stays *partially received* until the
    replacement arrives or staff close it short (``close``, or
    ``delivery_close_short``), which records the shortfall. Accepting more than
    ``ordered × (1 + RECEIPT_OVER_TOLERANCE)`` on a line raises ``OverReceipt``
    (nothing is booked); an over-receipt within the tolerance is booked and noted
    on the delivery (``delivery.receipt_notes`` lists the notes of this call).
    """
    if received_at is None:
        received_at = timezone.now()
    else:
        try:
            check_event_moment(received_at)
        except DateOutOfRange as error:
            raise InvalidReceipt(f"received_at {error}", field="received_at") from None
    tolerance = receipt_tolerance()
    notes: list[str] = []
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        check_receivable(delivery)
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
            accepted = accepted_to_post(
                received_before=line.quantity_received,
                rejected_before=line.quantity_rejected,
                received=line.quantity_received + received,
                rejected=line.quantity_rejected + rejected,
            )
            _check_tolerance(line, accepted, tolerance)
            over_before = line.quantity_accepted > line.quantity_ordered
            line.quantity_received += received
            line.quantity_rejected += rejected
            line.rejection_reason = reasons_joined(
                line.rejection_reason, receipt.rejection_reason
            )
            line.save(
                update_fields=[
                    "quantity_received",
                    "quantity_rejected",
                    "rejection_reason",
                ]
            )
            if line.quantity_accepted > line.quantity_ordered and not over_before:
                notes.append(
                    f"Over-receipt of {line.item.sku}: "
                    f"{exact(line.quantity_accepted)} accepted against "
                    f"{exact(line.quantity_ordered)} ordered (within the "
                    f"{exact(tolerance * 100)} % tolerance)."
                )
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
        for note in notes:
            _append_note(delivery, note)
        status = status_after_receipt(
            LineState(line.quantity_ordered, line.quantity_received,
                      line.quantity_rejected)
            for line in lines.values()
        )  # fmt: skip
        if status == DeliveryStatus.RECEIVED:
            delivery.status = DeliveryStatus.RECEIVED
            delivery.received_at = received_at
        elif close:
            _close_short(delivery, lines.values(), at=received_at, user=user)
        else:
            delivery.status = status
        delivery.save(update_fields=["status", "received_at", "note"])
    delivery.receipt_notes = notes
    return delivery


def delivery_close_short(*, delivery: Delivery, user=None) -> Delivery:
    """Partially received → received: accept that the rest (including rejected
    parts not replaced) will not come; each line's shortfall is recorded for the
    supplier's fill rate."""
    now = timezone.now()
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.status != DeliveryStatus.PARTIALLY_RECEIVED:
            hint = (
                " Nothing has been received yet: cancel the order instead."
                if delivery.status == DeliveryStatus.ORDERED
                else ""
            )
            raise InvalidTransition(
                f"Delivery {delivery.reference} is {delivery.get_status_display()}; "
                f"only a partially received delivery can be closed short.{hint}",
                code="not_closable",
            )
        lines = list(
            DeliveryLine.objects.select_for_update()
            .filter(delivery=delivery)
            .select_related("item")
            .order_by("pk")
        )
        _close_short(delivery, lines, at=now, user=user)
        delivery.save(update_fields=["status", "received_at", "note"])
    return delivery


# --- the supplier's answers (EDI 855 / 856) ---


@dataclass(frozen=True)
class SupplierLineAnswer:
    """The supplier's answer to one line: confirm, change (a new quantity and/or
    date; None keeps the current one) or reject."""

    line_id: int
    response: str
    quantity: Decimal | None = None
    date: date | None = None


def line_receipt_prefill(line: DeliveryLine) -> Decimal:
    """What receiving a line starts from: the quantity the supplier's ship
    notices announced and that has not been received yet (at most the open
    quantity) once it sent a notice for the line, else the open quantity."""
    if line.ship_arrival is not None:
        return line.quantity_announced
    return line.quantity_open


def delivery_lines_answer(
    *,
    delivery: Delivery,
    answers: Sequence[SupplierLineAnswer],
    at: datetime | None = None,
) -> dict[int, tuple[Decimal, date | None]]:
    """Record where the supplier's answers leave each line of an open delivery;
    returns per line id the resulting (confirmed quantity, confirmed date).

    A confirmation confirms the ordered quantity on the current date (an
    earlier confirmed date, else the promised one); a change replaces what it
    names and keeps the rest; a rejection confirms 0 and no date. The first
    answer to the delivery is its ``first_response_at`` (time to confirm).

    Trusts its caller to have checked the answers (``portal.services``); the
    delivery and its lines are locked, so two answers at once are applied one
    after the other, each on the other's result."""
    at = at or timezone.now()
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.status not in OPEN_DELIVERY_STATUSES:
            raise InvalidTransition(
                f"Delivery {delivery.reference} is {delivery.get_status_display()}; "
                "only an open order can be answered.",
                code="not_open",
            )
        lines = {
            line.pk: line
            for line in DeliveryLine.objects.select_for_update()
            .filter(delivery=delivery, pk__in=[a.line_id for a in answers])
            .order_by("pk")
        }
        results = {}
        for answer in answers:
            line = lines[answer.line_id]
            rejected = line.response == LineResponse.REJECT
            quantity = (
                line.confirmed_quantity
                if line.confirmed_quantity is not None and not rejected
                else line.quantity_ordered
            )
            day = line.confirmed_date or delivery.promised_date
            if answer.response == LineResponse.CONFIRM:
                quantity = line.quantity_ordered
            elif answer.response == LineResponse.CHANGE:
                if answer.quantity is not None:
                    quantity = answer.quantity
                if answer.date is not None:
                    day = answer.date
            else:
                quantity, day = ZERO, None
            line.response = answer.response
            line.confirmed_quantity, line.confirmed_date = quantity, day
            results[line.pk] = (quantity, day)
        DeliveryLine.objects.bulk_update(
            lines.values(), ["response", "confirmed_quantity", "confirmed_date"]
        )
        Delivery.objects.filter(pk=delivery.pk, first_response_at__isnull=True).update(
            first_response_at=at
        )
    return results


def delivery_shipment_record(
    *,
    delivery: Delivery,
    arrival: date,
    shipped: dict[int, Decimal],
    at: datetime | None = None,
) -> None:
    """Record a ship notice on the lines of an open delivery: each line's
    ``quantity_shipped`` grows by what shipped now (``F()``) and its
    ``ship_arrival`` is this notice's arrival. Trusts its caller to have checked
    the quantities (``portal.services.ship_notice_create``, under the same lock)."""
    at = at or timezone.now()
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.status not in OPEN_DELIVERY_STATUSES:
            raise InvalidTransition(
                f"Delivery {delivery.reference} is {delivery.get_status_display()}; "
                "only an open order can be shipped.",
                code="not_open",
            )
        for line_id, quantity in sorted(shipped.items()):
            DeliveryLine.objects.filter(pk=line_id, delivery=delivery).update(
                quantity_shipped=F("quantity_shipped") + quantity,
                ship_arrival=arrival,
            )
        Delivery.objects.filter(pk=delivery.pk, first_response_at__isnull=True).update(
            first_response_at=at
        )


# --- e-mailing the purchase order ---


def delivery_send_order(*, delivery_id: int, raise_errors: bool = False) -> bool:
    """E-mail the purchase order (PDF attached) to the supplier and record it.

    Idempotent: an order already sent is not sent again, and a lock per delivery
    (in the cache, expiring on its own) keeps the retrying task and *Send again*
    from sending it twice at once. A failure is recorded in ``send_error`` (shown
    on the delivery) and returns False, or re-raises with ``raise_errors`` (the
    retrying task)."""
    expiry = 3 * int(getattr(settings, "EMAIL_TIMEOUT", None) or 20) + 60
    with job_lock(f"purchase-order-send:{delivery_id}", expiry=expiry) as mine:
        if not mine:
            return False  # another process is sending it right now
        return _delivery_send_order(delivery_id, raise_errors=raise_errors)


def _delivery_send_order(delivery_id: int, *, raise_errors: bool) -> bool:
    from .documents import purchase_order_email

    delivery = Delivery.objects.select_related("supplier").get(pk=delivery_id)
    if delivery.sent_at is not None or delivery.status == DeliveryStatus.DRAFT:
        return delivery.sent_at is not None
    if not delivery.supplier.email:
        Delivery.objects.filter(pk=delivery_id).update(
            send_error=f"Supplier {delivery.supplier.code} has no e-mail address; "
            "add one and send again."
        )
        return False
    try:
        message = purchase_order_email(delivery)
        message.send(fail_silently=False)
    except Exception as error:  # noqa: BLE001 - any mail failure is recorded
        Delivery.objects.filter(pk=delivery_id).update(
            send_error=f"{error.__class__.__name__}: {error}"[:255]
        )
        logger.warning("Purchase order %s not sent: %s", delivery.reference, error)
        if raise_errors:
            raise
        return False
    Delivery.objects.filter(pk=delivery_id).update(
        sent_to=", ".join(message.to)[:254], sent_at=timezone.now(), send_error=""
    )
    return True


def delivery_send_order_or_queue(delivery_id: int) -> bool:
    """Try to send now; if that fails and can be retried, queue a retry through
    the jobs outbox (so a mail server outage delays the e-mail, never the order)."""
    if delivery_send_order(delivery_id=delivery_id):
        return True
    if Delivery.objects.filter(pk=delivery_id, supplier__email="").exists():
        return False  # nothing to retry until someone adds the address
    job_enqueue(
        task_name="suppliers.tasks.delivery_send_order_task", args=[delivery_id]
    )
    return False


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
