from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from items.models import QTY, RATE, Item, Policy
from suppliers.models import Delivery, Supplier, SupplierItem


class JitScope(models.TextChoices):
    PILOT = "pilot", "Pilot items only (and items of pilot suppliers)"
    ALL = "all", "All eligible items"


TARGET_MIN = MinValueValidator(Decimal("0.5"))
TARGET_MAX = MaxValueValidator(Decimal("0.9999"))


class PolicyParameters(models.Model):
    """The planning knobs, editable in the admin. A single row (pk=1)."""

    delivery_interval_a_days = models.PositiveSmallIntegerField(default=7)
    delivery_interval_b_days = models.PositiveSmallIntegerField(default=14)
    delivery_interval_c_days = models.PositiveSmallIntegerField(default=60)
    min_safety_time_a_days = models.PositiveSmallIntegerField(default=1)
    min_safety_time_b_days = models.PositiveSmallIntegerField(default=2)
    min_safety_time_c_days = models.PositiveSmallIntegerField(default=3)
    service_target_a = models.DecimalField(
        "service target A (fill rate)",
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.98"),
        validators=[TARGET_MIN, TARGET_MAX],
        help_text="e.g. 0.98; z = Φ⁻¹(target) sizes every buffer of A items.",
    )
    service_target_b = models.DecimalField(
        "service target B (fill rate)",
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.97"),
        validators=[TARGET_MIN, TARGET_MAX],
    )
    service_target_c = models.DecimalField(
        "service target C (fill rate)",
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.95"),
        validators=[TARGET_MIN, TARGET_MAX],
    )
    demand_window_days = models.PositiveSmallIntegerField(
        default=90, validators=[MinValueValidator(7), MaxValueValidator(730)]
    )
    planning_horizon_days = models.PositiveSmallIntegerField(
        default=7, validators=[MaxValueValidator(90)]
    )
    snooze_days = models.PositiveSmallIntegerField(
        "snooze after dismissal (days)", default=7
    )
    jit_scope = models.CharField(
        "JIT scope", max_length=8, choices=JitScope.choices, default=JitScope.PILOT
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "policy parameters"
        verbose_name_plural = "policy parameters"

    def __str__(self) -> str:
        return "Policy parameters"

    @classmethod
    def current(cls) -> "PolicyParameters":
        params, _ = cls.objects.get_or_create(pk=1)
        return params

    def delivery_interval(self, abc_class: str) -> int:
        return {
            "A": self.delivery_interval_a_days,
            "B": self.delivery_interval_b_days,
        }.get(abc_class, self.delivery_interval_c_days)

    def min_safety_time(self, abc_class: str) -> int:
        return {
            "A": self.min_safety_time_a_days,
            "B": self.min_safety_time_b_days,
        }.get(abc_class, self.min_safety_time_c_days)

    def service_target(self, abc_class: str) -> Decimal:
        return {
            "A": self.service_target_a,
            "B": self.service_target_b,
        }.get(abc_class, self.service_target_c)


class SuggestionStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    DISMISSED = "dismissed", "Dismissed"
    SUPERSEDED = "superseded", "Superseded"


class SuggestionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=SuggestionStatus.OPEN)


