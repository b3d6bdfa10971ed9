"""Read-side questions of the supplier portal.

Every function takes the supplier (or its lines) explicitly: the portal views
pass the supplier of the token and nothing else, so one supplier's link can only
ever read that supplier's rows.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from inventory_site.dates import site_midnight
from items.models import MovementKind, StockMovement
from replenishment.generation import planning_figures
from replenishment.planning import ItemFigures, PlanningParams
from suppliers.models import (
    OPEN_DELIVERY_STATUSES,
    Delivery,
    DeliveryLine,
    Supplier,
    SupplierItem,
)
from suppliers.selectors import ConfirmTimes, supplier_confirm_times

from .forecast import ForecastItem, OpenOrder
from .models import (
    ForecastRevision,
    LineAction,
    LineConfirmation,
    PortalToken,
    ShipNotice,
)

ZERO = Decimal("0")
Q4 = Decimal("0.0001")
CONSUMPTION_DAYS = 28


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def portal_token_find(token: str) -> PortalToken | None:
    """The usable (not revoked, not expired) link for a token, else None."""
    if not token or len(token) > 128:
        return None
    return (
        PortalToken.objects.usable()
        .select_related("supplier")
        .filter(token_hash=token_hash(token))
        .first()
    )


# --- consumption ---


@dataclass(frozen=True, slots=True)
class ItemConsumption:
    sku: str
    name: str
    unit: str
    supplier_sku: str
    days: tuple[tuple[date, Decimal], ...]

    @property
    def total(self) -> Decimal:
        return sum((q for _, q in self.days), ZERO)


def supplier_consumption(
    supplier: Supplier, *, today: date | None = None, days: int = CONSUMPTION_DAYS
) -> tuple[list[date], list[ItemConsumption]]:
    """Daily issued quantity of the supplier's items over the last ``days`` site
    dates up to and including today (today so far), zeros included. Two queries."""
    today = today or timezone.localdate()
    dates = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    sources = list(
        SupplierItem.objects.filter(supplier=supplier, active=True, item__active=True)
        .select_related("item")
        .order_by("item__sku")
    )
    issued = (
        StockMovement.objects.filter(
            item_id__in=[s.item_id for s in sources],
            kind=MovementKind.ISSUE,
            occurred_at__gte=site_midnight(dates[0]),
            occurred_at__lt=site_midnight(today + timedelta(days=1)),
        )
        .annotate(day=TruncDate("occurred_at"))
        .values("item_id", "day")
        .annotate(qty=Sum("quantity"))
        .order_by()
        .values_list("item_id", "day", "qty")
    )
    by_item: dict[int, dict[date, Decimal]] = defaultdict(dict)
    for item_id, day, qty in issued:
        by_item[item_id][day] = -Decimal(qty)  # issues are negative in the ledger
    rows = [
        ItemConsumption(
            sku=s.item.sku,
            name=s.item.name,
            unit=s.item.unit,
            supplier_sku=s.supplier_sku,
            days=tuple((day, by_item[s.item_id].get(day, ZERO)) for day in dates),
        )
        for s in sources
    ]
    return dates, rows


# --- orders and the supplier's answers ---


def supplier_open_deliveries(supplier: Supplier):
    """The supplier's ordered and partly received deliveries, with lines."""
    return (
        Delivery.objects.filter(supplier=supplier, status__in=OPEN_DELIVERY_STATUSES)
        .prefetch_related("lines__item")
        .order_by("promised_date", "reference")
    )


@dataclass(frozen=True, slots=True)
class LineAnswerState:
    """Where a line stands after the supplier's answers."""

    action: str | None  # latest answer, None when none yet
    confirmed_quantity: Decimal | None
    confirmed_date: date | None
    shipped_quantity: Decimal | None
    shipped_arrival: date | None
    expected_arrival: date | None


def line_states(lines: list[DeliveryLine]) -> dict[int, LineAnswerState]:
    """Per line: the supplier's latest answer, what its ship notices shipped and
    the expected arrival, all as recorded on the line and read through the one
    rule (``DeliveryLine.objects.with_expected``). One query whatever the number
    of lines."""
    rows = (
        DeliveryLine.objects.with_expected()
        .filter(pk__in=[line.pk for line in lines])
        .values_list(
            "pk", "response", "confirmed_quantity", "confirmed_date",
            "quantity_shipped", "ship_arrival", "expected_arrival",
        )
    )  # fmt: skip
    states = {}
    for pk, response, quantity, day, shipped, arrival, expected in rows:
        states[pk] = LineAnswerState(
            action=response or None,
            confirmed_quantity=quantity,
            confirmed_date=day,
            shipped_quantity=shipped if arrival is not None else None,
            shipped_arrival=arrival,
            expected_arrival=expected,
        )
    return states


