"""Formatting filters for quantities, rates and days."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def qty(value) -> str:
    """12.000 → 12, 2.500 → 2.5; empty for None."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    if number == number.to_integral_value():
        return f"{number.quantize(Decimal(1)):,f}"
    return f"{number.normalize():,f}"


@register.filter
def pct(value, places: int = 1) -> str:
    """A rate 0.9512 → "95.1 %"; a dash for None."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(value) * 100:.{int(places)}f} %"


@register.filter
def days(value) -> str:
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):.1f} d"
