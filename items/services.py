"""Stock ledger: every change of ``on_hand`` goes through here.

A movement row and the matching ``on_hand`` change are written in one
transaction. Decreases use a conditional ``UPDATE … SET on_hand = on_hand - q
WHERE on_hand >= q`` so concurrent issues can never drive stock negative or lose
an update (PostgreSQL re-checks the condition on the locked row; SQLite runs
write transactions one at a time in IMMEDIATE mode). Increases are conditional
the same way (``WHERE on_hand <= MAX_ON_HAND - q``): no result ever exceeds what
the column holds (``StockOverflow``), on SQLite as on PostgreSQL. Bulk postings
lock the affected items in primary-key order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Round
from django.utils import timezone

from inventory_site.dates import (
    DateOutOfRange,
    check_event_moment,
    check_planned_date,
)
from inventory_site.formatting import exact, is_whole_unit

from .limits import column_max
from .models import (
    Item,
    MovementKind,
    PlannedDemand,
    PlannedDemandStatus,
    StockMovement,
    UnmetDemand,
    UnmetDemandReason,
)
from .sql import filter_in, insert_rows, update_from_values

THOUSANDTH = Decimal("0.001")
KINDS = frozenset(MovementKind.values)  # .values builds a new list on every call


class StockError(Exception):
    """Base class of ledger errors; the message is meant for the user."""


class InvalidQuantity(StockError, ValueError):
    pass


class InvalidMovementDate(StockError, ValueError):
    """``occurred_at`` outside the plausible window (``inventory_site.dates``)."""


def check_occurred_at(moment: datetime) -> datetime:
    """``moment`` if a movement may have happened then; else ``InvalidMovementDate``."""
    try:
        return check_event_moment(moment)
    except DateOutOfRange as error:
        raise InvalidMovementDate(f"occurred_at {error}") from None


class InsufficientStock(StockError):
    #: Set by ``stock_movement_post(record_unmet=True)``: the shortfall it
    #: recorded as unmet demand (the issue itself still changed nothing).
    unmet: UnmetDemand | None = None

    def __init__(self, *, item: Item | None = None, sku: str = "", requested, on_hand):
        self.sku = item.sku if item is not None else sku
        self.requested = requested
        self.on_hand = on_hand
        super().__init__(
            f"Cannot take {exact(requested)} of {self.sku}: "
            f"only {exact(on_hand)} on hand."
        )


MAX_QUANTITY = column_max(StockMovement, "quantity")  # one movement
MAX_ON_HAND = column_max(Item, "on_hand")  # stock of one item, after any movement


class StockOverflow(InvalidQuantity):
    """Adding ``quantity`` would make ``on_hand`` larger than its column holds."""

    def __init__(self, *, sku: str, quantity, on_hand):
        self.sku = sku
        self.quantity = quantity
        self.on_hand = on_hand
        super().__init__(
            f"Cannot add {exact(quantity)} to {sku}: on hand would be "
            f"{exact(Decimal(on_hand) + Decimal(quantity))}, more than the largest "
            f"stock that can be stored ({exact(MAX_ON_HAND)})."
        )


def check_quantity(value, *, allow_negative: bool = False) -> Decimal:
    """Parse and validate a ledger quantity; raise ``InvalidQuantity`` if bad."""
    try:
        quantity = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidQuantity(f"'{value}' is not a number.") from None
    if not quantity.is_finite():
        raise InvalidQuantity(f"'{value}' is not a number.")
    if quantity == 0:
        raise InvalidQuantity("Quantity must not be zero.")
    if quantity < 0 and not allow_negative:
        raise InvalidQuantity("Quantity must be positive.")
    if abs(quantity) > MAX_QUANTITY:
        raise InvalidQuantity(
            f"Quantity {value} is too large; at most {exact(MAX_QUANTITY)}."
        )
    if quantity != quantity.quantize(THOUSANDTH):
        raise InvalidQuantity("Quantity allows at most 3 decimal places.")
    return quantity


def counts_in_whole_units(unit: str) -> bool:
    """Whether items of this unit are counted in whole numbers (``WHOLE_UNITS``;
    the same rule the formatter shows quantities by)."""
    return is_whole_unit(unit)


def check_whole_units(*, sku: str, unit: str, quantity) -> None:
    """Refuse a fractional quantity of an item counted in whole units."""
    if quantity is None or not counts_in_whole_units(unit):
        return
    quantity = Decimal(quantity)
    if quantity != quantity.to_integral_value():
        raise InvalidQuantity(
            f"{sku} is counted in whole {unit}: {exact(quantity)} is not a whole "
            "number."
        )


def signed_quantity(*, kind: str, quantity) -> Decimal:
    """Ledger sign convention: receipts add, issues and scrap remove,
    adjustments carry their own sign."""
    if kind not in KINDS:
        raise InvalidQuantity(
            f"Unknown movement kind '{kind}'; "
            f"use one of: {', '.join(MovementKind.values)}."
        )
    if kind == MovementKind.ADJUSTMENT:
        return check_quantity(quantity, allow_negative=True)
    quantity = check_quantity(quantity)
    return quantity if kind == MovementKind.RECEIPT else -quantity


def _plus(quantity: Decimal) -> Round:
    """``on_hand + quantity`` rounded to the field's 3 places.

    SQLite keeps decimals as binary floats, so without rounding, sums like
    0.001 + 0.008 − 0.009 drift off zero and a later exact issue is refused.
    Rounding on every write keeps the stored value the nearest float to the exact
    decimal; on PostgreSQL (numeric) it changes nothing.
    """
    return Round(F("on_hand") + quantity, 3)


def _check_signed(kind: str, quantity: Decimal) -> None:
    """A ledger row as stored: a known kind, and a sign that matches it."""
    if kind not in KINDS:
        raise InvalidQuantity(f"Unknown movement kind '{kind}'.")
    check_quantity(quantity, allow_negative=True)
    if kind == MovementKind.RECEIPT and quantity < 0:
        raise InvalidQuantity("A receipt adds stock: its quantity must be positive.")
    if kind in (MovementKind.ISSUE, MovementKind.SCRAP) and quantity > 0:
        raise InvalidQuantity(
            f"{kind.capitalize()} removes stock: its ledger quantity is negative."
        )


def _post(
    *,
    item: Item,
    kind: str,
    quantity: Decimal,
    user=None,
    occurred_at: datetime | None = None,
    note: str = "",
    delivery_line_id: int | None = None,
    reference: str = "",
) -> StockMovement:
    """Write one movement of signed ``quantity`` and move ``on_hand`` with it."""
    if occurred_at is not None:
        occurred_at = check_occurred_at(occurred_at)
    with transaction.atomic():
        rows = Item.objects.filter(pk=item.pk)
        if quantity < 0:
            rows = rows.filter(on_hand__gte=-quantity)
        else:  # the result must fit the column, also against concurrent posts
            rows = rows.filter(on_hand__lte=MAX_ON_HAND - quantity)
        if not rows.update(on_hand=_plus(quantity)):
            current = Item.objects.filter(pk=item.pk).values_list("on_hand", flat=True)
            if quantity > 0:
                raise StockOverflow(
                    sku=item.sku, quantity=quantity, on_hand=current.first() or 0
                )
            raise InsufficientStock(
                item=item, requested=-quantity, on_hand=current.first() or 0
            )
        movement = StockMovement.objects.create(
            item=item,
            kind=kind,
            quantity=quantity,
            occurred_at=occurred_at or timezone.now(),
            note=note[:255],
            created_by=user if user is not None and user.is_authenticated else None,
            delivery_line_id=delivery_line_id,
            reference=reference[:64],
        )
    item.refresh_from_db(fields=["on_hand"])
    return movement


def stock_movement_post(
    *,
    item: Item,
    kind: str,
    quantity,
    user=None,
    occurred_at: datetime | None = None,
    note: str = "",
    reference: str = "",
    record_unmet: bool = False,
) -> StockMovement:
    """Post a movement as users enter it: a positive quantity for receipts,
    issues and scrap (the kind gives the sign), a signed one for adjustments.

    Raises ``InvalidQuantity`` (``StockOverflow`` when on_hand would exceed its
    column), ``InvalidMovementDate`` or ``InsufficientStock``; nothing changes
    then — except that with ``record_unmet`` an issue refused for lack of stock
    records its shortfall as unmet demand (``unmet_demand_record_shortfall``)
    before ``InsufficientStock`` is raised, carrying the record as ``.unmet``.
    """
    signed = signed_quantity(kind=kind, quantity=quantity)
    check_whole_units(sku=item.sku, unit=item.unit, quantity=signed)
    try:
        return _post(
            item=item,
            kind=kind,
            quantity=signed,
            user=user,
            occurred_at=occurred_at,
            note=note,
            reference=reference,
        )
    except InsufficientStock as refused:
        if record_unmet and kind == MovementKind.ISSUE:
            refused.unmet = unmet_demand_record_shortfall(
                item=item,
                refused=refused,
                user=user,
                occurred_at=occurred_at,
                reference=reference,
                note=note,
            )
        raise


def stock_receive(*, item: Item, quantity, user=None, occurred_at=None, note=""):
    return stock_movement_post(
        item=item, kind=MovementKind.RECEIPT, quantity=quantity, user=user,
        occurred_at=occurred_at, note=note,
    )  # fmt: skip


def stock_issue(
    *, item: Item, quantity, user=None, occurred_at=None, note="", reference=""
):
    """Consumption; ``reference`` names the production or sales order it was
    for, which uses up that order's planned demand."""
    return stock_movement_post(
        item=item, kind=MovementKind.ISSUE, quantity=quantity, user=user,
        occurred_at=occurred_at, note=note, reference=reference,
    )  # fmt: skip


