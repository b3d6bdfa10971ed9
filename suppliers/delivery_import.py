"""The ``deliveries`` import's rules and writes (``DeliveryResource`` parses the
cells, resolves keys and checks that a delivery's rows agree, then calls these).

``check_deliveries_import`` locks the deliveries a file names (and their lines, in
primary-key order, so a concurrent receipt cannot slip in between), checks each
row against what exists with the rules of receiving (``suppliers.receiving``:
inspection, totals only grow, a rejection needs a reason), adds errors to the
rows and returns a plan; ``deliveries_import`` executes it set-based: deliveries,
then lines, then the accepted quantities not yet in stock, posted through the
ledger as receipts linked to their lines (exactly once: only the growth of a
line's accepted quantity is posted). The delivery's status follows
``status_after_receipt``; received and cancelled deliveries keep theirs.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import NamedTuple

from bulk.errors import RowsInvalid
from bulk.resources import NEW, SKIP, UPDATE, ParsedRow
from inventory_site.db import filter_in, insert_rows, update_rows
from items.models import MovementKind
from items.resources import ids_by
from items.services import MovementBatchError, MovementInput, movements_bulk_post

from .models import Delivery, DeliveryLine, DeliveryStatus, Supplier
from .receiving import (
    LineState,
    accepted_to_post,
    change_problems,
    quantity_problems,
    reason_problems,
    reasons_joined,
    status_after_receipt,
)

ZERO = Decimal(0)


class LineFigures(NamedTuple):
    """What an import needs of an existing delivery line (no model instance)."""

    pk: int
    delivery_id: int
    item_id: int
    quantity_ordered: Decimal
    quantity_received: Decimal
    quantity_rejected: Decimal
    rejection_reason: str


def check_deliveries_import(groups: dict[str, list[ParsedRow]]) -> list[dict]:
    """Check each delivery's rows (by reference) against what exists; errors go
    to the rows. Returns the plan ``deliveries_import`` executes (only when no
    row of the file has an error)."""
    deliveries, lines = _load_existing(groups)
    return [
        _plan_delivery(
            reference, group, deliveries.get(reference), lines.get(reference, {})
        )
        for reference, group in groups.items()
    ]


def deliveries_import(*, plans: list[dict], user=None) -> None:
    """Write a checked plan: deliveries, lines, then receipts through the
    ledger. Sets each row's import type; ``RowsInvalid`` (rows carry the
    ledger's errors) when the ledger refuses a receipt."""
    _write_deliveries(plans, user)
    _write_lines(plans)
    _post_receipts(plans, user)


def _load_existing(groups):
    """Existing deliveries by reference and their lines by item id, locked in
    primary-key order so a concurrent receipt cannot slip in between."""
    deliveries: dict[str, Delivery] = {}
    locked = Delivery.objects.select_for_update().order_by("pk")
    for queryset in filter_in(locked, "reference", groups):
        for delivery in queryset:
            deliveries[delivery.reference] = delivery
    by_id = {delivery.pk: delivery for delivery in deliveries.values()}
    lines: dict[str, dict[int, LineFigures]] = defaultdict(dict)
    locked = DeliveryLine.objects.select_for_update().order_by("pk")
    for queryset in filter_in(locked, "delivery_id", by_id, sql_type="bigint"):
        for line in map(LineFigures._make, queryset.values_list(*LineFigures._fields)):
            lines[by_id[line.delivery_id].reference][line.item_id] = line
    return deliveries, lines


