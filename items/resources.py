"""Import and export of items and stock movements (admin and ``import_data``).

Columns (DESIGN §4): items ``sku,name,unit_cost,annual_demand[,unit,
shelf_life_days,jit_pilot]`` — the export adds ``abc_class,xyz_class,
demand_pattern,policy,on_hand``, which an import accepts and ignores (stock
changes only through the ledger); movements
``sku,kind,quantity,occurred_at[,note,reference]``; planned demand
``sku,date,quantity[,status,reference]``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from import_export.fields import Field
from import_export.results import RowResult

from .imports import (
    BooleanWidget,
    BulkResource,
    DateTimeWidget,
    DateWidget,
    DecimalWidget,
    IntegerWidget,
    ParsedRow,
    RawWidget,
    RowsInvalid,
    TextWidget,
    filter_in,
    format_decimal,
    format_issue,
    merge_rows,
)
from .models import (
    MONEY,
    QTY,
    Item,
    MovementKind,
    PlannedDemand,
    PlannedDemandStatus,
    StockMovement,
)
from .selectors import median_unit_cost
from .services import (
    KINDS,
    MAX_ON_HAND,
    InsufficientStock,
    InvalidQuantity,
    MovementBatchError,
    MovementInput,
    PlannedDemandInput,
    StockOverflow,
    movements_bulk_post,
    planned_demand_replace,
    signed_quantity,
)

NEW = RowResult.IMPORT_TYPE_NEW
UPDATE = RowResult.IMPORT_TYPE_UPDATE
SKIP = RowResult.IMPORT_TYPE_SKIP


def text_field(name: str, max_length: int, **kwargs) -> Field:
    return Field(
        attribute=kwargs.pop("attribute", name),
        column_name=name,
        widget=TextWidget(max_length=max_length, **kwargs),
    )


class ItemResource(BulkResource):
    """Items by ``sku``: created or updated, never their stock."""

    sku = text_field("sku", 64)
    name = text_field("name", 200)
    unit_cost = Field(
        attribute="unit_cost", column_name="unit_cost", widget=DecimalWidget(**MONEY)
    )
    annual_demand = Field(
        attribute="annual_demand",
        column_name="annual_demand",
        widget=DecimalWidget(**QTY),
    )
    unit = text_field("unit", 16)
    shelf_life_days = Field(
        attribute="shelf_life_days",
        column_name="shelf_life_days",
        widget=IntegerWidget(minimum=0),
    )
    jit_pilot = Field(
        attribute="jit_pilot", column_name="jit_pilot", widget=BooleanWidget()
    )
    abc_class = text_field("abc_class", 1, escape=False)
    xyz_class = text_field("xyz_class", 1, escape=False)
    demand_pattern = text_field("demand_pattern", 12, escape=False)
    policy = text_field("policy", 16, escape=False)
    on_hand = Field(
        attribute="on_hand",
        column_name="on_hand",
        widget=DecimalWidget(**QTY),
        readonly=True,
    )

    required_columns = ("sku", "name", "unit_cost", "annual_demand")
    optional_columns = ("unit", "shelf_life_days", "jit_pilot")
    readonly_columns = ("abc_class", "xyz_class", "demand_pattern", "policy", "on_hand")
    key_columns = ("sku",)

    #: Model value of a blank cell in a present column (text columns: "").
    blank_values = {"name": "", "unit": "ea", "jit_pilot": False}

    class Meta:
        model = Item
        fields = (
            "sku",
            "name",
            "unit_cost",
            "annual_demand",
            "unit",
            "shelf_life_days",
            "jit_pilot",
            "abc_class",
            "xyz_class",
            "demand_pattern",
            "policy",
            "on_hand",
        )
        export_order = fields
        import_id_fields = ("sku",)
        chunk_size = 2000

    def import_data_inner(self, *args, **kwargs):
        """The library's result, plus ``result.import_warnings``: lines to show
        (the admin preview, ``import_data``) that do not stop the import."""
        self.import_warnings: list[str] = []
        result = super().import_data_inner(*args, **kwargs)
        result.import_warnings = list(self.import_warnings)
        return result

    def validate_rows(self, rows: list[ParsedRow], **kwargs) -> None:
        self.import_warnings = unit_cost_outlier_warnings(rows)

    def write_rows(self, rows: list[ParsedRow], *, user=None) -> None:
        columns = [c for c in self.present_columns if c != "sku"]
        blanks = [self.blank_values.get(column) for column in columns]

        def model_values(row: ParsedRow) -> list:
            return [
                blank if (value := row.values.get(column)) is None or value == ""
                else value
                for column, blank in zip(columns, blanks, strict=True)
            ]  # fmt: skip

        created, updated = merge_rows(
            Item,
            "sku",
            columns,
            [(row.values["sku"], *model_values(row)) for row in rows],
            touch="updated_at",
        )
        for row in rows:
            sku = row.values["sku"]
            row.import_type = (
                NEW if sku in created else UPDATE if sku in updated else SKIP
            )

    def filter_export(self, queryset, **kwargs):
        return queryset.only(*self._meta.fields).order_by("sku")


def unit_cost_outlier_warnings(rows: list[ParsedRow]) -> list[str]:
    """A warning per row whose unit cost is more than
    ``IMPORT_UNIT_COST_OUTLIER_FACTOR`` (1000) × the median unit cost of the
    catalogue (of the file's own costs when the catalogue has none): usually a
    typo, and one such cost makes its item the only A item of the next
    classification. A warning, not an error: the row is imported."""
    factor = Decimal(settings.IMPORT_UNIT_COST_OUTLIER_FACTOR)
    costs = [
        (row.line, row.values.get("sku"), cost)
        for row in rows
        if not row.errors and isinstance(cost := row.values.get("unit_cost"), Decimal)
    ]
    if not costs:
        return []
    median = median_unit_cost()
    source = "the catalogue's"
    if median is None:
        positive = sorted(cost for _, _, cost in costs if cost > 0)
        if not positive:
            return []
        middle = len(positive) // 2
        median = (
            positive[middle]
            if len(positive) % 2
            else (positive[middle - 1] + positive[middle]) / 2
        )
        source = "this file's"
    limit = median * factor
    return [
        format_issue(
            line,
            "unit_cost",
            f"warning: {format_decimal(cost)} for '{sku}' is more than "
            f"{factor:,} × {source} median unit cost ({format_decimal(median)}); "
            "check it — imported anyway, and it would make this item the only "
            "A item.",
        )
        for line, sku, cost in costs
        if cost > limit
    ]


class MovementResource(BulkResource):
    """Stock movements: always appended to the ledger, all or nothing.

    ``quantity`` is positive for receipts, issues and scrap (the kind gives the
    sign) and signed for adjustments, on import and on export alike. An issue
    beyond the stock on hand (after the file's earlier rows) is a row error.
    """

    sku = text_field("sku", 64, attribute="item__sku")
    kind = text_field("kind", 16, escape=False)
    quantity = Field(attribute="quantity", column_name="quantity", widget=RawWidget())
    occurred_at = Field(
        attribute="occurred_at", column_name="occurred_at", widget=DateTimeWidget()
    )
    note = text_field("note", 255)
    reference = text_field("reference", 64)

    required_columns = ("sku", "kind", "quantity", "occurred_at")
    optional_columns = ("note", "reference")

    class Meta:
        model = StockMovement
        fields = ("sku", "kind", "quantity", "occurred_at", "note", "reference")
        export_order = fields
        chunk_size = 2000

    def validate_rows(self, rows: list[ParsedRow], **kwargs) -> None:
        item_ids = self.ids_by(Item, "sku", (row.values.get("sku") for row in rows))
        for row in rows:
            sku = row.values.get("sku")
            if sku and "sku" not in row.errors:
                row.values["item_id"] = item_ids.get(sku)
                if row.values["item_id"] is None:
                    row.add_error("sku", f"unknown sku '{sku}'.")
            kind = (row.values.get("kind") or "").lower()
            row.values["kind"] = kind
            if kind and kind not in KINDS:
                row.add_error(
                    "kind",
                    f"unknown kind '{kind}'; use one of: "
                    f"{', '.join(MovementKind.values)}.",
                )
            elif kind and row.values.get("quantity") and "quantity" not in row.errors:
                try:
                    row.values["signed"] = signed_quantity(
                        kind=kind, quantity=row.values["quantity"]
                    )
                except InvalidQuantity as error:
                    row.add_error("quantity", str(error))
        self.check_stock(rows)

    @staticmethod
    def check_stock(rows: list[ParsedRow]) -> None:
        """Report issues beyond stock, and receipts beyond what ``on_hand`` can
        hold, now, with the file's other errors. The ledger checks again under
        row locks when it posts (the authority)."""
        balances: dict[int, Decimal] = {}
        items = Item.objects.all()
        item_ids = (row.values.get("item_id") for row in rows)
        for queryset in filter_in(items, "pk", item_ids, sql_type="bigint"):
            balances.update(queryset.values_list("pk", "on_hand"))
        for row in rows:
            signed, item_id = row.values.get("signed"), row.values.get("item_id")
            if row.errors or signed is None or item_id not in balances:
                continue
            if balances[item_id] + signed < 0:
                row.add_error(
                    "quantity",
                    str(
                        InsufficientStock(
                            sku=row.values["sku"],
                            requested=-signed,
                            on_hand=balances[item_id],
                        )
                    ),
                )
            elif balances[item_id] + signed > MAX_ON_HAND:
                row.add_error(
                    "quantity",
                    str(
                        StockOverflow(
                            sku=row.values["sku"],
                            quantity=signed,
                            on_hand=balances[item_id],
                        )
                    ),
                )
            else:
                balances[item_id] += signed

    def write_rows(self, rows: list[ParsedRow], *, user=None) -> None:
        movements = [
            MovementInput(
                item_id=row.values["item_id"],
                kind=row.values["kind"],
                quantity=row.values["signed"],
                occurred_at=row.values["occurred_at"],
                note=row.values.get("note") or "",
                reference=row.values.get("reference") or "",
            )
            for row in rows
        ]
        try:
            movements_bulk_post(movements=movements, user=user)
        except MovementBatchError as error:
            for index, message in error.errors.items():
                rows[index].add_error("quantity", message)
            raise RowsInvalid from error
        for row in rows:
            row.import_type = NEW

    def filter_export(self, queryset, **kwargs):
        return (
            queryset.select_related("item")
            .only("item__sku", "kind", "quantity", "occurred_at", "note", "reference")
            .order_by("occurred_at", "id")
        )

    def dehydrate_quantity(self, movement: StockMovement) -> str:
        quantity = movement.quantity
        if movement.kind in (MovementKind.ISSUE, MovementKind.SCRAP):
            quantity = -quantity
        return format_decimal(quantity)


class PlannedDemandResource(BulkResource):
    """Planned demand (production schedules, customer orders), all or nothing.

    Rows with a ``reference`` replace that reference's earlier lines, so the same
    schedule imported again never counts twice; rows without one are added.
    ``status`` is firm (default), planned or forecast.
    """

    sku = text_field("sku", 64, attribute="item__sku")
    date = Field(attribute="date", column_name="date", widget=DateWidget())
    quantity = Field(
        attribute="quantity", column_name="quantity", widget=DecimalWidget(**QTY)
    )
    status = text_field("status", 16, escape=False)
    reference = text_field("reference", 64)

    required_columns = ("sku", "date", "quantity")
    optional_columns = ("status", "reference")

    class Meta:
        model = PlannedDemand
        fields = ("sku", "date", "quantity", "status", "reference")
        export_order = fields
        chunk_size = 2000

    def validate_rows(self, rows: list[ParsedRow], **kwargs) -> None:
        item_ids = self.ids_by(Item, "sku", (row.values.get("sku") for row in rows))
        for row in rows:
            sku = row.values.get("sku")
            if sku and "sku" not in row.errors:
                row.values["item_id"] = item_ids.get(sku)
                if row.values["item_id"] is None:
                    row.add_error("sku", f"unknown sku '{sku}'.")
            quantity = row.values.get("quantity")
            if quantity is not None and "quantity" not in row.errors and quantity <= 0:
                row.add_error("quantity", "must be more than 0.")
            status = (row.values.get("status") or PlannedDemandStatus.FIRM).lower()
            row.values["status"] = status
            if status not in PlannedDemandStatus.values:
                row.add_error(
                    "status",
                    f"unknown status '{status}'; use one of: "
                    f"{', '.join(PlannedDemandStatus.values)}.",
                )

    def write_rows(self, rows: list[ParsedRow], *, user=None) -> None:
        planned_demand_replace(
            lines=[
                PlannedDemandInput(
                    item_id=row.values["item_id"],
                    date=row.values["date"],
                    quantity=row.values["quantity"],
                    status=row.values["status"],
                    reference=row.values.get("reference") or "",
                )
                for row in rows
            ],
            source="import",
        )
        for row in rows:
            row.import_type = NEW

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("item").order_by("date", "id")