def stock_scrap(*, item: Item, quantity, user=None, occurred_at=None, note=""):
    return stock_movement_post(
        item=item, kind=MovementKind.SCRAP, quantity=quantity, user=user,
        occurred_at=occurred_at, note=note,
    )  # fmt: skip


def stock_adjust(*, item: Item, quantity, user=None, occurred_at=None, note=""):
    """Correct stock after a count; ``quantity`` is signed."""
    return stock_movement_post(
        item=item, kind=MovementKind.ADJUSTMENT, quantity=quantity, user=user,
        occurred_at=occurred_at, note=note,
    )  # fmt: skip


def stock_receive_for_delivery_line(
    *, item: Item, quantity: Decimal, delivery_line_id: int, user=None,
    occurred_at=None, note="",
) -> StockMovement:  # fmt: skip
    """Receipt of accepted goods of a delivery line; called by ``suppliers``."""
    return _post(
        item=item,
        kind=MovementKind.RECEIPT,
        quantity=check_quantity(quantity),
        user=user,
        occurred_at=occurred_at,
        note=note,
        delivery_line_id=delivery_line_id,
    )


@dataclass(frozen=True)
class MovementInput:
    """One movement of a batch; ``quantity`` already carries the ledger sign."""

    item_id: int
    kind: str
    quantity: Decimal
    occurred_at: datetime
    note: str = ""
    delivery_line_id: int | None = None
    reference: str = ""


