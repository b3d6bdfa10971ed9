"""Template filters of ``inventory_site.formatting`` (``{% load formatting %}``).

Registered in ``TEMPLATES["OPTIONS"]["libraries"]`` (also under the older names
``inventory`` and ``purchasing``, so templates that load those keep working):

``{{ x|qty:item.unit }}`` 12 / 2.5 by the unit's rule; ``{{ x|qty }}`` as it is;
``{{ x|qty_unit:item.unit }}`` "12 ea"; ``{{ x|qty_input }}`` for an input's value;
``{{ x|money }}`` "1,234.50 EUR"; ``{{ x|pct }}`` a rate as "95.1 %";
``{{ x|share }}`` a share already in percent; ``{{ x|days }}`` "4.5 d";
``{{ x|rate:item.unit }}`` "6.6 ea/day"; ``{{ x|figure }}`` rounded for reading;
``{{ x|count }}`` "1,234".
"""

from django import template

from inventory_site import formatting

register = template.Library()


@register.filter
def qty(value, unit=None) -> str:
    return formatting.quantity(value, unit)


@register.filter
def qty_unit(value, unit) -> str:
    return formatting.quantity_with_unit(value, unit or "")


@register.filter
def qty_input(value) -> str:
    return "" if value is None else formatting.exact(value)


@register.filter
def money(value) -> str:
    return formatting.money(value)


@register.filter
def pct(value, places=1) -> str:
    return formatting.percent(value, places)


@register.filter
def share(value, places=1) -> str:
    return formatting.share(value, places)


@register.filter
def days(value) -> str:
    return formatting.days(value)


@register.filter
def rate(value, unit="") -> str:
    return formatting.rate(value, unit or "")


@register.filter
def figure(value) -> str:
    return formatting.figure(value)


@register.filter
def count(value) -> str:
    return formatting.count(value)