def _plan_delivery(reference, group, delivery, lines) -> dict:
    """Check one delivery's rows against what exists and work out the new
    figures; returns the plan ``write_rows`` executes."""
    first = group[0]
    ordered_at = first.values.get("ordered_at")
    promised_date = first.values.get("promised_date")
    status = delivery.status if delivery else None
    closed = status in (DeliveryStatus.RECEIVED, DeliveryStatus.CANCELLED)
    if delivery is not None:
        supplier_id = first.values.get("supplier_id")
        if supplier_id and supplier_id != delivery.supplier_id:
            code = Supplier.objects.get(pk=delivery.supplier_id).code
            for row in group:
                row.add_error(
                    "supplier",
                    f"delivery {reference} exists and is from supplier {code}.",
                )
        if (
            ordered_at is None
            and "ordered_at" not in first.errors
            and delivery.ordered_at is not None
        ):
            for row in group:
                row.add_error(
                    "ordered_at",
                    f"a value is required: delivery {reference} is "
                    f"{delivery.get_status_display().lower()}.",
                )
    plan_lines = []
    receipt_columns = ("received_at", "quantity_received", "quantity_rejected")
    for row in group:
        if (
            row.values.get("item_id") is None
            or any(column in row.errors for column in receipt_columns)
            or (
                row.values.get("quantity_ordered") is None
                and row.values.get("quantity_received") is None
            )
        ):
            continue
        line = lines.get(row.values["item_id"])
        plan_lines.append(_plan_line(row, line, reference, ordered_at, closed))
    in_file = {row.values.get("item_id") for row in group}
    untouched = [line for item_id, line in lines.items() if item_id not in in_file]
    return {
        "reference": reference,
        "rows": group,
        "delivery": delivery,
        "supplier_id": first.values.get("supplier_id"),
        "ordered_at": ordered_at,
        "promised_date": promised_date,
        "lines": plan_lines,
        "untouched": untouched,
    }


def _plan_line(row, line, reference, ordered_at, closed) -> dict:
    received_at = row.values.get("received_at")
    ordered = row.values.get("quantity_ordered")  # None only with errors
    current_received = line.quantity_received if line else ZERO
    current_rejected = line.quantity_rejected if line else ZERO
    received = row.values.get("quantity_received")
    if received is None:
        received = ordered if received_at else current_received
    rejected = row.values.get("quantity_rejected")
    if rejected is None:
        rejected = current_rejected
    before = {
        "received_before": current_received,
        "rejected_before": current_rejected,
    }
    after = {"received": received, "rejected": rejected}
    problems = quantity_problems(**after)
    problems += [
        problem
        for problem in change_problems(**before, **after)
        if not problems or problem.code != "accepted_taken_back"
    ]
    if not problems:
        problems = reason_problems(
            rejected=rejected - current_rejected,
            reason=row.values.get("rejection_reason") or "",
        )
    for problem in problems:
        row.add_error(problem.field, problem.row_message)
    changed = (received, rejected) != (current_received, current_rejected)
    if changed and closed:
        row.add_error(
            "received_at",
            f"delivery {reference} is closed (received or cancelled) and "
            "cannot receive more.",
        )
    elif changed and received_at is None:
        row.add_error(
            "received_at", "a value is required to receive goods on this line."
        )
    elif received_at is not None and ordered_at is None:
        row.add_error("ordered_at", "a value is required: the line has been received.")
    elif received_at is not None and received_at < ordered_at:
        row.add_error(
            "received_at",
            f"is before ordered_at ({row.raw.get('ordered_at')}).",
        )
    return {
        "row": row,
        "line": line,
        "ordered": ordered,
        "received": received,
        "rejected": rejected,
        "post": accepted_to_post(**before, **after),
        "reason": (row.values.get("rejection_reason") or "")
        if rejected > current_rejected
        else "",
        "received_at": received_at,
    }


def _write_deliveries(plans, user) -> None:
    created_by_id = user.pk if user is not None and user.is_authenticated else None
    new_deliveries, updates = [], []
    for plan in plans:
        status, received_at = _delivery_status(plan)
        figures = (status, plan["ordered_at"], plan["promised_date"], received_at)
        delivery = plan["delivery"]
        if delivery is None:
            new_deliveries.append(
                (plan["supplier_id"], plan["reference"], *figures, created_by_id)
            )
            plan["delivery_changed"] = True
            continue
        plan["delivery_id"] = delivery.pk
        current = (
            delivery.status,
            delivery.ordered_at,
            delivery.promised_date,
            delivery.received_at,
        )
        plan["delivery_changed"] = figures != current
        if plan["delivery_changed"]:
            updates.append((delivery.pk, *figures))
    figure_fields = ["status", "ordered_at", "promised_date", "received_at"]
    insert_rows(
        Delivery,
        ["supplier_id", "reference", *figure_fields, "created_by_id"],
        new_deliveries,
    )
    update_rows(Delivery, figure_fields, updates)
    if new_deliveries:
        ids = ids_by(Delivery, "reference", (d[1] for d in new_deliveries))
        for plan in plans:
            plan.setdefault("delivery_id", ids.get(plan["reference"]))