class MovementBatchError(StockError):
    """Some rows of a batch were refused; ``errors`` maps row index → message."""

    def __init__(self, errors: dict[int, str]):
        self.errors = errors
        super().__init__(f"{len(errors)} movement(s) refused.")


def movements_bulk_post(*, movements: Sequence[MovementInput], user=None) -> int:
    """Post many movements at once, all or nothing.

    Rows are checked in the given order against a running balance per item that
    starts at the locked ``on_hand``; any row that would drive stock negative or
    beyond what ``on_hand`` can hold, or that happened outside the plausible date
    window, makes the whole batch fail with ``MovementBatchError`` (nothing
    written). Otherwise the
    movements are inserted set-based (``insert_rows``: COPY on PostgreSQL, no model
    instances) and each item's ``on_hand`` moves by its net total.
    """
    if not movements:
        return 0
    item_ids = sorted({m.item_id for m in movements})
    with transaction.atomic():
        balances: dict[int, Decimal] = {}
        skus: dict[int, str] = {}
        units: dict[int, str] = {}
        locking = Item.objects.select_for_update().order_by("pk")
        for queryset in filter_in(locking, "pk", item_ids, sql_type="bigint"):
            rows = queryset.values_list("pk", "sku", "on_hand", "unit")
            for pk, sku, on_hand, unit in rows:
                balances[pk] = on_hand
                skus[pk] = sku
                units[pk] = unit
        errors: dict[int, str] = {}
        for index, movement in enumerate(movements):
            if movement.item_id not in balances:
                errors[index] = f"Item id {movement.item_id} does not exist."
                continue
            try:
                _check_signed(movement.kind, movement.quantity)
                check_occurred_at(movement.occurred_at)
                check_whole_units(
                    sku=skus[movement.item_id],
                    unit=units[movement.item_id],
                    quantity=movement.quantity,
                )
            except StockError as error:
                errors[index] = str(error)
                continue
            new_balance = balances[movement.item_id] + movement.quantity
            if new_balance < 0:
                errors[index] = str(
                    InsufficientStock(
                        sku=skus[movement.item_id],
                        requested=-movement.quantity,
                        on_hand=balances[movement.item_id],
                    )
                )
                continue
            if new_balance > MAX_ON_HAND:
                errors[index] = str(
                    StockOverflow(
                        sku=skus[movement.item_id],
                        quantity=movement.quantity,
                        on_hand=balances[movement.item_id],
                    )
                )
                continue
            balances[movement.item_id] = new_balance
        if errors:
            raise MovementBatchError(errors)

        created_by = user.pk if user is not None and user.is_authenticated else None
        insert_rows(
            StockMovement,
            ["item_id", "kind", "quantity", "occurred_at", "note",
             "delivery_line_id", "created_by_id", "reference"],
            [
                (m.item_id, m.kind, m.quantity, m.occurred_at, m.note[:255],
                 m.delivery_line_id, created_by, m.reference[:64])
                for m in movements
            ],
        )  # fmt: skip
        net: dict[int, Decimal] = defaultdict(Decimal)
        for m in movements:
            net[m.item_id] += m.quantity
        _items_add_on_hand(net)
    return len(movements)


