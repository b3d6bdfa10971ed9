"""``{% supplier_changes_alert %}``: the open order lines suppliers changed or
rejected (firm zone), for the dashboard."""

from django import template

from suppliers.selectors import lines_changed_by_supplier

register = template.Library()


@register.inclusion_tag("suppliers/includes/supplier_changes.html")
def supplier_changes_alert():
    """A short indexed query, whatever page includes it."""
    count, lines = lines_changed_by_supplier(limit=10)
    return {"count": count, "lines": lines}
