"""``{% portal_responses delivery %}``: the supplier's answers on a staff page,
without the page's own view knowing about the portal (nothing imports portal)."""

from django import template

from portal.selectors import delivery_responses

register = template.Library()


@register.inclusion_tag("portal/includes/responses.html")
def portal_responses(delivery):
    return delivery_responses(delivery)
