"""Shared helpers named once (issue 14, item 5): the standard deviation from
running sums, the acting user, the on-order statuses and high-risk suppliers."""

import math
import statistics

import pytest
from django.contrib.auth.models import AnonymousUser

from inventory_site.stats import std_from_moments
from inventory_site.users import acting_user
from suppliers.models import (
    HIGH_RISK,
    ON_ORDER_STATUSES,
    OPEN_DELIVERY_STATUSES,
    Delivery,
    DeliveryStatus,
    RiskLevel,
    SupplierScore,
)
from suppliers.selectors import supplier_risk_counts
from tests.factories import DeliveryFactory, SupplierFactory, UserFactory

VALUES = [3.0, 5.0, 4.0, 9.0, 0.0]


def moments(values):
    n = len(values)
    return sum(values) / n, sum(v * v for v in values) / n


def test_std_from_moments_is_the_population_std():
    mean, mean_sq = moments(VALUES)
    assert math.isclose(std_from_moments(mean, mean_sq), statistics.pstdev(VALUES))


def test_std_from_moments_with_n_is_the_sample_std():
    mean, mean_sq = moments(VALUES)
    assert math.isclose(
        std_from_moments(mean, mean_sq, n=len(VALUES)), statistics.stdev(VALUES)
    )
    assert std_from_moments(4.0, 16.0, n=1) == 0.0


def test_a_variance_below_zero_from_rounding_is_zero():
    assert std_from_moments(0.1, 0.1 * 0.1 - 1e-18) == 0.0


@pytest.mark.django_db
def test_acting_user_is_the_signed_in_user_or_the_system():
    user = UserFactory(username="clerk")
    assert acting_user(user) is user
    assert acting_user(AnonymousUser()) is None
    assert acting_user(None) is None


def test_on_order_is_drafts_and_open_deliveries():
    assert set(ON_ORDER_STATUSES) == {DeliveryStatus.DRAFT, *OPEN_DELIVERY_STATUSES}
    index = next(i for i in Delivery._meta.indexes if i.name == "delivery_open_status")
    assert index.condition.children == [("status__in", list(ON_ORDER_STATUSES))]


@pytest.mark.django_db
def test_on_order_and_high_risk_querysets():
    for status in DeliveryStatus.values:
        DeliveryFactory(status=status, reference=f"PO-{status}")
    assert {d.status for d in Delivery.objects.on_order()} == set(ON_ORDER_STATUSES)
    risky = SupplierScore.objects.create(
        supplier=SupplierFactory(), risk_level=RiskLevel.HIGH, history_sufficient=True
    )
    SupplierScore.objects.create(
        supplier=SupplierFactory(), risk_level=RiskLevel.HIGH, history_sufficient=False
    )
    SupplierScore.objects.create(
        supplier=SupplierFactory(), risk_level=RiskLevel.LOW, history_sufficient=True
    )
    assert list(SupplierScore.objects.high_risk()) == [risky]
    assert list(SupplierScore.objects.filter(HIGH_RISK)) == [risky]
    assert risky.is_high_risk
    assert supplier_risk_counts()["high"] == 1
