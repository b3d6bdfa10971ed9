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

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from import_export.fields import Field

from bulk.resources import BulkResource, ParsedRow
from bulk.widgets import (
    DateTimeWidget,
    DateWidget,
    DecimalWidget,
    IntegerWidget,
    format_decimal,
)
from inventory_site.db import filter_in
from items.models import MONEY, QTY, Item
from items.resources import ids_by, set_import_types, text_field
from items.services import (
    InvalidQuantity,
    check_whole_units,
)

from .delivery_import import check_deliveries_import, deliveries_import
from .models import Delivery, DeliveryLine, DeliveryStatus, Supplier, SupplierItem
from .services import check_quoted_lead_time_days, sources_upsert, suppliers_upsert

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
        created, updated = suppliers_upsert(
            fields=columns,
            rows=[
                (row.values["code"], *(row.values.get(c) or "" for c in columns))
                for row in rows
            ],
        )
        set_import_types(rows, created, updated, key=lambda row: row.values["code"])

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

        def key(row: ParsedRow) -> tuple[int, int]:
            return row.values["supplier_id"], row.values["item_id"]

        created, updated = sources_upsert(
            fields=columns,
            rows=[
                (
                    *key(row),
                    *(
                        self.blank_values[c]
                        if row.values.get(c) in (None, "")
                        else row.values[c]
                        for c in columns
                    ),
                )
                for row in rows
            ],
        )
        set_import_types(rows, created, updated, key=key)

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
        self.plans = check_deliveries_import(groups)

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

    # -- writing -------------------------------------------------------------------

    def write_rows(self, rows: list[ParsedRow], *, user=None) -> None:
        deliveries_import(plans=self.plans, user=user)

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
