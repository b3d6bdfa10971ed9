from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone

from inventory_site import formatting

QTY = {"max_digits": 16, "decimal_places": 3}
MONEY = {"max_digits": 14, "decimal_places": 4}
RATE = {"max_digits": 16, "decimal_places": 4}
ZERO = Decimal("0")


class AbcClass(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


class XyzClass(models.TextChoices):
    X = "X", "X (stable)"
    Y = "Y", "Y (variable)"
    Z = "Z", "Z (volatile)"


class DemandPattern(models.TextChoices):
    """Syntetos–Boylan demand patterns (DESIGN §7), from the demand window's
    daily demand: ADI (days per day with demand) and CV² of the non-zero days."""

    SMOOTH = "smooth", "Smooth"
    ERRATIC = "erratic", "Erratic"
    INTERMITTENT = "intermittent", "Intermittent"
    LUMPY = "lumpy", "Lumpy"


class Policy(models.TextChoices):
    JIT = "jit", "JIT (small frequent batches)"
    REORDER_POINT = "reorder_point", "Reorder point"
    MIN_MAX = "min_max", "Min/max"


class ItemQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def with_stock_value(self):
        return self.annotate(
            stock_value=ExpressionWrapper(
                F("on_hand") * F("unit_cost"),
                output_field=DecimalField(max_digits=30, decimal_places=7),
            )
        )

    def with_days_of_cover(self):
        """Days the stock lasts at the stored daily demand (None without demand)."""
        return self.annotate(
            days_of_cover=Case(
                When(
                    avg_daily_demand__gt=0,
                    then=ExpressionWrapper(
                        F("on_hand") / F("avg_daily_demand"),
                        output_field=DecimalField(max_digits=30, decimal_places=4),
                    ),
                ),
                default=Value(None),
                output_field=DecimalField(max_digits=30, decimal_places=4),
            )
        )

    def below_reorder_point(self):
        """At or below the reorder point stored by the nightly run."""
        return self.filter(reorder_point__gt=0, on_hand__lte=F("reorder_point"))

    def stocked_out(self):
        return self.filter(on_hand__lte=0)


class Item(models.Model):
    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=16, default="ea")
    unit_cost = models.DecimalField(default=ZERO, **MONEY)
    production_lead_time_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Days to make one batch of this item from its components (a "
        "product with a bill of materials): the components are needed that many "
        "days before the product's planned demand.",
    )
    annual_demand = models.DecimalField(
        default=ZERO,
        help_text="Planned units per year, used when there is no consumption history.",
        **QTY,
    )
    on_hand = models.DecimalField(
        default=ZERO,
        editable=False,
        help_text="Maintained by the stock ledger only.",
        **QTY,
    )
    abc_class = models.CharField(
        "ABC class", max_length=1, choices=AbcClass.choices, blank=True, default=""
    )
    xyz_class = models.CharField(
        "XYZ class",
        max_length=1,
        choices=XyzClass.choices,
        blank=True,
        default="",
        help_text="Blank while there is too little history (unknown).",
    )
    demand_pattern = models.CharField(
        max_length=12,
        choices=DemandPattern.choices,
        blank=True,
        default="",
        help_text="From the demand window's daily demand (nightly); blank without "
        "demand. Intermittent and lumpy items are never JIT.",
    )
    policy = models.CharField(
        max_length=16, choices=Policy.choices, default=Policy.REORDER_POINT
    )
    policy_override = models.CharField(
        max_length=16,
        choices=Policy.choices,
        blank=True,
        default="",
        help_text="When set, the nightly run keeps this policy, not the derived one.",
    )
    jit_pilot = models.BooleanField("JIT pilot", default=False)
    safety_time_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Overrides the class's minimum safety time."
    )
    shelf_life_days = models.PositiveIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)

    # Planning figures stored by the nightly run, so pages never recompute them.
    # annual_value = unit_cost × annual demand, rounded to 4 places; wide enough for
    # any product of the two fields (the ranking itself uses the exact product).
    annual_value = models.DecimalField(
        max_digits=30, decimal_places=4, default=ZERO, editable=False
    )
    abc_cumulative_share = models.DecimalField(
        max_digits=7,
        decimal_places=3,
        null=True,
        editable=False,
        help_text="Running share of total annual value, in percent (ABC).",
    )
    avg_daily_demand = models.DecimalField(default=ZERO, editable=False, **RATE)
    daily_demand_std = models.DecimalField(default=ZERO, editable=False, **RATE)
    reorder_point = models.DecimalField(default=ZERO, editable=False, **QTY)
    planned_at = models.DateTimeField(null=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(
                condition=Q(on_hand__gte=0), name="item_on_hand_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(unit_cost__gte=0), name="item_unit_cost_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(annual_demand__gte=0),
                name="item_annual_demand_not_negative",
            ),
        ]
        # No index on the classification columns (abc_class, xyz_class, policy,
        # demand_pattern,
        # annual_value, abc_cumulative_share): the nightly run rewrites them, and
        # with none of them indexed (and free space on every page, see migration
        # items 0005) PostgreSQL updates the rows in place (HOT) without touching
        # any index. A class or policy has 3 values: a filter on it reads most of
        # the table anyway.
        permissions = [
            ("import_item", "Can import items"),
            ("export_item", "Can export items"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} — {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("item_detail", args=[self.sku])

    @property
    def effective_policy(self) -> str:
        return self.policy_override or self.policy


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", "Receipt"
    ISSUE = "issue", "Issue"
    ADJUSTMENT = "adjustment", "Adjustment"
    SCRAP = "scrap", "Scrap"


class StockMovementQuerySet(models.QuerySet):
    def issues(self):
        return self.filter(kind=MovementKind.ISSUE)


class StockMovement(models.Model):
    """One line of the append-only stock ledger; ``quantity`` is signed."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=16, choices=MovementKind.choices)
    quantity = models.DecimalField(**QTY)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    # A string reference keeps ``items`` free of imports from ``suppliers``.
    delivery_line = models.ForeignKey(
        "suppliers.DeliveryLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="movements",
    )
    note = models.CharField(max_length=255, blank=True, default="")
    # The production or sales order an issue was made for: once it is booked,
    # planned demand with the same reference stops counting (DESIGN §8).
    reference = models.CharField(max_length=64, blank=True, default="", db_default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StockMovementQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(
                fields=["item", "kind", "occurred_at"], name="move_item_kind_at"
            ),
            # Demand: an item's issues over a window, read from the index alone
            # (PostgreSQL covers the quantity; elsewhere a plain partial index).
            models.Index(
                fields=["item", "occurred_at"],
                include=["quantity"],
                condition=Q(kind="issue"),
                name="move_issue_item_at",
            ),
            # Issues booked against a production or sales order (few rows).
            models.Index(
                fields=["item", "reference"],
                condition=~Q(reference=""),
                name="move_item_reference",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(quantity=0), name="movement_quantity_not_zero"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["receipt"], quantity__gt=0)
                    | Q(kind__in=["issue", "scrap"], quantity__lt=0)
                    | Q(kind="adjustment")
                ),
                name="movement_sign_matches_kind",
            ),
        ]
        permissions = [
            ("import_stockmovement", "Can import stock movements"),
            ("export_stockmovement", "Can export stock movements"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity} {self.item.sku}"


class UnmetDemandReason(models.TextChoices):
    OUT_OF_STOCK = "out_of_stock", "Out of stock"
    ISSUE_REFUSED = "issue_refused", "Issue refused for lack of stock"
    OTHER = "other", "Other"


class UnmetDemand(models.Model):
    """A request that found no stock: demand the ledger cannot show, because
    nothing was issued (DESIGN §7). Append-only like the ledger; planning counts
    it as demand of its day beside the issues, so a stockout does not hide
    demand."""

    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, related_name="unmet_demand"
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    quantity = models.DecimalField(**QTY)
    reason = models.CharField(
        max_length=16,
        choices=UnmetDemandReason.choices,
        default=UnmetDemandReason.OUT_OF_STOCK,
    )
    # The production or sales order the request was for, like an issue's.
    reference = models.CharField(max_length=64, blank=True, default="")
    note = models.CharField(max_length=255, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "unmet demand"
        indexes = [
            # Demand: an item's unmet requests over a window (a range scan per
            # chunk of items, like the issue index).
            models.Index(
                fields=["item", "occurred_at"],
                include=["quantity"],
                name="unmet_item_at",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="unmet_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Unmet {self.quantity} {self.item.sku}"


class ClassificationRunStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (another run held the lock)"


class ClassificationRun(models.Model):
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16,
        choices=ClassificationRunStatus.choices,
        default=ClassificationRunStatus.PENDING,
    )
    parameters = models.JSONField(default=dict, blank=True)
    counts = models.JSONField(
        default=dict, blank=True, help_text="Items per ABC, XYZ class and policy."
    )
    items_total = models.PositiveIntegerField(default=0)
    items_changed = models.PositiveIntegerField(default=0)
    duration_seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Classification run {self.pk} ({self.status})"


class ItemClassChange(models.Model):
    """An item moving between classes or policies in one classification run."""

    run = models.ForeignKey(
        ClassificationRun, on_delete=models.CASCADE, related_name="changes"
    )
    item = models.ForeignKey(
        Item, on_delete=models.CASCADE, related_name="class_changes"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    old_abc_class = models.CharField(max_length=1, blank=True, default="")
    new_abc_class = models.CharField(max_length=1, blank=True, default="")
    old_xyz_class = models.CharField(max_length=1, blank=True, default="")
    new_xyz_class = models.CharField(max_length=1, blank=True, default="")
    old_policy = models.CharField(max_length=16, blank=True, default="")
    new_policy = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["item", "changed_at"], name="class_change_item_at")
        ]

    def __str__(self) -> str:
        return (
            f"{self.item_id}: {self.old_abc_class or '-'}{self.old_xyz_class or '-'}"
            f" → {self.new_abc_class or '-'}{self.new_xyz_class or '-'}"
        )

    @property
    def old_policy_label(self) -> str:
        return formatting.label(self.old_policy, Policy.choices)

    @property
    def new_policy_label(self) -> str:
        return formatting.label(self.new_policy, Policy.choices)


class ImportRunStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for a worker"
    RUNNING = "running", "Checking and writing"
    SUCCEEDED = "succeeded", "Imported"
    FAILED = "failed", "Not imported (errors)"


class ImportRun(models.Model):
    """An admin import: a large one done in the background by a Celery worker, or
    a confirmed preview imported in the request (recorded when it succeeds).

    The uploaded file is kept in the database (so any worker on any machine can
    read it) until the import has finished; the outcome — counts, or every error
    by line and column — stays for the admin to read.
    """

    resource = models.CharField(
        max_length=200, help_text="Dotted path of the import resource class."
    )
    upload_key = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="One key per confirmed upload (a preview's or an upload form's): "
        "a second confirmation of the same upload is refused, so a file is "
        "imported at most once.",
    )
    model_label = models.CharField(max_length=100)
    file_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=8)
    content = models.BinaryField(editable=False, default=b"")
    rows_total = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=16, choices=ImportRunStatus.choices, default=ImportRunStatus.QUEUED
    )
    counts = models.JSONField(
        default=dict, blank=True, help_text="Rows created, updated and unchanged."
    )
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Import of {self.file_name} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (ImportRunStatus.SUCCEEDED, ImportRunStatus.FAILED)

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at or timezone.now()
        return (end - self.started_at).total_seconds()


class PlannedDemandStatus(models.TextChoices):
    FIRM = "firm", "Firm"
    PLANNED = "planned", "Planned"
    FORECAST = "forecast", "Forecast"


class PlannedDemand(models.Model):
    """Demand known in advance: a production run, a customer order, a launch.

    Planning counts it day by day beside the statistical demand (DESIGN §8);
    issues booked with the same ``reference`` use it up."""

    item = models.ForeignKey(
        Item, on_delete=models.CASCADE, related_name="planned_demand"
    )
    date = models.DateField()
    quantity = models.DecimalField(**QTY)
    status = models.CharField(
        max_length=16,
        choices=PlannedDemandStatus.choices,
        default=PlannedDemandStatus.FIRM,
    )
    reference = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="Production or sales order number; re-importing it replaces "
        "its earlier lines.",
    )
    source = models.CharField(
        max_length=64, blank=True, default="", help_text="Where the line came from."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name_plural = "planned demand"
        indexes = [
            # Covering on PostgreSQL: suggestion generation reads a chunk's lines
            # from the index alone (imported lines are scattered over the heap).
            models.Index(
                fields=["item", "date"],
                include=("quantity", "status", "reference"),
                name="planned_item_date_cover",
            ),
            models.Index(fields=["reference"], name="planned_reference"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="planned_quantity_positive"
            ),
        ]
        permissions = [
            ("import_planneddemand", "Can import planned demand"),
            ("export_planneddemand", "Can export planned demand"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.item.sku} on {self.date}"


class BillOfMaterialsLine(models.Model):
    """One level of a bill of materials: ``quantity`` of ``component`` per unit
    of ``product``."""

    product = models.ForeignKey(
        Item, on_delete=models.CASCADE, related_name="components"
    )
    component = models.ForeignKey(
        Item, on_delete=models.PROTECT, related_name="used_in"
    )
    quantity = models.DecimalField(**QTY)

    class Meta:
        verbose_name = "bill of materials line"
        constraints = [
            models.UniqueConstraint(
                fields=["product", "component"], name="bom_product_component_unique"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="bom_quantity_positive"
            ),
            models.CheckConstraint(
                condition=~Q(product=models.F("component")), name="bom_not_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.component.sku} per {self.product.sku}"
