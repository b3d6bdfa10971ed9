"""The rules of receiving a delivery line, in one place.

Every way goods are booked in — the delivery page (``LineReceiptForm``), the API
(``LineReceiptSerializer`` and ``delivery_receive``) and the ``deliveries`` import
(``DeliveryResource`` and ``deliveries_import``) — asks these functions. They are
pure (figures in, problems or figures out); the services lock rows and write.

1. **Inspection** (``inspection_problems``): what arrives now is zero or more,
   the rejected part at most what was received, whole numbers for an item counted
   in whole units, and a rejection needs a reason.
2. **Exactly once** (``change_problems``, ``accepted_to_post``): a line's
   received and rejected totals only grow, and what enters stock is the growth of
   its accepted quantity (received − rejected). Booking the same totals again
   posts nothing; accepted units already in stock are never taken back (an
   adjustment corrects stock). The page and the API add to a locked line of an
   open delivery (a received one is refused); the import states a line's totals
   and posts the difference.
3. **Status after a receipt** (``status_after_receipt``): a line is complete when
   its accepted quantity reaches the ordered one — rejected parts are still owed
   (DESIGN §5) — or when it is closed (the import's ``received_at``: the line's
   receipt is final). The delivery is received when every line is complete (or
   staff close it short), partially received when anything arrived, else ordered.

Each problem names its field and a ``code``, and is worded once for each place it
is shown: ``message`` for the service and the API (with the SKU), ``field_message``
beside a form field, ``row_message`` in an import's "line N, column C" list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from items.services import InvalidQuantity, check_whole_units

from .models import DeliveryStatus

ZERO = Decimal(0)
REASON_REQUIRED = "Say why parts were rejected."


def _fmt(value: Decimal) -> str:
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class ReceiptProblem:
    """One broken rule: the field it belongs to, its code and its wordings."""

    field: str
    code: str
    message: str
    field_message: str = ""
    row_message: str = ""

    def __post_init__(self):
        if not self.field_message:
            object.__setattr__(self, "field_message", self.message)
        if not self.row_message:
            object.__setattr__(self, "row_message", self.message)


@dataclass(frozen=True)
class LineState:
    """A line's figures for the status rule; ``closed``: its receipt is final."""

    ordered: Decimal
    received: Decimal
    rejected: Decimal
    closed: bool = False

    @property
    def accepted(self) -> Decimal:
        return self.received - self.rejected


def _prefixed(sku: str, text: str) -> str:
    return f"{sku}: {text}" if sku else text[:1].upper() + text[1:]


def inspection_problems(
    *,
    received: Decimal | None,
    rejected: Decimal | None,
    reason: str = "",
    sku: str = "",
    unit: str = "",
) -> list[ReceiptProblem]:
    """What is wrong with receiving ``received`` now, of which ``rejected`` were
    refused at inspection (empty when nothing is): the quantities first, then
    the reason (asked for only once the quantities are right)."""
    return quantity_problems(
        received=received, rejected=rejected, sku=sku, unit=unit
    ) or reason_problems(rejected=rejected, reason=reason, sku=sku)


def quantity_problems(
    *,
    received: Decimal | None,
    rejected: Decimal | None,
    sku: str = "",
    unit: str = "",
) -> list[ReceiptProblem]:
    """Received and rejected are zero or more, rejected ≤ received, and whole
    numbers for an item counted in whole units."""
    for value, field, noun in (
        (received, "quantity_received", "received"),
        (rejected, "quantity_rejected", "rejected"),
    ):
        if value is None or value < 0:
            return [
                ReceiptProblem(
                    field,
                    "negative_quantity",
                    _prefixed(sku, f"{noun} quantity must be zero or more."),
                )
            ]
    if rejected > received:
        return [
            ReceiptProblem(
                "quantity_rejected",
                "rejected_above_received",
                _prefixed(sku, f"cannot reject {rejected}, only {received} received."),
                field_message="Cannot reject more than was received.",
                row_message=f"cannot reject {_fmt(rejected)}: only "
                f"{_fmt(received)} received.",
            )
        ]
    problems = []
    for value, field in (
        (received, "quantity_received"),
        (rejected, "quantity_rejected"),
    ):
        try:
            check_whole_units(sku=sku, unit=unit, quantity=value)
        except InvalidQuantity as error:
            problems.append(ReceiptProblem(field, "not_whole_units", str(error)))
    return problems


def reason_problems(
    *, rejected: Decimal, reason: str = "", sku: str = ""
) -> list[ReceiptProblem]:
    """Rejecting anything (``rejected`` > 0, what this booking rejects) needs a
    reason."""
    if rejected <= 0 or (reason or "").strip():
        return []
    return [
        ReceiptProblem(
            "rejection_reason",
            "reason_required",
            _prefixed(
                sku,
                f"{_fmt(rejected)} rejected: say why parts were rejected "
                "(rejection_reason).",
            ),
            field_message=REASON_REQUIRED,
            row_message=f"{_fmt(rejected)} rejected: a rejection needs a reason.",
        )
    ]


def reasons_joined(earlier: str, new: str) -> str:
    """A line's rejection reasons: earlier ones are kept, a new one appended."""
    reasons = [earlier, (new or "").strip()]
    return "; ".join(reason for reason in reasons if reason)[:255]


def change_problems(
    *,
    received_before: Decimal,
    rejected_before: Decimal,
    received: Decimal,
    rejected: Decimal,
) -> list[ReceiptProblem]:
    """A line's totals may only grow, and its accepted quantity never shrink
    (exactly once: what is in stock stays counted once)."""
    problems = []
    if received < received_before:
        problems.append(
            ReceiptProblem(
                "quantity_received",
                "received_reduced",
                f"{_fmt(received_before)} already received; an import cannot "
                "reduce it.",
            )
        )
    if rejected < rejected_before:
        problems.append(
            ReceiptProblem(
                "quantity_rejected",
                "rejected_reduced",
                f"{_fmt(rejected_before)} already rejected; an import cannot "
                "reduce it.",
            )
        )
    taken_back = (received_before - rejected_before) - (received - rejected)
    if not problems and taken_back > 0:
        problems.append(
            ReceiptProblem(
                "quantity_rejected",
                "accepted_taken_back",
                f"would take back {_fmt(taken_back)} accepted units already in "
                "stock; correct stock with an adjustment instead.",
            )
        )
    return problems


def accepted_to_post(
    *,
    received_before: Decimal,
    rejected_before: Decimal,
    received: Decimal,
    rejected: Decimal,
) -> Decimal:
    """What enters stock when a line goes from the figures before to these: the
    growth of its accepted quantity (0 when the same totals are booked again)."""
    return max((received - rejected) - (received_before - rejected_before), ZERO)


def status_after_receipt(
    lines: Iterable[LineState], *, close: bool = False
) -> DeliveryStatus:
    """The status of an ordered delivery once these are its lines (see 3. above);
    ``close``: staff accept a short delivery."""
    lines = list(lines)
    if all(line.closed or line.accepted >= line.ordered for line in lines) or close:
        return DeliveryStatus.RECEIVED
    if any(line.received > 0 for line in lines):
        return DeliveryStatus.PARTIALLY_RECEIVED
    return DeliveryStatus.ORDERED
