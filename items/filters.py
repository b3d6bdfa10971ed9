import django_filters

from .models import AbcClass, DemandPattern, Item, Policy, XyzClass


class ItemFilter(django_filters.FilterSet):
    abc_class = django_filters.ChoiceFilter(choices=AbcClass.choices)
    xyz_class = django_filters.ChoiceFilter(choices=XyzClass.choices)
    demand_pattern = django_filters.ChoiceFilter(choices=DemandPattern.choices)
    policy = django_filters.ChoiceFilter(choices=Policy.choices)
    jit_pilot = django_filters.BooleanFilter()
    below_reorder_point = django_filters.BooleanFilter(method="filter_below")

    class Meta:
        model = Item
        fields = [
            "abc_class", "xyz_class", "demand_pattern", "policy", "jit_pilot",
            "active",
        ]  # fmt: skip

    def filter_below(self, queryset, name, value):
        below = queryset.below_reorder_point()
        return below if value else queryset.exclude(pk__in=below.values("pk"))
