"""Wiring of the site: login everywhere, the overview, and every admin page."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from items.services import stock_receive
from tests.factories import DeliveryLineFactory, ItemFactory, SupplierItemFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/admin/items/item/"])
def test_anonymous_visitors_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "login" in response.url


def test_login_page_is_open_and_labelled(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'<label for="id_username">' in response.content


def test_staff_can_log_in_and_sees_stock_and_supplier_figures(client, staff_user):
    item = ItemFactory(unit_cost=Decimal("2.50"))
    stock_receive(item=item, quantity=Decimal("4"))
    DeliveryLineFactory(delivery__reference="PO-OPEN-1")
    response = client.post(
        reverse("login"),
        {"username": "staff", "password": "a-long-test-password"},
        follow=True,
    )
    assert response.status_code == 200
    assert response.context["stock"]["stock_value"] == Decimal("10")
    assert response.context["suppliers"]["open_deliveries"] == 1
    content = response.content.decode()
    assert "Stock value" in content and "Open / late deliveries" in content
    assert "Admin</a>" not in content  # staff is not a superuser


def test_logout_needs_post_and_ends_the_session(staff_client):
    response = staff_client.post(reverse("logout"))
    assert response.status_code == 302
    assert staff_client.get("/").status_code == 302


def test_every_admin_page_loads_for_a_superuser(admin_client_logged):
    source = SupplierItemFactory()
    stock_receive(item=source.item, quantity=Decimal("3"))
    DeliveryLineFactory(item=source.item)
    superuser = admin_client_logged.get(reverse("admin:index")).wsgi_request
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        changelist = reverse("admin:{}_{}_changelist".format(*info))
        response = admin_client_logged.get(changelist)
        assert response.status_code == 200, changelist
        response = admin_client_logged.get(changelist + "?q=SKU")
        assert response.status_code == 200, changelist
        add = reverse("admin:{}_{}_add".format(*info))
        # 403 exactly where the admin refuses adding (the ledger, runs, logs)
        expected = 200 if model_admin.has_add_permission(superuser) else 403
        assert admin_client_logged.get(add).status_code == expected, add
        obj = model._default_manager.first()
        if obj is not None:
            change = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
            assert admin_client_logged.get(change).status_code == 200, change


def test_stock_is_read_only_in_the_item_admin(admin_client_logged):
    item = ItemFactory()
    url = reverse("admin:items_item_change", args=[item.pk])
    response = admin_client_logged.get(url)
    assert b'name="on_hand"' not in response.content
    assert b'name="abc_class"' not in response.content


def test_ledger_movements_cannot_be_added_or_edited_in_admin(admin_client_logged):
    item = ItemFactory()
    movement = stock_receive(item=item, quantity=Decimal("1"))
    add = reverse("admin:items_stockmovement_add")
    assert admin_client_logged.get(add).status_code == 403
    change = reverse("admin:items_stockmovement_change", args=[movement.pk])
    response = admin_client_logged.post(change, {"quantity": "100"})
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.on_hand == Decimal("1")
