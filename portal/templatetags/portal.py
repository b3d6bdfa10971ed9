"""``{% portal_responses delivery %}``: the supplier's answers on a staff page,
without the page's own view knowing about the portal (nothing imports portal)."""

from django import template

from portal.selectors import delivery_responses, supplier_portal_summary

register = template.Library()


@register.inclusion_tag("portal/includes/responses.html")
def portal_responses(delivery):
    return delivery_responses(delivery)


@register.inclusion_tag("portal/includes/supplier_summary.html", takes_context=True)
def portal_supplier_summary(context, supplier):
    return {**supplier_portal_summary(supplier), "user": context.get("user")}