def _items_add_on_hand(net: dict[int, Decimal]) -> None:
    """Add each item's net change to ``on_hand`` (rows already locked), rounded to
    the ledger's 3 places, with one set-based UPDATE per batch."""
    update_from_values(
        table=Item._meta.db_table,
        columns=[("id", "bigint"), ("delta", "numeric")],
        rows=[(item_id, delta) for item_id, delta in net.items() if delta],
        set_sql="on_hand = ROUND(on_hand + v.delta, 3)",
    )


def items_store_planning_figures(
    *, rows: Sequence[tuple[int, Decimal, Decimal, Decimal]], planned_at: datetime
) -> int:
    """Store (item id, daily demand, its deviation, reorder point) for the given
    items, set-based; callers pass only the rows that changed."""
    return update_from_values(
        table=Item._meta.db_table,
        columns=[
            ("id", "bigint"),
            ("d", "numeric"),
            ("sd", "numeric"),
            ("rop", "numeric"),
        ],
        rows=list(rows),
        set_sql="avg_daily_demand = v.d, daily_demand_std = v.sd, "
        "reorder_point = v.rop, planned_at = %s",
        set_params=[connection.ops.adapt_datetimefield_value(planned_at)],
    )


# --- planned demand (DESIGN §8) ---


@dataclass(frozen=True, slots=True)
class PlannedDemandInput:
    item_id: int
    date: date
    quantity: Decimal
    status: str = PlannedDemandStatus.FIRM
    reference: str = ""


