"""Read-side questions about suggestions, and the pages that combine apps."""

from datetime import timedelta

from django.utils import timezone

from inventory_site.charts import stock_chart
from items.selectors import (
    abc_pareto_points,
    item_class_history,
    item_movements,
    median_days_of_cover,
    pilot_comparison,
    stock_history,
    stock_overview,
)
from suppliers.selectors import (
    item_next_delivery,
    item_sources,
    orders_per_week_by_pilot,
    supplier_overview,
    supplier_risk_counts,
    suppliers_riskiest,
)

from .models import Suggestion


def suggestions_open():
    """Open suggestions, soonest first, with item and supplier loaded."""
    return (
        Suggestion.objects.open()
        .select_related("item", "supplier", "source")
        .order_by("order_by", "supplier__code", "item__sku")
    )


def suggestions_by_supplier() -> list[tuple]:
    """Open suggestions grouped by supplier: [(supplier, [suggestions])]."""
    groups: dict[int, tuple] = {}
    for suggestion in suggestions_open().order_by(
        "supplier__code", "order_by", "item__sku"
    ):
        groups.setdefault(suggestion.supplier_id, (suggestion.supplier, []))[1].append(
            suggestion
        )
    return list(groups.values())


def dashboard() -> dict:
    """Everything the dashboard shows, in a fixed number of queries."""
    stock = stock_overview()
    pilot = pilot_comparison()
    orders = orders_per_week_by_pilot()
    for flag, row in pilot.items():
        row["orders_per_week"] = orders.get(flag, 0)
    return {
        "stock": stock,
        "median_cover": median_days_of_cover(stock["with_demand"]),
        "suppliers": supplier_overview(),
        "risk": supplier_risk_counts(),
        "open_suggestions": Suggestion.objects.open().count(),
        "pareto": abc_pareto_points(),
        "pilot": pilot.get(True),
        "rest": pilot.get(False),
        "riskiest": list(suppliers_riskiest(limit=5)),
    }


def item_page(item) -> dict:
    """The item page: stock history and projection, movements, sources, class
    history and the open suggestion."""
    today = timezone.localdate()
    history = stock_history(item)
    next_line = item_next_delivery(item)
    demand = float(item.avg_daily_demand)
    horizon = 21
    if next_line and next_line.delivery.promised_date:
        horizon = max((next_line.delivery.promised_date - today).days, 0) + 7
    horizon = min(horizon, 60)
    level = float(item.on_hand)
    projection = []
    for offset in range(horizon + 1):
        day = today + timedelta(days=offset)
        if (
            next_line
            and next_line.delivery.promised_date
            and day == max(next_line.delivery.promised_date, today)
        ):
            level += float(next_line.quantity_open)
        projection.append((day, max(level, 0.0)))
        level -= demand
    return {
        "chart": stock_chart(
            history=history,
            projection=projection,
            reorder_point=float(item.reorder_point),
            today=today,
        ),
        "next_line": next_line,
        "movements": item_movements(item),
        "sources": item_sources(item),
        "class_history": item_class_history(item),
        "suggestion": Suggestion.objects.open()
        .select_related("supplier", "source")
        .filter(item=item)
        .first(),
    }
