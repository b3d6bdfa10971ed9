"""Import and export of suppliers, sources and deliveries, and the registry of all
five resources used by the admin and by ``import_data`` / ``export_data``.

Columns (DESIGN §4): suppliers ``code,name[,email]``; sources ``supplier,sku,
unit_price,quoted_lead_time_days[,min_order_qty,order_multiple,priority,
supplier_sku]``; deliveries ``reference,supplier,sku,quantity_ordered,ordered_at,
promised_date[,received_at,quantity_received,quantity_rejected]``, one line per
row.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from import_export.fields import Field

from bulk.errors import RowsInvalid
from bulk.resources import NEW, SKIP, UPDATE, BulkResource, ParsedRow
from bulk.widgets import (
    DateTimeWidget,
    DateWidget,
    DecimalWidget,
    IntegerWidget,
    format_decimal,
)
from items.models import MONEY, QTY, Item, MovementKind
from items.resources import ids_by, text_field
from items.services import (
    InvalidQuantity,
    MovementBatchError,
    MovementInput,
    check_whole_units,
    movements_bulk_post,
)
from items.sql import filter_in, insert_rows, update_rows

from .models import Delivery, DeliveryLine, DeliveryStatus, Supplier, SupplierItem
from .receiving import (
    LineState,
    accepted_to_post,
    change_problems,
    quantity_problems,
    reason_problems,
    reasons_joined,
    status_after_receipt,
)
from .services import check_quoted_lead_time_days

ZERO = Decimal(0)


class SupplierResource(BulkResource):
    code = text_field("code", 32)
    name = text_field("name", 200)
    email = text_field("email", 254)

    required_columns = ("code", "name")
    optional_columns = ("email",)
    key_columns = ("code",)

    class Meta:
        model = Supplier
        fields = ("code", "name", "email")
        export_order = fields
        import_id_fields = ("code",)
        chunk_size = 2000

    def validate_rows(self, rows: list[ParsedRow], **kwargs) -> None:
        for row in rows:
            email = row.values.get("email")
            if email and "email" not in row.errors:
                try:
                    validate_email(email)
                except ValidationError:
                    row.add_error("email", f"'{email}' is not a valid email address.")

    def write_rows(self, rows: list[ParsedRow], *, user=None) -> None:
        columns = [c for c in self.present_columns if c != "code"]
        codes = (row.values["code"] for row in rows)
        existing: dict[str, tuple] = {}
        for queryset in filter_in(Supplier.objects.all(), "code", codes):
            for pk, code, *values in queryset.values_list("pk", "code", *columns):
                existing[code] = (pk, values)
        new_suppliers, updates = [], []
        for row in rows:
            values = [row.values.get(column) or "" for column in columns]
            current = existing.get(row.values["code"])
            if current is None:
                new_suppliers.append((row.values["code"], *values))
                row.import_type = NEW
            elif current[1] != values:
                updates.append((current[0], *values))
                row.import_type = UPDATE
            else:
                row.import_type = SKIP
        insert_rows(Supplier, ["code", *columns], new_suppliers)
        update_rows(Supplier, columns, updates)

    def filter_export(self, queryset, **kwargs):
        return queryset.only(*self._meta.fields).order_by("code")


class SourceResource(BulkResource):
    """Sources by (supplier code, sku); both must exist already."""

    supplier = text_field("supplier", 32, attribute="supplier__code")
    sku = text_field("sku", 64, attribute="item__sku")
    unit_price = Field(
        attribute="unit_price", column_name="unit_price", widget=DecimalWidget(**MONEY)
    )
    quoted_lead_time_days = Field(
        attribute="quoted_lead_time_days",
        column_name="quoted_lead_time_days",
        widget=IntegerWidget(minimum=0),
    )
    min_order_qty = Field(
        attribute="min_order_qty",
        column_name="min_order_qty",
        widget=DecimalWidget(**QTY),
    )
    order_multiple = Field(
        attribute="order_multiple",
        column_name="order_multiple",
        widget=DecimalWidget(**QTY, positive=True),
    )
    priority = Field(
        attribute="priority",
        column_name="priority",
        widget=IntegerWidget(minimum=1, maximum=32767),
    )
    supplier_sku = text_field("supplier_sku", 64)

    required_columns = ("supplier", "sku", "unit_price", "quoted_lead_time_days")
    optional_columns = ("min_order_qty", "order_multiple", "priority", "supplier_sku")
    key_columns = ("supplier", "sku")

    #: Model value of a blank cell in a present optional column.
    blank_values = {
        "min_order_qty": ZERO,
        "order_multiple": Decimal(1),
        "priority": 1,
        "supplier_sku": "",
    }

    class Meta:
        model = SupplierItem
        fields = (
            "supplier",
            "sku",
            "unit_price",
            "quoted_lead_time_days",
            "min_order_qty",
            "order_multiple",
            "priority",
            "supplier_sku",
        )
        export_order = fields
        import_id_fields = ("supplier", "sku")
        chunk_size = 2000

    def validate_rows(self, rows: list[ParsedRow], **kwargs) -> None:
        resolve_keys(rows, supplier=True, item=True)
        for row in rows:
            days = row.values.get("quoted_lead_time_days")
            try:
                check_quoted_lead_time_days(days)
            except ValueError as error:
                row.add_error("quoted_lead_time_days", str(error))

    def write_rows(self, rows: list[ParsedRow], *, user=None) -> None:
        columns = [c for c in self.present_columns if c not in ("supplier", "sku")]
        item_ids = (row.values["item_id"] for row in rows)
        existing: dict[tuple[int, int], tuple] = {}
        sources = SupplierItem.objects.all()
        for queryset in filter_in(sources, "item_id", item_ids, sql_type="bigint"):
            for pk, supplier_id, item_id, *values in queryset.values_list(
                "pk", "supplier_id", "item_id", *columns
            ):
                existing[supplier_id, item_id] = (pk, values)
        new_sources, updates = [], []
        for row in rows:
            values = [
                self.blank_values[c]
                if row.values.get(c) in (None, "")
                else row.values[c]
                for c in columns
            ]
            key = (row.values["supplier_id"], row.values["item_id"])
            current = existing.get(key)
            if current is None:
                new_sources.append((*key, *values))
                row.import_type = NEW
            elif current[1] != values:
                updates.append((current[0], *values))
                row.import_type = UPDATE
            else:
                row.import_type = SKIP
        insert_rows(SupplierItem, ["supplier_id", "item_id", *columns], new_sources)
        update_rows(SupplierItem, columns, updates)

    def filter_export(self, queryset, **kwargs):
        columns = [f for f in self._meta.fields if f not in ("supplier", "sku")]
        return (
            queryset.select_related("supplier", "item")
            .only("supplier__code", "item__sku", *columns)
            .order_by("item__sku", "priority", "supplier__code")
        )


def resolve_keys(rows: list[ParsedRow], *, supplier: bool, item: bool) -> None:
    """Look up supplier codes and skus (one query per chunk), store their ids in
    ``row.values`` and report unknown ones."""
    lookups = []
    if supplier:
        lookups.append(("supplier", "supplier_id", Supplier, "code", "supplier"))
    if item:
        lookups.append(("sku", "item_id", Item, "sku", "sku"))
    for column, id_key, model, field_name, noun in lookups:
        ids = ids_by(model, field_name, (row.values.get(column) for row in rows))
        for row in rows:
            value = row.values.get(column)
            if value and column not in row.errors:
                row.values[id_key] = ids.get(value)
                if row.values[id_key] is None:
                    row.add_error(column, f"unknown {noun} '{value}'.")


class LineFigures(NamedTuple):
    """What an import needs of an existing delivery line (no model instance)."""

    pk: int
    delivery_id: int
    item_id: int
    quantity_ordered: Decimal
    quantity_received: Decimal
    quantity_rejected: Decimal
    rejection_reason: str


class DeliveryResource(BulkResource):
    """Delivery lines by (reference, sku); rows sharing a reference form one
    delivery (its supplier, ordered_at and promised_date must agree).

    A row with ``received_at`` is a received line: its ``quantity_received``
    (default: the quantity ordered) less ``quantity_rejected`` is accepted and
    posted to the stock ledger as a receipt linked to the line, as receiving in
    the UI does. Re-importing posts only the difference from what the line
    already has; reducing a received, rejected or accepted quantity is refused.
    The delivery becomes *received* when every line is received (has
    ``received_at`` or has arrived in full), *partially received* when something
    arrived, else *ordered* (*draft* without ``ordered_at``). Received and
    cancelled deliveries keep their status and cannot receive more.
    """

    reference = text_field("reference", 64, attribute="delivery__reference")
    supplier = text_field("supplier", 32, attribute="delivery__supplier__code")
    sku = text_field("sku", 64, attribute="item__sku")
    quantity_ordered = Field(
        attribute="quantity_ordered",
        column_name="quantity_ordered",
        widget=DecimalWidget(**QTY, positive=True),
    )
    ordered_at = Field(
        attribute="delivery__ordered_at",
        column_name="ordered_at",
        widget=DateTimeWidget(),
    )
    promised_date = Field(
        attribute="delivery__promised_date",
        column_name="promised_date",
        widget=DateWidget(),
    )
    received_at = Field(column_name="received_at", widget=DateTimeWidget())
    quantity_received = Field(
        column_name="quantity_received", widget=DecimalWidget(**QTY)
    )
    quantity_rejected = Field(
        column_name="quantity_rejected", widget=DecimalWidget(**QTY)
    )
    rejection_reason = text_field("rejection_reason", 255)

    uses_raw_cells = True  # messages quote cells as written
    required_columns = (
        "reference",
        "supplier",
        "sku",
        "quantity_ordered",
        "ordered_at",
        "promised_date",
    )
    optional_columns = (
        "received_at",
        "quantity_received",
        "quantity_rejected",
        "rejection_reason",
    )
    key_columns = ("reference", "sku")
    #: A draft has no ordered_at and a delivery may have no promise yet;
    #: plan_delivery decides when a blank ordered_at is an error.
    blank_allowed_columns = ("ordered_at", "promised_date")

    class Meta:
        model = DeliveryLine
        fields = (
            "reference",
            "supplier",
            "sku",
            "quantity_ordered",
            "ordered_at",
            "promised_date",
            "received_at",
            "quantity_received",
            "quantity_rejected",
            "rejection_reason",
        )
        export_order = fields
        import_id_fields = ("reference", "sku")
        chunk_size = 2000

    # -- validation ----------------------------------------------------------------

    def validate_rows(self, rows: list[ParsedRow], **kwargs) -> None:
        resolve_keys(rows, supplier=True, item=True)
        self.check_whole_units(rows)
        groups: dict[str, list[ParsedRow]] = defaultdict(list)
        for row in rows:
            if row.values.get("reference"):
                groups[row.values["reference"]].append(row)
        self.check_groups_agree(groups)
        deliveries, lines = self.load_existing(groups)
        self.plans = []
        for reference, group in groups.items():
            delivery = deliveries.get(reference)
            self.plans.append(
                self.plan_delivery(reference, group, delivery, lines.get(reference, {}))
            )

    def check_whole_units(self, rows) -> None:
        """Items counted in whole units refuse fractional quantities (received
        and rejected ones are also checked by the ledger when posted)."""
        item_ids = {r.values["item_id"] for r in rows if r.values.get("item_id")}
        units: dict[int, str] = {}
        for queryset in filter_in(
            Item.objects.all(), "pk", item_ids, sql_type="bigint"
        ):
            units.update(queryset.values_list("pk", "unit"))
        columns = ("quantity_ordered", "quantity_received", "quantity_rejected")
        for row in rows:
            item_id = row.values.get("item_id")
            if item_id is None:
                continue
            for column in columns:
                value = row.values.get(column)
                if value is None or column in row.errors:
                    continue
                try:
                    check_whole_units(
                        sku=row.raw.get("sku") or "",
                        unit=units.get(item_id, ""),
                        quantity=value,
                    )
                except InvalidQuantity as error:
                    row.add_error(column, str(error))

    def check_groups_agree(self, groups) -> None:
        for reference, group in groups.items():
            first = group[0]
            for row in group[1:]:
                for column in ("supplier", "ordered_at", "promised_date"):
                    if column in row.errors or column in first.errors:
                        continue
                    if row.values.get(column) != first.values.get(column):
                        row.add_error(
                            column,
                            f"differs from line {first.line} of delivery "
                            f"{reference} ({first.raw.get(column) or 'blank'}); "
                            "rows of one delivery must agree.",
                        )

    def load_existing(self, groups):
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
            for line in map(
                LineFigures._make, queryset.values_list(*LineFigures._fields)
            ):
                lines[by_id[line.delivery_id].reference][line.item_id] = line
        return deliveries, lines

    def plan_delivery(self, reference, group, delivery, lines) -> dict:
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
            plan_lines.append(self.plan_line(row, line, reference, ordered_at, closed))
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

    def plan_line(self, row, line, reference, ordered_at, closed) -> dict:
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
            row.add_error(
                "ordered_at", "a value is required: the line has been received."
            )
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

    # -- writing -------------------------------------------------------------------

    def write_rows(self, rows: list[ParsedRow], *, user=None) -> None:
        self.write_deliveries(user)
        self.write_lines()
        self.post_receipts(user)

    def write_deliveries(self, user) -> None:
        created_by_id = user.pk if user is not None and user.is_authenticated else None
        new_deliveries, updates = [], []
        for plan in self.plans:
            status, received_at = self.delivery_status(plan)
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
            for plan in self.plans:
                plan.setdefault("delivery_id", ids.get(plan["reference"]))

    def write_lines(self) -> None:
        quantity_fields = [
            "quantity_ordered",
            "quantity_received",
            "quantity_rejected",
            "rejection_reason",
        ]
        new_lines, updates = [], []
        for plan in self.plans:
            for entry in plan["lines"]:
                row, line = entry["row"], entry["line"]
                figures = (
                    entry["ordered"],
                    entry["received"],
                    entry["rejected"],
                    reasons_joined(
                        line.rejection_reason if line else "", entry["reason"]
                    ),
                )
                if line is None:
                    new_lines.append(
                        (plan["delivery_id"], row.values["item_id"], *figures)
                    )
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
        insert_rows(
            DeliveryLine, ["delivery_id", "item_id", *quantity_fields], new_lines
        )
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
            for plan in self.plans:
                for entry in plan["lines"]:
                    key = (plan["delivery_id"], entry["row"].values["item_id"])
                    entry.setdefault("line_id", ids.get(key))

    def delivery_status(self, plan) -> tuple[str, object]:
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

    def post_receipts(self, user) -> None:
        """Accepted quantities not yet in stock, posted through the ledger."""
        receipts = [
            (entry, plan["reference"])
            for plan in self.plans
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

    # -- export --------------------------------------------------------------------

    def filter_export(self, queryset, **kwargs):
        if queryset.model is Delivery:  # the admin exports its delivery list
            queryset = DeliveryLine.objects.filter(delivery__in=queryset)
        return (
            queryset.select_related("delivery__supplier", "item")
            .only(
                "item__sku",
                "quantity_ordered",
                "quantity_received",
                "quantity_rejected",
                "rejection_reason",
                "delivery__reference",
                "delivery__status",
                "delivery__ordered_at",
                "delivery__promised_date",
                "delivery__received_at",
                "delivery__supplier__code",
            )
            .order_by("delivery__reference", "id")
        )

    def dehydrate_received_at(self, line: DeliveryLine) -> str:
        """Only lines of a received delivery carry its received_at: a partly
        received delivery re-imports as partly received."""
        delivery = line.delivery
        if delivery.status != DeliveryStatus.RECEIVED or delivery.received_at is None:
            return ""
        return self.fields["received_at"].widget.render(delivery.received_at)

    def dehydrate_quantity_received(self, line: DeliveryLine) -> str:
        if not self._has_receipt(line):
            return ""
        return format_decimal(line.quantity_received)

    def dehydrate_quantity_rejected(self, line: DeliveryLine) -> str:
        if not self._has_receipt(line):
            return ""
        return format_decimal(line.quantity_rejected)

    @staticmethod
    def _has_receipt(line: DeliveryLine) -> bool:
        """Quantities are shown once something arrived or the delivery is closed
        as received (then 0 means nothing came)."""
        return bool(line.quantity_received) or (
            line.delivery.status == DeliveryStatus.RECEIVED
        )