def expected_arrivals(line_ids: list[int]) -> dict[int, date | None]:
    """When each delivery line is now expected (``with_expected``)."""
    return dict(
        DeliveryLine.objects.with_expected()
        .filter(pk__in=line_ids)
        .values_list("pk", "expected_arrival")
    )


def delivery_responses(delivery: Delivery) -> dict:
    """What staff see on the delivery page: every answer and ship notice, newest
    first, and the lines the supplier changed or rejected (an ordered line is in
    the firm zone: the buyer must act)."""
    answers = list(
        LineConfirmation.objects.filter(line__delivery=delivery)
        .select_related("line__item")
        .order_by("-created_at", "-id")
    )
    notices = list(
        ShipNotice.objects.filter(delivery=delivery)
        .prefetch_related("lines__line__item")
        .order_by("-created_at", "-id")
    )
    alerts = []
    if delivery.is_open:
        alerts = list(
            delivery.lines.filter(response__in=(LineAction.CHANGE, LineAction.REJECT))
            .select_related("item")
            .order_by("pk")
        )
    return {"answers": answers, "notices": notices, "alerts": alerts}


# --- forecast inputs ---


def item_figures(
    item_ids: list[int], *, today: date, params: PlanningParams
) -> dict[int, ItemFigures]:
    """The planning figures of these items exactly as the suggestion run builds
    them (``replenishment.generation.planning_figures``, which it plans on)."""
    return {
        row.figures.item_id: row.figures
        for row in planning_figures(today=today, params=params, item_ids=item_ids)
    }


def forecast_inputs(
    supplier: Supplier, *, today: date, params: PlanningParams
) -> list[ForecastItem]:
    """The supplier's items with their planning figures and the supplier's open
    order lines on them: what it will still deliver (``expected_open``: its
    confirmed quantity, else the ordered one, less what was accepted; rejected
    lines hold nothing) on the line's ``expected_arrival``."""
    offers = dict(
        SupplierItem.objects.filter(supplier=supplier, active=True).values_list(
            "item_id", "supplier_sku"
        )
    )
    open_orders: dict[int, list[OpenOrder]] = defaultdict(list)
    for item_id, quantity, arrival in (
        DeliveryLine.objects.with_expected()
        .filter(
            delivery__supplier=supplier,
            delivery__status__in=OPEN_DELIVERY_STATUSES,
            expected_open__gt=0,
        )
        .order_by("pk")
        .values_list("item_id", "expected_open", "expected_arrival")
    ):
        open_orders[item_id].append(OpenOrder(quantity=quantity, arrival=arrival))
    ids = sorted(set(offers) | set(open_orders))
    figures = item_figures(ids, today=today, params=params)
    return [
        ForecastItem(
            figures=figures[pk],
            supplier_sku=offers.get(pk, ""),
            open_orders=tuple(open_orders.get(pk, ())),
        )
        for pk in ids
        if pk in figures
    ]


def forecast_latest(
    supplier: Supplier,
) -> tuple[ForecastRevision | None, ForecastRevision | None]:
    """The latest revision and the one before it."""
    revisions = list(
        ForecastRevision.objects.filter(supplier=supplier).order_by("-number")[:2]
    )
    latest = revisions[0] if revisions else None
    previous = revisions[1] if len(revisions) > 1 else None
    return latest, previous


def supplier_portal_summary(supplier: Supplier, *, days: int = 365) -> dict:
    """For the staff supplier page: usable links, the last access, open lines
    changed or rejected by the supplier, and how quickly it answers orders (the
    figure its score stores, computed now: ``supplier_confirm_times``)."""
    since = timezone.now() - timedelta(days=days)
    times = supplier_confirm_times(since=since, supplier_ids=[supplier.pk]).get(
        supplier.pk, ConfirmTimes()
    )
    open_lines = list(
        DeliveryLine.objects.filter(
            delivery__supplier=supplier,
            delivery__status__in=OPEN_DELIVERY_STATUSES,
            response__in=(LineAction.CHANGE, LineAction.REJECT),
        ).select_related("delivery", "item")
    )
    states = line_states(open_lines)
    last = supplier.portal_accesses.order_by("-at").values_list("at", flat=True)[:1]
    return {
        "supplier": supplier,
        "links": PortalToken.objects.usable().filter(supplier=supplier).count(),
        "last_access": last[0] if last else None,
        "confirm_times": times,
        "alerts": [(line, states[line.pk]) for line in open_lines],
    }
