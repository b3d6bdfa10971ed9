"""The migration that records answers given before issue 19 on their lines."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [
    ("suppliers", "0007_supplier_order_weekday"),
    ("portal", "0001_initial"),
]
AFTER = [
    ("suppliers", "0008_supplier_answers_on_lines_and_time_to_confirm"),
    ("portal", "0002_confirmation_alerted_at"),
]


def migrate(targets):
    """Migrate suppliers and portal to ``targets``, every other app to its
    latest migration; the historical models of that state."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    moved = {app for app, _ in targets}
    targets = [
        *targets,
        *(n for n in executor.loader.graph.leaf_nodes() if n[0] not in moved),
    ]
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_earlier_answers_and_notices_are_recorded_on_the_lines():
    apps = migrate(BEFORE)
    try:
        Supplier = apps.get_model("suppliers", "Supplier")
        Item = apps.get_model("items", "Item")
        Delivery = apps.get_model("suppliers", "Delivery")
        DeliveryLine = apps.get_model("suppliers", "DeliveryLine")
        Confirmation = apps.get_model("portal", "LineConfirmation")
        ShipNotice = apps.get_model("portal", "ShipNotice")
        ShipNoticeLine = apps.get_model("portal", "ShipNoticeLine")
        t0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
        supplier = Supplier.objects.create(code="ACME", name="Acme")
        delivery = Delivery.objects.create(
            supplier=supplier, reference="PO-1", status="ordered", ordered_at=t0
        )
        bolt, nut = (
            DeliveryLine.objects.create(
                delivery=delivery,
                item=Item.objects.create(sku=sku, name=sku),
                quantity_ordered=D("10"),
            )
            for sku in ("BOLT", "NUT")
        )
        Confirmation.objects.create(
            line=bolt, action="confirm", quantity=D("10"), date=date(2026, 3, 9),
            created_at=t0 + timedelta(hours=5),
        )  # fmt: skip
        Confirmation.objects.create(
            line=bolt, action="change", quantity=D("8"), date=date(2026, 3, 12),
            reason="short", in_firm_zone=True, created_at=t0 + timedelta(hours=9),
        )  # fmt: skip
        for n, (arrival, qty) in enumerate(
            [(date(2026, 3, 5), 3), (date(2026, 3, 7), 4)]
        ):
            notice = ShipNotice.objects.create(
                delivery=delivery, arrival=arrival,
                created_at=t0 + timedelta(hours=2 + n),
            )  # fmt: skip
            ShipNoticeLine.objects.create(notice=notice, line=nut, quantity=D(qty))
        apps = migrate(AFTER)
        DeliveryLine = apps.get_model("suppliers", "DeliveryLine")
        bolt = DeliveryLine.objects.get(pk=bolt.pk)
        nut = DeliveryLine.objects.get(pk=nut.pk)
        assert (bolt.response, bolt.confirmed_quantity, bolt.confirmed_date) == (
            "change", D("8"), date(2026, 3, 12)
        )  # fmt: skip
        assert (nut.response, nut.quantity_shipped, nut.ship_arrival) == (
            "", D("7"), date(2026, 3, 7)
        )  # fmt: skip
        delivery = apps.get_model("suppliers", "Delivery").objects.get(pk=delivery.pk)
        assert delivery.first_response_at == t0 + timedelta(hours=2)
        Confirmation = apps.get_model("portal", "LineConfirmation")
        assert not Confirmation.objects.filter(alerted_at__isnull=True).exists()
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
