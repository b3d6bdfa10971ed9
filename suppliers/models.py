from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Case, DateField, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from items.models import MONEY, QTY, Item

from .risk import risk_explanation

ZERO = Decimal("0")


class Weekday(models.IntegerChoices):
    """Python's ``date.weekday()``: Monday is 0."""

    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Supplier(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    contact_name = models.CharField(max_length=200, blank=True, default="")
    email = models.EmailField(blank=True, default="")
    phone = models.CharField(max_length=64, blank=True, default="")
    jit_pilot = models.BooleanField(
        "JIT pilot supplier",
        default=False,
        help_text="Items whose primary source is this supplier join the JIT pilot.",
    )
    active = models.BooleanField(default=True)
    order_weekday = models.PositiveSmallIntegerField(
        "weekly order day",
        choices=Weekday.choices,
        null=True,
        blank=True,
        help_text="Orders go to this supplier on this day of the week only: "
        "planning then adds the week until the next order day to the protection "
        "interval and dates each suggestion's order-by on this day. Empty: any "
        "day.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(order_weekday__isnull=True)
                | Q(order_weekday__gte=0, order_weekday__lte=6),
                name="supplier_order_weekday_0_to_6",
            ),
        ]
        permissions = [
            ("import_supplier", "Can import suppliers"),
            ("export_supplier", "Can export suppliers"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class SupplierItem(models.Model):
    """A source: one supplier's offer for one item."""

    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="sources"
    )
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="sources")
    supplier_sku = models.CharField(max_length=64, blank=True, default="")
    unit_price = models.DecimalField(default=ZERO, **MONEY)
    quoted_lead_time_days = models.PositiveIntegerField(default=7)
    min_order_qty = models.DecimalField(default=ZERO, **QTY)
    order_multiple = models.DecimalField(default=Decimal("1"), **QTY)
    priority = models.PositiveSmallIntegerField(
        default=1, help_text="1 = primary source, 2 = secondary, …"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["item_id", "priority", "id"]
        verbose_name = "source"
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "item"], name="source_unique_supplier_item"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="source_unit_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(min_order_qty__gte=0), name="source_moq_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(order_multiple__gt=0), name="source_order_multiple_positive"
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=1), name="source_priority_from_one"
            ),
        ]
        indexes = [models.Index(fields=["item", "priority"], name="source_item_prio")]
        permissions = [
            ("import_supplieritem", "Can import sources"),
            ("export_supplieritem", "Can export sources"),
        ]

    def __str__(self) -> str:
        return f"{self.item.sku} from {self.supplier.code} (priority {self.priority})"


class DeliveryStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ORDERED = "ordered", "Ordered"
    PARTIALLY_RECEIVED = "partially_received", "Partially received"
    RECEIVED = "received", "Received"
    CANCELLED = "cancelled", "Cancelled"


# Placed with the supplier and not yet fully received: the supplier owes them.
OPEN_DELIVERY_STATUSES = (DeliveryStatus.ORDERED, DeliveryStatus.PARTIALLY_RECEIVED)
# Stock on order as planning counts it: the open deliveries and the drafts a
# buyer is about to place (a suggestion accepted into a draft is not suggested
# again). The partial index ``delivery_open_status`` covers exactly these.
ON_ORDER_STATUSES = (DeliveryStatus.DRAFT, *OPEN_DELIVERY_STATUSES)


class DeliveryQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_DELIVERY_STATUSES)

    def on_order(self):
        return self.filter(status__in=ON_ORDER_STATUSES)

    def late(self, *, today=None):
        today = today or timezone.localdate()
        return self.open().filter(promised_date__lt=today)