def _write_lines(plans) -> None:
    quantity_fields = [
        "quantity_ordered",
        "quantity_received",
        "quantity_rejected",
        "rejection_reason",
    ]
    new_lines, updates = [], []
    for plan in plans:
        for entry in plan["lines"]:
            row, line = entry["row"], entry["line"]
            figures = (
                entry["ordered"],
                entry["received"],
                entry["rejected"],
                reasons_joined(line.rejection_reason if line else "", entry["reason"]),
            )
            if line is None:
                new_lines.append((plan["delivery_id"], row.values["item_id"], *figures))
                row.import_type = NEW
                continue
            entry["line_id"] = line.pk
            current = (
                line.quantity_ordered,
                line.quantity_received,
                line.quantity_rejected,
                line.rejection_reason,
            )
            if figures != current:
                updates.append((line.pk, *figures))
            changed = figures != current or plan["delivery_changed"]
            row.import_type = UPDATE if changed else SKIP
    insert_rows(DeliveryLine, ["delivery_id", "item_id", *quantity_fields], new_lines)
    update_rows(DeliveryLine, quantity_fields, updates)
    if new_lines:
        ids = {}
        lines = DeliveryLine.objects.all()
        delivery_ids = (line[0] for line in new_lines)
        for queryset in filter_in(
            lines, "delivery_id", delivery_ids, sql_type="bigint"
        ):
            for pk, delivery_id, item_id in queryset.values_list(
                "pk", "delivery_id", "item_id"
            ):
                ids[delivery_id, item_id] = pk
        for plan in plans:
            for entry in plan["lines"]:
                key = (plan["delivery_id"], entry["row"].values["item_id"])
                entry.setdefault("line_id", ids.get(key))


def _delivery_status(plan) -> tuple[str, object]:
    delivery = plan["delivery"]
    if delivery is not None and delivery.status in (
        DeliveryStatus.RECEIVED,
        DeliveryStatus.CANCELLED,
    ):
        return delivery.status, delivery.received_at
    if plan["ordered_at"] is None:
        return DeliveryStatus.DRAFT, None
    status = status_after_receipt(
        [
            LineState(entry["ordered"], entry["received"], entry["rejected"],
                      closed=entry["received_at"] is not None)
            for entry in plan["lines"]
        ]
        + [
            LineState(line.quantity_ordered, line.quantity_received,
                      line.quantity_rejected)
            for line in plan["untouched"]
        ]
    )  # fmt: skip
    times = [e["received_at"] for e in plan["lines"] if e["received_at"]]
    if delivery is not None and delivery.received_at is not None:
        times.append(delivery.received_at)
    if status == DeliveryStatus.RECEIVED and not times:
        # Complete, but no file row says when it arrived: still open.
        status = DeliveryStatus.PARTIALLY_RECEIVED
    return status, (max(times) if status == DeliveryStatus.RECEIVED else None)


def _post_receipts(plans, user) -> None:
    """Accepted quantities not yet in stock, posted through the ledger."""
    receipts = [
        (entry, plan["reference"])
        for plan in plans
        for entry in plan["lines"]
        if entry["post"] > 0
    ]
    try:
        movements_bulk_post(
            movements=[
                MovementInput(
                    item_id=entry["row"].values["item_id"],
                    kind=MovementKind.RECEIPT,
                    quantity=entry["post"],
                    occurred_at=entry["received_at"],
                    note=f"Delivery {reference}",
                    delivery_line_id=entry["line_id"],
                )
                for entry, reference in receipts
            ],
            user=user,
        )
    except MovementBatchError as error:
        for index, message in error.errors.items():
            receipts[index][0]["row"].add_error("quantity_received", message)
        raise RowsInvalid from error
