"""The pages that combine apps: the dashboard, the item page and its stock
projection."""

from datetime import timedelta

from django.core.cache import cache
from django.db.models import Sum
from django.utils import timezone

from inventory_site.charts import stock_chart
from items.models import (
    ClassificationRun,
    ClassificationRunStatus,
    Item,
    PlannedDemandStatus,
)
from items.selectors import (
    abc_pareto_points,
    item_class_history,
    item_movements,
    item_unmet_demand,
    median_days_of_cover,
    pilot_comparison,
    planned_demand_open,
    stock_history,
    stock_overview,
)
from suppliers.models import ON_ORDER_STATUSES, DeliveryLine, SupplierItem
from suppliers.selectors import (
    item_on_order,
    item_sources,
    orders_per_week_by_pilot,
    supplier_overview,
    supplier_risk_counts,
    suppliers_riskiest,
)

from .models import Suggestion

LIVE_FIGURES_SECONDS = 30
SLOW_FIGURES_SECONDS = 300


def _stock_figures() -> dict:
    return {**stock_overview(), "as_of": timezone.now()}


def dashboard() -> dict:
    """Everything the dashboard shows. Stock figures come from one scan of the
    items, shared for 30 s (the page says as of when); the Pareto curve (changes
    only when the classification runs), the median days of cover (a sort of all
    items) and the weekly order rate are kept for five minutes. The rest are small
    indexed queries."""
    stock = cache.get_or_set("dashboard:stock", _stock_figures, LIVE_FIGURES_SECONDS)
    pilot = pilot_comparison(stock)
    orders = cache.get_or_set(
        "dashboard:orders-per-week", orders_per_week_by_pilot, SLOW_FIGURES_SECONDS
    )
    for flag, row in pilot.items():
        row["orders_per_week"] = orders.get(flag, 0)
    latest_run = (
        ClassificationRun.objects.filter(status=ClassificationRunStatus.SUCCEEDED)
        .order_by("-finished_at")
        .values_list("pk", flat=True)
        .first()
    )
    pareto = cache.get_or_set(
        f"dashboard:pareto:{latest_run}", abc_pareto_points, SLOW_FIGURES_SECONDS
    )
    median = cache.get_or_set(
        "dashboard:median-cover",
        lambda: median_days_of_cover(stock["with_demand"]),
        SLOW_FIGURES_SECONDS,
    )
    return {
        "stock": stock,
        "median_cover": median,
        "suppliers": supplier_overview(),
        "risk": supplier_risk_counts(),
        "open_suggestions": Suggestion.objects.open().count(),
        "pareto": pareto,
        "pilot": pilot[True],
        "rest": pilot[False],
        "riskiest": list(suppliers_riskiest(limit=5)),
        "planned_short": cache.get_or_set(
            "dashboard:planned-short",
            items_short_of_planned_demand,
            SLOW_FIGURES_SECONDS,
        ),
    }


PLANNED_SHORT_LIMIT = 10


def items_short_of_planned_demand(*, today=None, limit: int = PLANNED_SHORT_LIMIT):
    """Items whose firm and planned demand within their primary source's quoted
    lead time exceeds stock on hand plus on order: more orders cannot arrive in
    time, so someone must act (expedite, move the schedule). Returns (count,
    the first ``limit`` rows, soonest shortfall first)."""
    today = today or timezone.localdate()
    horizon = 60
    lines = planned_demand_open(today=today, days_ahead=horizon)
    lines = {
        item_id: [
            line for line in item_lines if line.status != PlannedDemandStatus.FORECAST
        ]
        for item_id, item_lines in lines.items()
    }
    if not any(lines.values()):
        return 0, []
    ids = [item_id for item_id, item_lines in lines.items() if item_lines]
    lead = {}
    for item_id, days in (
        SupplierItem.objects.filter(item_id__in=ids, active=True)
        .order_by("item_id", "-priority")
        .values_list("item_id", "quoted_lead_time_days")
    ):
        lead[item_id] = days  # the last one per item is the primary (priority 1)
    on_order = dict(
        DeliveryLine.objects.with_expected()
        .filter(item_id__in=ids, delivery__status__in=ON_ORDER_STATUSES)
        .values("item_id")
        .annotate(open=Sum("expected_open"))
        .values_list("item_id", "open")
    )
    items = Item.objects.in_bulk(ids)
    short = []
    for item_id in ids:
        item = items[item_id]
        until = today + timedelta(days=lead.get(item_id, 0))
        available = item.on_hand + (on_order.get(item_id) or 0)
        needed = 0
        for line in lines[item_id]:
            if line.day > until:
                break
            needed += line.quantity
            if needed > available:
                short.append(
                    {
                        "item": item,
                        "needed": needed,
                        "available": available,
                        "short_on": line.day,
                        "reference": line.reference,
                    }
                )
                break
    short.sort(key=lambda row: (row["short_on"], row["item"].sku))
    return len(short), short[:limit]


def item_page(item) -> dict:
    """The item page: stock history and projection, movements, sources, class
    history and the open suggestion."""
    today = timezone.localdate()
    history = stock_history(item)
    on_order = item_on_order(item, today=today)
    # The projection adds what each ordered line still brings (``expected_open``)
    # on its expected arrival (ship notice, else the date the supplier confirmed,
    # else the promised date: ``suppliers.models.EXPECTED_ARRIVAL``). A line whose
    # expected day has passed, or that the supplier rejected, is not assumed to
    # arrive on any day: the projection shows stock running down without it.
    # Drafts are not ordered yet.
    arriving: dict = {}
    for line in on_order:
        if not line.arrival_known:
            continue
        day = line.expected_arrival
        arriving[day] = arriving.get(day, 0.0) + float(line.expected_open)
    next_line = next((x for x in on_order if x.arrival_known), None)
    demand = float(item.avg_daily_demand)
    horizon = 21
    if arriving:
        horizon = max((min(arriving) - today).days, 0) + 7
    horizon = min(horizon, 60)
    level = float(item.on_hand)
    planned = planned_demand_open(today=today, item_ids=[item.pk], days_ahead=60).get(
        item.pk, []
    )
    planned_by_day: dict = {}
    for line in planned:
        planned_by_day[line.day] = planned_by_day.get(line.day, 0.0) + float(
            line.quantity
        )
    projection = []
    for offset in range(horizon + 1):
        day = today + timedelta(days=offset)
        level += arriving.get(day, 0.0)
        projection.append((day, max(level, 0.0)))
        level -= max(demand, planned_by_day.get(day, 0.0))
    return {
        "chart": stock_chart(
            history=history,
            projection=projection,
            reorder_point=float(item.reorder_point),
            today=today,
            unit=item.unit,
        ),
        "projection": projection,
        "next_line": next_line,
        "planned": planned,
        "on_order": on_order,
        "late_lines": [x for x in on_order if x.is_late],
        "unknown_lines": [
            x for x in on_order if not x.delivery.is_draft and not x.arrival_known
        ],
        "movements": item_movements(item),
        "unmet_demand": item_unmet_demand(item),
        "sources": item_sources(item),
        "class_history": item_class_history(item),
        "suggestion": Suggestion.objects.open()
        .select_related("supplier", "source")
        .filter(item=item)
        .first(),
    }
