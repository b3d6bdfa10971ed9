"""The item page and the API filter items through one FilterSet (issue 14,
item 5): the same predicates give the same items under either's names."""

from decimal import Decimal as D

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from items.filters import ItemFilter, ItemPageFilter
from items.models import BELOW_REORDER_POINT, STOCKED_OUT, Item
from items.selectors import items_for_list
from tests.factories import ItemFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def items():
    ItemFactory(sku="A-LOW", abc_class="A", on_hand=D("2"), reorder_point=D("5"))
    ItemFactory(sku="A-OK", abc_class="A", on_hand=D("9"), reorder_point=D("5"))
    ItemFactory(sku="B-OUT", abc_class="B", on_hand=D("0"), jit_pilot=True)
    ItemFactory(sku="C-PILOT", abc_class="C", xyz_class="Z", on_hand=D("4"),
                jit_pilot=True, name="gear wheel")  # fmt: skip


def page_skus(params) -> list[str]:
    filterset = ItemPageFilter(params, queryset=items_for_list().order_by("sku"))
    return [item.sku for item in filterset.qs]


def api_skus(params) -> list[str]:
    filterset = ItemFilter(params, queryset=Item.objects.order_by("sku"))
    return [item.sku for item in filterset.qs]


@pytest.mark.parametrize(
    ("page", "api", "expected"),
    [
        ({"below_rop": "on"}, {"below_reorder_point": "true"}, ["A-LOW"]),
        ({"pilot": "yes"}, {"jit_pilot": "true"}, ["B-OUT", "C-PILOT"]),
        ({"pilot": "no"}, {"jit_pilot": "false"}, ["A-LOW", "A-OK"]),
        ({"abc_class": "A"}, {"abc_class": "A"}, ["A-LOW", "A-OK"]),
        ({"xyz_class": "Z"}, {"xyz_class": "Z"}, ["C-PILOT"]),
    ],
)
def test_page_and_api_names_select_the_same_items(items, page, api, expected):
    assert page_skus(page) == api_skus(api) == expected


def test_an_unchecked_box_and_an_unknown_sort_do_not_filter(items):
    assert page_skus({}) == ["A-LOW", "A-OK", "B-OUT", "C-PILOT"]
    assert page_skus({"sort": "nonsense", "abc_class": "A"}) == ["A-LOW", "A-OK"]


def test_the_page_searches_and_sorts(items):
    assert page_skus({"q": "GEAR"}) == ["C-PILOT"]
    assert page_skus({"sort": "-on_hand"}) == ["A-OK", "C-PILOT", "A-LOW", "B-OUT"]
    assert page_skus({"sort": "on_hand", "pilot": "yes"}) == ["B-OUT", "C-PILOT"]


def test_the_page_and_the_api_answer_alike(items, client):
    user = UserFactory(username="clerk", is_staff=True)
    client.force_login(user)
    page = client.get(reverse("item_list"), {"below_rop": "on", "abc_class": "A"})
    api = APIClient()
    api.force_authenticate(user)
    answer = api.get(
        "/api/v1/items/", {"below_reorder_point": "true", "abc_class": "A"}
    )
    assert [i.sku for i in page.context["page"]] == ["A-LOW"]
    assert [row["sku"] for row in answer.json()["results"]] == ["A-LOW"]


def test_named_predicates_are_the_queryset_methods(items):
    assert set(Item.objects.filter(BELOW_REORDER_POINT)) == set(
        Item.objects.below_reorder_point()
    )
    assert [i.sku for i in Item.objects.filter(STOCKED_OUT)] == ["B-OUT"]