class Suggestion(models.Model):
    """A reorder suggestion for one item from one source, with its inputs."""

    # No index of its own: suggestion_item_status (item, status) serves every
    # lookup by item, and generation inserts tens of thousands of rows a night.
    item = models.ForeignKey(
        Item, on_delete=models.CASCADE, related_name="suggestions", db_index=False
    )
    source = models.ForeignKey(
        SupplierItem, on_delete=models.PROTECT, related_name="suggestions"
    )
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="suggestions"
    )
    status = models.CharField(
        max_length=12, choices=SuggestionStatus.choices, default=SuggestionStatus.OPEN
    )
    policy = models.CharField(max_length=16, choices=Policy.choices)
    quantity = models.DecimalField(help_text="The quantity planning suggested.", **QTY)
    accepted_quantity = models.DecimalField(
        null=True,
        blank=True,
        help_text="The quantity staff accepted (empty until accepted).",
        **QTY,
    )
    order_by = models.DateField()
    expected_arrival = models.DateField()
    reason = models.TextField()

    # Inputs, so every figure can be checked by hand.
    avg_daily_demand = models.DecimalField(**RATE)
    daily_demand_std = models.DecimalField(**RATE)
    lead_time_days = models.DecimalField(max_digits=8, decimal_places=2)
    lead_time_std_days = models.DecimalField(max_digits=8, decimal_places=2)
    lead_time_samples = models.PositiveSmallIntegerField(default=0)
    safety_time_days = models.PositiveSmallIntegerField()
    delivery_interval_days = models.PositiveSmallIntegerField()
    on_hand = models.DecimalField(**QTY)
    on_order = models.DecimalField(**QTY)
    inventory_position = models.DecimalField(**QTY)
    reorder_point = models.DecimalField(**QTY)
    order_up_to = models.DecimalField(**QTY)
    single_source_risk = models.BooleanField(default=False)
    switched_source = models.BooleanField(default=False)
    problem = models.CharField(
        max_length=300,
        blank=True,
        default="",
        help_text="A problem staff must act on (e.g. a minimum order that cannot "
        "be used within shelf life); blank when there is none.",
    )

    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # suggestion_decided_by: the decided ones only
    )
    snoozed_until = models.DateField(null=True, blank=True)
    delivery = models.ForeignKey(
        Delivery,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suggestions",
        db_index=False,  # suggestion_delivery: the ordered ones only
    )

    objects = SuggestionQuerySet.as_manager()

    class Meta:
        ordering = ["order_by", "supplier_id", "item_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(status=SuggestionStatus.OPEN),
                name="suggestion_one_open_per_item",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="suggestion_quantity_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "supplier"], name="suggestion_status_supp"),
            models.Index(fields=["item", "status"], name="suggestion_item_status"),
            # Partial: a new suggestion (tens of thousands a night) has neither,
            # so it adds no entry to these two.
            models.Index(
                fields=["decided_by"],
                condition=Q(decided_by__isnull=False),
                name="suggestion_decided_by",
            ),
            models.Index(
                fields=["delivery"],
                condition=Q(delivery__isnull=False),
                name="suggestion_delivery",
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.quantity} × {self.item.sku} by {self.order_by}"


class BacktestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Backtest(models.Model):
    """A stored backtest run (DESIGN §6): its parameters, progress and report."""

    status = models.CharField(
        max_length=12, choices=BacktestStatus.choices, default=BacktestStatus.PENDING
    )
    days = models.PositiveSmallIntegerField(default=365)
    seed = models.IntegerField(default=0)
    skus = models.JSONField(default=list, blank=True)
    overrides = models.JSONField(
        default=dict, blank=True, help_text="What-if planning parameters."
    )
    today = models.DateField(help_text="The period ends the day before.")
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    results = models.JSONField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True, default="")
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
        return f"Backtest {self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("backtest_detail", args=[self.pk])

    @property
    def progress_percent(self) -> int:
        if self.status == BacktestStatus.SUCCEEDED:
            return 100
        if not self.chunks_total:
            return 0
        return int(100 * self.chunks_done / self.chunks_total)


class BacktestChunk(models.Model):
    """One chunk's totals, kept until the last chunk merges them."""

    backtest = models.ForeignKey(
        Backtest, on_delete=models.CASCADE, related_name="chunks"
    )
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    totals = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["backtest", "first_id"], name="backtest_chunk_once"
            )
        ]

    def __str__(self) -> str:
        return f"Backtest {self.backtest_id} items {self.first_id}–{self.last_id}"


class DigestSubscription(models.Model):
    """A user's choice to get the daily digest e-mail (off unless they opt in)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest"
    )
    daily_digest = models.BooleanField(
        "E-mail me the daily digest",
        default=False,
        help_text="After the nightly planning run: due suggestions by supplier, "
        "late deliveries, stockouts and items below the reorder point.",
    )
    last_sent_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user}: {'on' if self.daily_digest else 'off'}"


class NightlyDigest(models.Model):
    """One night's digest: how many suggestion chunks the run queued and how many
    have finished. The chunk that completes the count queues the e-mails (through
    the jobs outbox), exactly once (a conditional update)."""

    day = models.DateField(unique=True)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"Digest {self.day}: {self.chunks_done}/{self.chunks_total}"
