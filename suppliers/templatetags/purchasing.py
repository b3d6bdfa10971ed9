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
