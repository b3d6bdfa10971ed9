"""Supplier risk on the demo data reads as a buyer would say it (issue 20)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from replenishment.classification import items_reclassify
from suppliers.models import SupplierScore
from suppliers.services import supplier_scores_refresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_scores():
    call_command("seed_demo", "--items", "60", stdout=StringIO())
    items_reclassify()
    supplier_scores_refresh()
    return {
        s.supplier.code: s for s in SupplierScore.objects.select_related("supplier")
    }


def test_fareast_is_high_risk_because_we_depend_on_it(demo_scores, staff_client):
    fareast = demo_scores["FAREAST"]
    # the only source of about half the A-item value, a six-week lead time
    assert fareast.exposure_share >= 0.4 and fareast.dependency_lead_time_days > 35
    assert fareast.dependency_level == "high" and fareast.risk_level == "high"
    # a supplier late on half its deliveries is high risk by performance alone
    brandt = demo_scores["BRANDT"]
    assert brandt.performance_level == "high" and brandt.risk_level == "high"
    # reliable suppliers stay low
    assert demo_scores["NORDFAST"].risk_level == "low"

    page = staff_client.get(reverse("supplier_detail", args=["FAREAST"]))
    text = page.content.decode()
    assert "High risk because of our dependency on it" in text
    assert "it is the only source of" in text and "of the A-item value" in text
    listing = staff_client.get(reverse("supplier_list")).content.decode()
    assert 'data-testid="risk-FAREAST">High<' in listing
    high = staff_client.get(reverse("supplier_list"), {"level": "high"})
    assert {s.code for s in high.context["suppliers"]} >= {"FAREAST", "BRANDT"}
    assert "NORDFAST" not in {s.code for s in high.context["suppliers"]}