def planned_demand_replace(
    *, lines: Sequence[PlannedDemandInput], source: str = ""
) -> tuple[int, list[PlannedDemand]]:
    """Add planned-demand lines; the lines of every reference named in ``lines``
    replace that reference's earlier lines (of any item), so a re-imported
    production schedule or sales order never counts twice. Lines without a
    reference are added. One transaction. Returns (lines replaced, lines added)."""
    for line in lines:  # the interfaces check these with row and field; trust none
        check_planned_date(line.date)
        if not 0 < line.quantity <= column_max(PlannedDemand, "quantity"):
            raise InvalidQuantity(
                f"Planned quantity {line.quantity} must be more than 0 and at most "
                f"{exact(column_max(PlannedDemand, 'quantity'))}."
            )
    references = sorted({line.reference for line in lines if line.reference})
    with transaction.atomic():
        replaced = 0
        for start in range(0, len(references), 2000):
            replaced += PlannedDemand.objects.filter(
                reference__in=references[start : start + 2000]
            ).delete()[0]
        added = PlannedDemand.objects.bulk_create(
            [
                PlannedDemand(
                    item_id=line.item_id,
                    date=line.date,
                    quantity=line.quantity,
                    status=line.status,
                    reference=line.reference,
                    source=source,
                )
                for line in lines
            ],
            batch_size=2000,
        )
    return replaced, added


# --- unmet demand (DESIGN §7) ---


def unmet_demand_record(
    *,
    item: Item,
    quantity,
    user=None,
    occurred_at: datetime | None = None,
    reason: str = UnmetDemandReason.OUT_OF_STOCK,
    reference: str = "",
    note: str = "",
) -> UnmetDemand:
    """Record a request that could not be served; planning counts it as demand
    of its day (the ledger and ``on_hand`` do not change: nothing was issued).

    ``quantity`` is positive, like an issue's as people enter it. Raises
    ``InvalidQuantity`` (also for a fraction of an item counted in whole units or
    an unknown reason) or ``InvalidMovementDate``; nothing is written then."""
    quantity = check_quantity(quantity)
    check_whole_units(sku=item.sku, unit=item.unit, quantity=quantity)
    if reason not in UnmetDemandReason.values:
        raise InvalidQuantity(
            f"Unknown reason '{reason}'; use one of: "
            f"{', '.join(UnmetDemandReason.values)}."
        )
    moment = check_occurred_at(occurred_at) if occurred_at is not None else None
    return UnmetDemand.objects.create(
        item=item,
        quantity=quantity,
        occurred_at=moment or timezone.now(),
        reason=reason,
        reference=reference[:64],
        note=note[:255],
        created_by=user if user is not None and user.is_authenticated else None,
    )


def unmet_demand_record_shortfall(
    *,
    item: Item,
    refused: InsufficientStock,
    user=None,
    occurred_at: datetime | None = None,
    reference: str = "",
    note: str = "",
) -> UnmetDemand | None:
    """Record what a refused issue could not get: requested − on hand (the
    part that stock could not serve, at the moment of the refusal), not the
    whole request — whoever hands out what is on hand books that as an issue,
    so nothing counts twice. An issue refused at 0 on hand records all of it.
    None when there is no shortfall any more (stock arrived meanwhile)."""
    shortfall = Decimal(refused.requested) - Decimal(refused.on_hand)
    if shortfall <= 0:
        return None
    text = (
        f"Issue of {exact(refused.requested)} refused: "
        f"{exact(refused.on_hand)} on hand."
    )
    return unmet_demand_record(
        item=item,
        quantity=shortfall,
        user=user,
        occurred_at=occurred_at,
        reason=UnmetDemandReason.ISSUE_REFUSED,
        reference=reference,
        note=f"{text} {note}".strip(),
    )
