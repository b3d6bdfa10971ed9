"""inventory_site.formatting: one way every figure reads (issue 20)."""

from decimal import Decimal as D

import pytest
from django.template import Context, Template

from inventory_site import formatting as f
from items.models import Policy


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (D("12.000"), "ea", "12"),
        (D("10.642"), "ea", "11"),  # whole units never show a fraction
        (D("1.5"), "pcs", "2"),
        (D("1234"), "ea", "1,234"),
        (D("2.500"), "kg", "2.5"),
        (D("0.125"), "kg", "0.125"),
        (D("10.6422"), "kg", "10.642"),  # at most the ledger's three decimals
        (D("-0.0001"), "kg", "0"),
        (D("0"), "ea", "0"),
        (D("3.000"), None, "3"),  # no unit: the value as it is
        (D("1.5"), None, "1.5"),
        (D("0.0625"), None, "0.0625"),
        (None, "ea", "—"),
    ],
)
def test_quantity_follows_the_unit(value, unit, text):
    assert f.quantity(value, unit) == text


def test_whole_units_come_from_the_setting(settings):
    settings.WHOLE_UNITS = ["crate"]
    assert f.is_whole_unit("Crate ")
    assert not f.is_whole_unit("ea")
    assert f.quantity(D("2.5"), "ea") == "2.5"
    assert f.quantity(D("2.5"), "crate") == "3"


def test_exact_keeps_every_decimal_and_never_groups():
    assert f.exact(D("9999999999999.99")) == "9999999999999.99"
    assert f.exact(D("1000.500")) == "1000.5"
    assert f.exact(D("20")) == "20"
    assert f.quantity(D("1000"), "ea", grouping=False) == "1000"


def test_money_has_two_decimals_and_the_currency(settings):
    settings.CURRENCY = "CHF"
    assert f.money(D("1234.5")) == "1,234.50 CHF"
    assert f.money(D("0.005")) == "0.01 CHF"  # half up
    assert f.money(D("12.3456789")) == "12.35 CHF"
    assert f.money(D("3"), "EUR") == "3.00 EUR"
    assert f.money(None) == "—"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("123.4567"), "123 d"),
        (D("10.5"), "11 d"),
        (D("4.44"), "4.4 d"),
        (D("0.333"), "0.33 d"),
        (D("2"), "2 d"),
        (None, "—"),
    ],
)
def test_days_are_rounded_for_reading(value, text):
    assert f.days(value) == text


def test_rates_percent_and_counts():
    assert f.rate(D("6.6222"), "ea") == "6.6 ea/day"
    assert f.rate(D("0.25")) == "0.25/day"
    assert f.rate(D("36.5")) == "37/day"
    assert f.percent(D("0.9512")) == "95.1 %"
    assert f.percent(D("0.32"), 0) == "32 %"
    assert f.percent(None) == "—"
    assert f.share(80) == "80.0 %"
    assert f.count(1234567) == "1,234,567"
    assert f.figure(D("30.04")) == "30"


def test_labels_instead_of_codes():
    assert f.label("jit", Policy.choices) == "JIT (small frequent batches)"
    assert f.label("", Policy.choices) == "—"
    assert f.label("other", Policy.choices) == "other"


def test_a_refusal_that_says_it_itself_is_not_prefixed_again():
    message = "Nothing received: enter at least one quantity."
    assert f.prefixed("Nothing received", message) == message
    assert f.prefixed("Nothing received", "A: bad.") == "Nothing received: A: bad."


def test_text_and_nonsense_pass_through():
    assert f.quantity("n/a", "ea") == "n/a"
    assert f.money("lots") == "—"
    assert f.to_decimal(float("nan")) is None


def test_template_filters_use_the_formatter(settings):
    settings.CURRENCY = "EUR"
    html = Template(
        "{% load formatting %}{{ q|qty:'ea' }}|{{ q|qty_unit:'kg' }}|{{ q|qty_input }}"
        "|{{ m|money }}|{{ r|pct }}|{{ d|days }}|{{ d|rate:'ea' }}"
    ).render(Context({"q": D("1234.5000"), "m": D("2"), "r": D("0.5"), "d": D("4.25")}))
    assert html == "1,235|1,234.5 kg|1234.5|2.00 EUR|50.0 %|4.3 d|4.3 ea/day"


def test_the_former_library_names_load_the_same_filters():
    html = Template("{% load inventory purchasing %}{{ q|qty }} {{ q|money }}").render(
        Context({"q": D("3")})
    )
    assert html == "3 3.00 EUR"
