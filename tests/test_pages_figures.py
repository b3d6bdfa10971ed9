"""Every figure on the staff pages reads as a business figure (issue 20): no
raw float, no more decimals than the unit allows, money with its currency."""

import re
from datetime import timedelta
from decimal import Decimal as D
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from items.models import ClassificationRun
from items.services import stock_receive
from replenishment.classification import items_reclassify
from replenishment.generation import suggestions_generate
from suppliers.models import SupplierScore
from tests.factories import DeliveryLineFactory, SupplierItemFactory

pytestmark = pytest.mark.django_db

# A number with three or more decimals, and the word after it.
LONG_DECIMALS = re.compile(r"(?<![\w.])(-?[\d,]*\d\.\d{3,})(?:\s*(\w+))?")
FRACTION_OF_WHOLE_UNIT = re.compile(r"(?<![\w.])\d[\d,]*\.\d+\s*ea\b(?!/)")
RAW_FLOAT = re.compile(r"\d\.\d+[eE][-+]?\d+|\d[eE]-\d+|\bnan\b|\binf\b")


def visible_text(html: str) -> str:
    """The page's text and the values of its inputs (what a person reads)."""
    html = re.sub(r"<(script|style|title)\b.*?</\1>", " ", html, flags=re.S)
    values = " ".join(re.findall(r'\b(?:value|placeholder)="([^"]*)"', html))
    text = re.sub(r"<[^>]+>", " ", html)
    return unescape(f"{text} {values}")


@pytest.fixture
def awkward_figures():
    """Figures that used to leak unrounded: a reorder point of 10.6422 ea, demand
    6.6222 ± 5.0981 a day, a supplier score with four-decimal rates."""
    source = SupplierItemFactory(
        item__sku="PIN-3", item__unit="ea", item__unit_cost=D("0.3333"),
        item__annual_demand=D("2417.1"), item__abc_class="A", item__policy="jit",
        supplier__code="FAR", min_order_qty=D("12.000"), order_multiple=D("6.000"),
    )  # fmt: skip
    item = source.item
    stock_receive(item=item, quantity=D("7"))
    flour = SupplierItemFactory(
        item__sku="FLOUR", item__unit="kg", item__unit_cost=D("1.2345"),
        supplier=source.supplier,
    ).item  # fmt: skip
    stock_receive(item=flour, quantity=D("2.125"))
    DeliveryLineFactory(
        item=item, delivery__supplier=source.supplier, delivery__reference="PO-7",
        quantity_ordered=D("24"), unit_price=D("0.3333"),
        delivery__promised_date=timezone.localdate() - timedelta(days=2),
    )  # fmt: skip
    SupplierScore.objects.create(
        supplier=source.supplier, deliveries_count=9, on_time_rate=D("0.6812"),
        fill_rate=D("0.9733"), defect_rate=D("0.0123"),
        lead_time_mean_days=D("43.17"), lead_time_std_days=D("6.33"),
        lead_time_cv=D("0.1466"), single_source_exposure=D("1234.5678"),
        exposure_share=D("0.5512"), risk_score=D("61.4"), risk_level="high",
        history_sufficient=True,
    )  # fmt: skip
    suggestions_generate()
    # as the nightly run stores them: more decimals than anyone reads
    type(item).objects.filter(pk=item.pk).update(
        reorder_point=D("10.6422"),
        avg_daily_demand=D("6.6222"),
        daily_demand_std=D("5.0981"),
    )
    return item


PAGES = [
    ("overview", []),
    ("item_list", []),
    ("item_detail", ["PIN-3"]),
    ("item_detail", ["FLOUR"]),
    ("suggestion_list", []),
    ("delivery_list", []),
    ("delivery_detail", ["PO-7"]),
    ("supplier_list", []),
    ("supplier_detail", ["FAR"]),
]


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_no_page_shows_a_raw_float_or_too_many_decimals(
    staff_client, awkward_figures, name, args
):
    text = visible_text(staff_client.get(reverse(name, args=args)).content.decode())
    assert not RAW_FLOAT.search(text)
    assert not FRACTION_OF_WHOLE_UNIT.search(text), FRACTION_OF_WHOLE_UNIT.findall(text)
    # Three decimals only for a unit that allows them: the 2.125 kg of flour.
    long = [(n, word) for n, word in LONG_DECIMALS.findall(text) if n != "2.125"]
    assert not long, long


def test_the_figures_read_as_business_figures(staff_client, awkward_figures):
    page = visible_text(
        staff_client.get(reverse("item_detail", args=["PIN-3"])).content.decode()
    )
    assert "Reorder point 11 ea" in " ".join(page.split())
    assert "6.6 ea/day" in page and "± 5.1" in page
    assert "0.33 EUR" in page  # unit cost with the currency, two decimals
    items = visible_text(staff_client.get(reverse("item_list")).content.decode())
    assert "2.125 kg" in items and "2.62 EUR" in items  # 2.125 × 1.2345
    suppliers = visible_text(
        staff_client.get(reverse("supplier_list")).content.decode()
    )
    assert "68 %" in suppliers and "1,234.57 EUR" in suppliers


def test_the_classification_result_shows_labels_not_codes(staff_client):
    SupplierItemFactory(item__annual_demand=D("10"))
    run = items_reclassify()
    assert ClassificationRun.objects.get(pk=run.pk).counts["policy"]
    page = visible_text(
        staff_client.get(
            reverse("classification_run_detail", args=[run.pk])
        ).content.decode()
    )
    assert "JIT (small frequent batches)" in page and "Reorder point" in page
    assert "Unknown (under 8 weeks of history)" in page
    assert not re.search(r"\breorder_point\b|\bmin_max\b", page)
