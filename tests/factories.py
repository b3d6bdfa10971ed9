from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from items.models import Item
from suppliers.models import (
    Delivery,
    DeliveryLine,
    DeliveryStatus,
    Supplier,
    SupplierItem,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("a-long-test-password")
    is_staff = True


class SuperuserFactory(UserFactory):
    is_superuser = True


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Item {n}")
    unit_cost = Decimal("10.00")
    annual_demand = Decimal("100")


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    code = factory.Sequence(lambda n: f"SUP{n:03d}")
    name = factory.Sequence(lambda n: f"Supplier {n}")


class SupplierItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplierItem

    supplier = factory.SubFactory(SupplierFactory)
    item = factory.SubFactory(ItemFactory)
    unit_price = Decimal("9.50")
    quoted_lead_time_days = 5


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    supplier = factory.SubFactory(SupplierFactory)
    reference = factory.Sequence(lambda n: f"PO-{n:06d}")
    status = DeliveryStatus.ORDERED
    ordered_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=5))
    promised_date = factory.LazyFunction(lambda: timezone.localdate())


class DeliveryLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeliveryLine

    delivery = factory.SubFactory(DeliveryFactory)
    item = factory.SubFactory(ItemFactory)
    quantity_ordered = Decimal("10")