class Delivery(models.Model):
    """An inbound purchase order from one supplier."""

    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="deliveries"
    )
    reference = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.DRAFT
    )
    ordered_at = models.DateTimeField(null=True, blank=True, db_index=True)
    promised_date = models.DateField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True, default="")
    sent_to = models.CharField(
        max_length=254,
        blank=True,
        default="",
        help_text="Where the order was e-mailed.",
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    send_error = models.CharField(
        max_length=255,
        blank=True,
        default="",
        help_text="Why the last attempt to e-mail the order failed (it is retried).",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who placed the order (alerts about the supplier's answers go "
        "to this buyer).",
    )
    first_response_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the supplier first answered the order (a line confirmed, "
        "changed or rejected, or a ship notice): the time to confirm.",
    )

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(
                fields=["supplier", "status"], name="delivery_supplier_status"
            ),
            # Small: only the few deliveries still expected (stock on order).
            models.Index(
                fields=["status"],
                condition=Q(status__in=list(ON_ORDER_STATUSES)),
                name="delivery_open_status",
            ),
        ]
        permissions = [
            ("import_delivery", "Can import deliveries"),
            ("export_delivery", "Can export deliveries"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.supplier.code})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_DELIVERY_STATUSES

    @property
    def is_draft(self) -> bool:
        return self.status == DeliveryStatus.DRAFT

    def is_late(self, today=None) -> bool:
        today = today or timezone.localdate()
        return bool(self.is_open and self.promised_date and self.promised_date < today)


class LineResponse(models.TextChoices):
    """The supplier's latest answer to an order line (EDI 855 line status)."""

    CONFIRM = "confirm", "Confirmed"
    CHANGE = "change", "Changed"
    REJECT = "reject", "Rejected"


QUANTITY_OUTPUT = models.DecimalField(max_digits=16, decimal_places=3)

# What the supplier now says it will deliver on a line: its confirmed (or
# changed) quantity, 0 when it rejected the line, else what was ordered.
EXPECTED_QUANTITY = Coalesce(
    F("confirmed_quantity"), F("quantity_ordered"), output_field=QUANTITY_OUTPUT
)
# Announced on ship notices and not received yet.
_ANNOUNCED = Q(quantity_shipped__gt=F("quantity_received"), ship_arrival__isnull=False)
# When the line is expected, the one rule every reader uses (planning's
# inventory position and forecast, the item chart, the APIs, the pages):
#   1. a ship notice whose goods have not all been received yet: its arrival;
#   2. a line the supplier rejected: unknown (None), it may never come;
#   3. the date the supplier confirmed or changed to;
#   4. the delivery's promised date.
EXPECTED_ARRIVAL = Case(
    When(_ANNOUNCED, then=F("ship_arrival")),
    When(response=LineResponse.REJECT, then=Value(None)),
    default=Coalesce(F("confirmed_date"), F("delivery__promised_date")),
    output_field=DateField(),
)


class DeliveryLineQuerySet(models.QuerySet):
    def with_expected(self):
        """Annotate ``expected_quantity`` (what the supplier will deliver in all),
        ``expected_open`` (of that, not yet accepted: what planning counts as on
        order) and ``expected_arrival`` (see ``EXPECTED_ARRIVAL``)."""
        accepted = F("quantity_received") - F("quantity_rejected")
        return self.annotate(
            expected_quantity=EXPECTED_QUANTITY,
            expected_open=Case(
                When(
                    Q(confirmed_quantity__isnull=True, quantity_ordered__gt=accepted)
                    | Q(confirmed_quantity__gt=accepted),
                    then=EXPECTED_QUANTITY - accepted,
                ),
                default=Value(ZERO),
                output_field=QUANTITY_OUTPUT,
            ),
            expected_arrival=EXPECTED_ARRIVAL,
        )


class DeliveryLine(models.Model):
    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="lines"
    )
    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, related_name="delivery_lines"
    )
    quantity_ordered = models.DecimalField(**QTY)
    quantity_received = models.DecimalField(default=ZERO, **QTY)
    quantity_rejected = models.DecimalField(default=ZERO, **QTY)
    rejection_reason = models.CharField(max_length=255, blank=True, default="")
    quantity_short = models.DecimalField(
        default=ZERO,
        help_text="Still owed when the delivery was closed short (for the fill rate).",
        **QTY,
    )
    unit_price = models.DecimalField(null=True, blank=True, **MONEY)
    # The supplier's answers (kept in full by the portal; here where they stand).
    response = models.CharField(
        max_length=8,
        choices=LineResponse.choices,
        blank=True,
        default="",
        help_text="The supplier's latest answer to the line.",
    )
    confirmed_quantity = models.DecimalField(
        null=True,
        blank=True,
        help_text="What the supplier confirmed it will deliver (0: rejected).",
        **QTY,
    )
    confirmed_date = models.DateField(
        null=True, blank=True, help_text="The date the supplier confirmed."
    )
    quantity_shipped = models.DecimalField(
        default=ZERO,
        help_text="Shipped in all, by the supplier's ship notices.",
        **QTY,
    )
    ship_arrival = models.DateField(
        null=True, blank=True, help_text="Arrival of the latest ship notice."
    )

    objects = DeliveryLineQuerySet.as_manager()

    class Meta:
        ordering = ["delivery_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "item"], name="delivery_line_unique_item"
            ),
            models.CheckConstraint(
                condition=Q(quantity_ordered__gt=0), name="line_ordered_positive"
            ),
            models.CheckConstraint(
                condition=Q(quantity_received__gte=0), name="line_received_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(quantity_rejected__gte=0), name="line_rejected_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(quantity_rejected__lte=F("quantity_received")),
                name="line_rejected_within_received",
            ),
            models.CheckConstraint(
                condition=Q(quantity_short__gte=0), name="line_short_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(confirmed_quantity__isnull=True)
                | Q(confirmed_quantity__gte=0),
                name="line_confirmed_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(quantity_shipped__gte=0), name="line_shipped_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delivery.reference}: {self.quantity_ordered} × {self.item.sku}"

    @property
    def quantity_accepted(self) -> Decimal:
        return self.quantity_received - self.quantity_rejected

    @property
    def quantity_open(self) -> Decimal:
        """Still owed: rejected parts are owed until replaced or closed short."""
        return max(self.quantity_ordered - self.quantity_accepted, ZERO)

    @property
    def quantity_announced(self) -> Decimal:
        """Announced on ship notices and not received yet, at most what is still
        open: what receiving starts from when the supplier sent a notice."""
        return max(
            min(self.quantity_shipped - self.quantity_received, self.quantity_open),
            ZERO,
        )

    @property
    def quantity_unannounced(self) -> Decimal:
        """Still open and not on a ship notice: what a new notice may ship."""
        return self.quantity_open - self.quantity_announced

    @property
    def line_total(self) -> Decimal | None:
        if self.unit_price is None:
            return None
        return (self.quantity_ordered * self.unit_price).quantize(Decimal("0.01"))


