"""The supplier portal: links (tokens), their access log, the supplier's answers
to its orders (line confirmations, ship notices) and the forecast revisions it
was shown.

The portal sits on top of ``items``, ``suppliers`` and ``replenishment``; nothing
imports it. Every answer of a supplier is kept here in full (which link, when,
why). Where a line stands after them (latest answer, confirmed quantity and date,
quantity shipped, arrival of the latest notice) is recorded on the delivery line
itself by ``suppliers.services`` in the same transaction, so planning and the
staff pages read it without knowing the portal; ``quantity_ordered`` stays what
the buyer ordered, and ``suppliers.models.EXPECTED_ARRIVAL`` is the one rule of
when a line is expected.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from items.models import QTY
from suppliers.models import Delivery, DeliveryLine, LineResponse, Supplier


class PortalTokenQuerySet(models.QuerySet):
    def usable(self, *, now=None):
        """Neither revoked nor expired: the one predicate every lookup uses."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class PortalToken(models.Model):
    """A supplier's portal link. Only the SHA-256 of the token is stored: the URL
    is shown once, when the link is made, and cannot be recovered from the row."""

    supplier = models.ForeignKey(
        Supplier, on_delete=models.CASCADE, related_name="portal_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = PortalTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="portal_token_expires_after_created",
            ),
        ]

    def __str__(self) -> str:
        return f"Portal link of {self.supplier.code} until {self.expires_at:%Y-%m-%d}"


class PortalAccess(models.Model):
    """One request on a portal link: who (link, supplier, address), when, which
    page (the path after the token, so the log never holds a usable URL)."""

    token = models.ForeignKey(
        PortalToken, on_delete=models.CASCADE, related_name="accesses"
    )
    supplier = models.ForeignKey(
        Supplier, on_delete=models.CASCADE, related_name="portal_accesses"
    )
    page = models.CharField(max_length=255)
    method = models.CharField(max_length=8, default="GET")
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "portal accesses"
        indexes = [models.Index(fields=["supplier", "at"], name="portal_access_sup_at")]

    def __str__(self) -> str:
        return f"{self.supplier.code} {self.method} {self.page} at {self.at}"


# The actions a supplier can take on a line are the responses a line records.
LineAction = LineResponse


class LineConfirmation(models.Model):
    """A supplier's answer to one order line; the latest answer counts, earlier
    ones stay as the history staff see on the delivery page."""

    line = models.ForeignKey(
        DeliveryLine, on_delete=models.CASCADE, related_name="portal_confirmations"
    )
    action = models.CharField(max_length=8, choices=LineAction.choices)
    quantity = models.DecimalField(null=True, blank=True, **QTY)
    date = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=255, blank=True, default="")
    in_firm_zone = models.BooleanField(
        default=False,
        help_text="A change or rejection of a line due inside the supplier's lead "
        "time: the buyer is alerted.",
    )
    token = models.ForeignKey(
        PortalToken, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    alerted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the buyer was e-mailed about this firm-zone change.",
    )

    class Meta:
        ordering = ["line_id", "-created_at", "-id"]
        indexes = [
            models.Index(fields=["line", "-created_at"], name="portal_conf_line_at")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | Q(quantity__gte=0),
                name="portal_conf_quantity_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line}: {self.get_action_display()}"


class ShipNotice(models.Model):
    """What the supplier shipped on one delivery and when it will arrive."""

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="ship_notices"
    )
    arrival = models.DateField()
    token = models.ForeignKey(
        PortalToken, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["delivery_id", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"Ship notice for {self.delivery.reference}, arriving {self.arrival}"


class ShipNoticeLine(models.Model):
    notice = models.ForeignKey(
        ShipNotice, on_delete=models.CASCADE, related_name="lines"
    )
    line = models.ForeignKey(
        DeliveryLine, on_delete=models.CASCADE, related_name="ship_notice_lines"
    )
    quantity = models.DecimalField(**QTY)

    class Meta:
        ordering = ["notice_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "line"], name="portal_ship_line_unique"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="portal_ship_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notice}: {self.quantity} of line {self.line_id}"


class ForecastRevision(models.Model):
    """The forecast a supplier was shown; a new number only when the lines change."""

    supplier = models.ForeignKey(
        Supplier, on_delete=models.CASCADE, related_name="forecast_revisions"
    )
    number = models.PositiveIntegerField()
    generated_at = models.DateTimeField(default=timezone.now)
    lines = models.JSONField(default=list)

    class Meta:
        ordering = ["supplier_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "number"], name="portal_forecast_rev_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Forecast {self.supplier.code} rev. {self.number}"
