from decimal import Decimal

from django import template

from suppliers.documents import money as format_money

register = template.Library()


@register.filter
def money(value) -> str:
    """An amount with the site's currency (``CURRENCY``), e.g. ``1,234.50 EUR``."""
    if value is None or value == "":
        return "—"
    return format_money(Decimal(value))


@register.inclusion_tag("suppliers/includes/supplier_changes.html")
def supplier_changes_alert():
    """The open order lines suppliers changed or rejected (firm zone), for the
    dashboard: a short indexed query, whatever page includes it."""
    from suppliers.selectors import lines_changed_by_supplier

    count, lines = lines_changed_by_supplier(limit=10)
    return {"count": count, "lines": lines}