class RiskLevel(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


# A supplier scored high risk on enough history to say so (a score; the planning
# then orders from the next source, DESIGN §4). ``SupplierScore.is_high_risk``
# is the same test on one row.
HIGH_RISK = Q(risk_level=RiskLevel.HIGH, history_sufficient=True)


class SupplierScoreQuerySet(models.QuerySet):
    def high_risk(self):
        return self.filter(HIGH_RISK)


class SupplierScore(models.Model):
    """Performance and risk over the trailing 365 days, stored by the nightly run."""

    supplier = models.OneToOneField(
        Supplier, on_delete=models.CASCADE, related_name="score"
    )
    computed_at = models.DateTimeField(default=timezone.now)
    deliveries_count = models.PositiveIntegerField(default=0)
    on_time_rate = models.DecimalField(max_digits=5, decimal_places=4, null=True)
    fill_rate = models.DecimalField(max_digits=7, decimal_places=4, null=True)
    defect_rate = models.DecimalField(max_digits=5, decimal_places=4, null=True)
    lead_time_mean_days = models.DecimalField(max_digits=8, decimal_places=2, null=True)
    lead_time_std_days = models.DecimalField(max_digits=8, decimal_places=2, null=True)
    lead_time_cv = models.DecimalField(max_digits=8, decimal_places=4, null=True)
    single_source_exposure = models.DecimalField(default=ZERO, **MONEY)
    exposure_share = models.DecimalField(max_digits=5, decimal_places=4, default=ZERO)
    dependency_lead_time_days = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        help_text="Lead time the dependency risk used: measured, else mean quoted.",
    )
    performance_score = models.DecimalField(
        max_digits=5, decimal_places=1, default=ZERO
    )
    performance_level = models.CharField(
        max_length=8, choices=RiskLevel.choices, default=RiskLevel.LOW
    )
    dependency_score = models.DecimalField(max_digits=5, decimal_places=1, default=ZERO)
    dependency_level = models.CharField(
        max_length=8, choices=RiskLevel.choices, default=RiskLevel.LOW
    )
    risk_score = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        default=ZERO,
        help_text="The higher of the performance and dependency scores.",
    )
    risk_level = models.CharField(
        max_length=8,
        choices=RiskLevel.choices,
        default=RiskLevel.LOW,
        help_text="The worse of the performance and dependency levels.",
    )
    history_sufficient = models.BooleanField(
        default=False, help_text="At least 3 received deliveries in the last 365 days."
    )
    confirm_hours_median = models.DecimalField(
        max_digits=8,
        decimal_places=1,
        null=True,
        help_text="Median hours from placing an order to the supplier's first "
        "answer, over the orders placed in the last 365 days that it answered.",
    )
    orders_answered = models.PositiveIntegerField(default=0)
    orders_unanswered = models.PositiveIntegerField(
        default=0, help_text="Orders placed in the last 365 days still unanswered."
    )

    objects = SupplierScoreQuerySet.as_manager()

    class Meta:
        ordering = ["-risk_score"]
        indexes = [models.Index(fields=["-risk_score"], name="score_risk_desc")]

    def __str__(self) -> str:
        return f"{self.supplier.code}: {self.risk_score} ({self.risk_level})"

    @property
    def is_high_risk(self) -> bool:
        return self.history_sufficient and self.risk_level == RiskLevel.HIGH

    def explanation(self) -> list[str]:
        """The score in words (``suppliers.risk.risk_explanation``)."""
        return risk_explanation(self)
