"""The one filter of item lists, whichever interface asks (HackSoft's
``users/selectors.py``): the API's ``/api/v1/items/`` filters with ``ItemFilter``,
the item page with ``ItemPageFilter``, which is ``ItemFilter`` under the page's
own parameter names (``q``, ``pilot=yes|no``, ``below_rop=on``, ``stockout=on``,
``sort``) — the
same predicates, so the two lists cannot drift apart again."""

import django_filters
from django import forms
from django.db.models import Q

from .models import STOCKED_OUT, AbcClass, DemandPattern, Item, Policy, XyzClass

# The page's sort keys → the annotated or stored field (``items_for_list``).
SORTS = {
    "sku": "sku",
    "name": "name",
    "on_hand": "on_hand",
    "value": "stock_value",
    "cover": "days_of_cover",
    "class": "abc_class",
}
SORT_CHOICES = [(key, key) for name in SORTS for key in (name, f"-{name}")]


class ItemFilter(django_filters.FilterSet):
    abc_class = django_filters.ChoiceFilter(
        label="ABC class", choices=AbcClass.choices, empty_label="Any"
    )
    xyz_class = django_filters.ChoiceFilter(
        label="XYZ class", choices=XyzClass.choices, empty_label="Any"
    )
    policy = django_filters.ChoiceFilter(choices=Policy.choices, empty_label="Any")
    demand_pattern = django_filters.ChoiceFilter(
        label="Demand pattern", choices=DemandPattern.choices, empty_label="Any"
    )
    jit_pilot = django_filters.BooleanFilter()
    below_reorder_point = django_filters.BooleanFilter(method="filter_below")
    stocked_out = django_filters.BooleanFilter(method="filter_stocked_out")

    class Meta:
        model = Item
        fields = [
            "abc_class", "xyz_class", "demand_pattern", "policy", "jit_pilot",
            "active",
        ]  # fmt: skip

    def filter_below(self, queryset, name, value):
        """``True``: at or below the reorder point; ``False``: the others."""
        below = queryset.below_reorder_point()
        return below if value else queryset.exclude(pk__in=below.values("pk"))

    def filter_stocked_out(self, queryset, name, value):
        """``True``: nothing on hand; ``False``: the others."""
        return queryset.stocked_out() if value else queryset.exclude(STOCKED_OUT)

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(sku__icontains=value) | Q(name__icontains=value))


class ItemPageForm(forms.Form):
    """The page's fields in the page's order (the sort last: a hidden input the
    column headers change)."""

    field_order = [
        "q", "abc_class", "xyz_class", "demand_pattern", "policy", "pilot",
        "below_rop", "stockout",
    ]  # fmt: skip


class ItemPageFilter(ItemFilter):
    """``ItemFilter`` with the item page's parameter names, a search and a sort
    (by SKU unless the page asks: give it a queryset ordered by SKU)."""

    q = django_filters.CharFilter(
        label="Search SKU or name", method="filter_search", max_length=100
    )
    pilot = django_filters.ChoiceFilter(
        label="JIT pilot",
        choices=[("yes", "Pilot only"), ("no", "Not in pilot")],
        empty_label="Any",
        method="filter_pilot",
    )
    below_rop = django_filters.BooleanFilter(
        label="At or below reorder point",
        method="filter_below_checked",
        widget=forms.CheckboxInput,
    )
    stockout = django_filters.BooleanFilter(
        label="Stocked out",
        method="filter_stocked_out_checked",
        widget=forms.CheckboxInput,
    )
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, method="filter_sort")
    # The API's names of the same filters are not the page's.
    jit_pilot = None
    below_reorder_point = None
    stocked_out = None

    class Meta(ItemFilter.Meta):
        fields = ["abc_class", "xyz_class", "demand_pattern", "policy"]
        form = ItemPageForm

    def filter_pilot(self, queryset, name, value):
        return queryset.filter(jit_pilot=value == "yes")

    # Checkboxes: checked filters, unchecked (``False``) does not. Among active
    # items, as the dashboard counts them (its figures link here).
    def filter_below_checked(self, queryset, name, value):
        return self.filter_below(queryset.active(), name, True) if value else queryset

    def filter_stocked_out_checked(self, queryset, name, value):
        return queryset.active().stocked_out() if value else queryset

    def filter_sort(self, queryset, name, value):
        field = SORTS[value.removeprefix("-")]
        return queryset.order_by(f"-{field}" if value.startswith("-") else field, "pk")
