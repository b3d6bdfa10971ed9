"""What the buyer gets from the supplier's answers (issue 19): receiving starts
from a ship notice, the delivery page and API show every answer, and changes in
the firm zone are alerted on the dashboard and by e-mail (jobs outbox)."""

import json
import re
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core import mail

from jobs.models import Job
from portal.models import LineConfirmation
from portal.services import LineAnswer, firm_zone_alert_send, order_lines_answer
from portal.tasks import firm_zone_alert_task
from suppliers.models import DeliveryStatus
from tests.factories import (
    DeliveryFactory,
    DeliveryLineFactory,
    SupplierItemFactory,
    UserFactory,
)
from tests.portal.conftest import NOW, link_for

pytestmark = pytest.mark.django_db
TODAY = NOW.date()


@pytest.fixture
def order(frozen):
    """PO/26/9 from ACME, placed by the buyer ann: 10 × BOLT, 20 × NUT."""
    bolt = SupplierItemFactory(supplier__code="ACME", item__sku="BOLT")
    nut = SupplierItemFactory(supplier=bolt.supplier, item__sku="NUT")
    buyer = UserFactory(username="ann", email="ann@example.com", is_staff=True)
    delivery = DeliveryFactory(
        supplier=bolt.supplier,
        reference="PO/26/9",
        promised_date=TODAY + timedelta(days=6),
        placed_by=buyer,
    )
    lines = {
        "BOLT": DeliveryLineFactory(
            delivery=delivery, item=bolt.item, quantity_ordered=D("10")
        ),
        "NUT": DeliveryLineFactory(
            delivery=delivery, item=nut.item, quantity_ordered=D("20")
        ),
    }
    return delivery, lines


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def ship(client, delivery, arrival, *lines):
    return post_json(
        client,
        link_for(delivery.supplier) + f"orders/{delivery.reference}/ship-notice.json",
        {
            "arrival": arrival.isoformat(),
            "lines": [{"sku": sku, "quantity": qty} for sku, qty in lines],
        },
    )


def received_input(page, line) -> str:
    """The value the receive form starts from for a line."""
    forms = re.findall(r'name="(lines-\d+)-line" value="(\d+)"', page.content.decode())
    prefix = next(name for name, pk in forms if int(pk) == line.pk)
    match = re.search(
        rf'name="{prefix}-quantity_received" value="([^"]*)"', page.content.decode()
    )
    return match.group(1)


def test_the_receive_form_starts_from_the_ship_notice(client, order, staff_client):
    delivery, lines = order
    page = staff_client.get("/deliveries/PO/26/9/")
    assert received_input(page, lines["BOLT"]) == "10"  # no notice: open
    arrival = TODAY + timedelta(days=2)
    assert ship(client, delivery, arrival, ("BOLT", "4")).status_code == 201
    page = staff_client.get("/deliveries/PO/26/9/")
    text = page.content.decode()
    assert received_input(page, lines["BOLT"]) == "4"
    assert received_input(page, lines["NUT"]) == "20"  # not on the notice
    assert "receiving starts from the quantities it shipped" in text
    assert "ship notice, arriving " + arrival.strftime("%-d %b %Y") in text
    assert "shipped 4, 4 on the way" in text


def test_the_api_receive_defaults_to_the_shipped_quantities(
    client, order, staff_client
):
    delivery, lines = order
    url = "/api/v1/deliveries/PO/26/9/receive/"
    # Without a notice a quantity must be given.
    response = post_json(staff_client, url, {"lines": [{"line": lines["NUT"].pk}]})
    assert response.status_code == 400
    assert "quantity_received" in response.json()["lines"][0]
    response = post_json(staff_client, url, {})
    assert response.status_code == 400 and "lines" in response.json()
    ship(client, delivery, TODAY + timedelta(days=1), ("BOLT", "4"), ("NUT", "5"))
    # A line without a quantity takes the shipped one; others as given.
    response = post_json(
        staff_client,
        url,
        {"lines": [{"line": lines["BOLT"].pk}, {"line": lines["NUT"].pk,
                                                 "quantity_received": "2"}]},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    by_sku = {line["sku"]: line for line in response.json()["lines"]}
    assert by_sku["BOLT"]["quantity_received"] == "4.000"
    assert by_sku["NUT"]["quantity_received"] == "2.000"
    assert by_sku["NUT"]["quantity_announced"] == "3.000"
    assert by_sku["BOLT"]["quantity_announced"] == "0.000"
    # No lines at all: every announced line as announced (NUT's remaining 3).
    response = post_json(staff_client, url, {})
    assert response.status_code == 200, response.content
    by_sku = {line["sku"]: line for line in response.json()["lines"]}
    assert by_sku["NUT"]["quantity_received"] == "5.000"
    assert by_sku["BOLT"]["quantity_received"] == "4.000"
    assert response.json()["status"] == DeliveryStatus.PARTIALLY_RECEIVED
    # Nothing announced is left.
    assert post_json(staff_client, url, {}).status_code == 400


def test_the_delivery_api_shows_the_answers_on_each_line(client, order, staff_client):
    delivery, _ = order
    later = TODAY + timedelta(days=9)
    post_json(
        client,
        link_for(delivery.supplier) + "orders/PO/26/9/confirm.json",
        {"lines": [{"sku": "BOLT", "action": "confirm"},
                   {"sku": "NUT", "action": "change", "quantity": "15",
                    "date": later.isoformat(), "reason": "Material"}]},
    )  # fmt: skip
    arrival = TODAY + timedelta(days=3)
    ship(client, delivery, arrival, ("BOLT", "10"))
    body = staff_client.get("/api/v1/deliveries/PO/26/9/").json()
    by_sku = {line["sku"]: line for line in body["lines"]}
    assert by_sku["NUT"]["response"] == "change"
    assert by_sku["NUT"]["confirmed_quantity"] == "15.000"
    assert by_sku["NUT"]["confirmed_date"] == later.isoformat()
    assert by_sku["NUT"]["expected_arrival"] == later.isoformat()
    assert by_sku["BOLT"]["confirmed_date"] == delivery.promised_date.isoformat()
    assert by_sku["BOLT"]["expected_arrival"] == arrival.isoformat()
    assert by_sku["BOLT"]["quantity_shipped"] == "10.000"
    listed = staff_client.get("/api/v1/deliveries/?supplier__code=ACME").json()
    assert listed["results"][0]["lines"][0]["expected_arrival"] is not None


def test_the_delivery_page_shows_every_answer(client, order, staff_client):
    delivery, _ = order
    url = link_for(delivery.supplier) + "orders/PO/26/9/confirm.json"
    for line in [
        {"sku": "NUT", "action": "confirm"},
        {"sku": "NUT", "action": "change", "quantity": "12", "reason": "Short"},
        {"sku": "BOLT", "action": "reject", "reason": "Discontinued"},
    ]:
        assert post_json(client, url, {"lines": [line]}).status_code == 200
    text = staff_client.get("/deliveries/PO/26/9/").content.decode()
    assert "3 answers" in text
    assert "NUT confirmed 20" in text and "NUT changed 12" in text
    assert "BOLT rejected 0" in text and "Discontinued" in text
    assert 'data-testid="firm-zone-alert"' in text
    assert "BOLT (rejected)" in text and "NUT (changed to 12" in text


def test_a_ship_notice_cannot_announce_more_than_is_open_and_unannounced(client, order):
    delivery, _ = order
    arrival = TODAY + timedelta(days=2)
    assert ship(client, delivery, arrival, ("NUT", "15")).status_code == 201
    response = ship(client, delivery, arrival, ("NUT", "6"))
    assert response.status_code == 400
    assert response.json()["lines"][0]["quantity"] == [
        "More than the 5 still open and not on an earlier ship notice (15 already is)."
    ]
    assert ship(client, delivery, arrival, ("NUT", "5")).status_code == 201


def test_a_line_on_its_way_cannot_be_rejected(client, order):
    delivery, lines = order
    ship(client, delivery, TODAY + timedelta(days=1), ("NUT", "5"))
    response = post_json(
        client,
        link_for(delivery.supplier) + "orders/PO/26/9/confirm.json",
        {"lines": [{"sku": "NUT", "action": "reject", "reason": "Gone"}]},
    )
    assert response.status_code == 400
    assert response.json()["lines"][0]["action"] == [
        "NUT is on its way (5 on a ship notice): change the quantity instead of "
        "rejecting the line."
    ]
    lines["NUT"].refresh_from_db()
    assert lines["NUT"].response == ""


def test_a_rejected_line_cannot_be_shipped(client, order):
    delivery, lines = order
    post_json(
        client,
        link_for(delivery.supplier) + "orders/PO/26/9/confirm.json",
        {"lines": [{"sku": "NUT", "action": "reject", "reason": "Gone"}]},
    )
    response = ship(client, delivery, TODAY, ("NUT", "1"))
    assert response.status_code == 400
    assert "was rejected" in response.json()["lines"][0]["sku"][0]
    lines["NUT"].refresh_from_db()
    assert lines["NUT"].quantity_shipped == 0


# --- alerts ---


def test_a_firm_zone_change_is_on_the_dashboard(client, order, staff_client):
    delivery, _ = order
    assert b'data-testid="supplier-changes"' not in staff_client.get("/").content
    post_json(
        client,
        link_for(delivery.supplier) + "orders/PO/26/9/confirm.json",
        {"lines": [{"sku": "NUT", "action": "change", "quantity": "15",
                    "reason": "Material"}]},
    )  # fmt: skip
    text = staff_client.get("/").content.decode()
    assert 'data-testid="supplier-changes"' in text
    assert "Suppliers changed 1 open order line" in text
    assert "PO/26/9</a> ACME: NUT changed to 15 ea" in text


def test_a_firm_zone_change_e_mails_the_buyer_once(
    order, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    delivery, _ = order
    with django_capture_on_commit_callbacks(execute=False):
        order_lines_answer(
            delivery=delivery,
            answers=[
                LineAnswer(sku="BOLT", action="confirm"),
                LineAnswer(sku="NUT", action="change", quantity=D("15"),
                           reason="Material"),
            ],
        )  # fmt: skip
    job = Job.objects.get()
    assert job.task_name == "portal.tasks.firm_zone_alert_task"
    nut = LineConfirmation.objects.get(line__item__sku="NUT")
    assert job.args == [[nut.pk]]  # the confirmation is not alerted
    assert not mail.outbox
    # What the worker runs for the job:
    assert firm_zone_alert_task.run(*job.args) == 1
    (message,) = mail.outbox
    assert message.to == ["ann@example.com"]
    assert message.subject == "ACME changed order PO/26/9"
    assert "NUT changed to 15 ea for 17 Mar 2026 (ordered 20" in message.body
    assert ": Material" in message.body
    assert "/deliveries/PO/26/9/" in message.body
    nut.refresh_from_db()
    assert nut.alerted_at is not None
    # A retry (or a second delivery of the job) sends nothing more.
    assert firm_zone_alert_task.run(*job.args) == 0
    assert len(mail.outbox) == 1


def test_a_confirmation_alone_alerts_nobody(order):
    delivery, _ = order
    order_lines_answer(delivery=delivery, answers=[LineAnswer("BOLT", "confirm")])
    assert not Job.objects.exists()


def test_without_a_buyer_address_the_alert_goes_to_the_setting_or_waits(
    order, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    delivery, _ = order
    delivery.placed_by = None
    delivery.save()
    created = order_lines_answer(
        delivery=delivery,
        answers=[LineAnswer("NUT", "reject", reason="Discontinued")],
    )
    ids = [row.pk for row in created]
    settings.PORTAL_ALERT_EMAILS = []
    assert firm_zone_alert_send(confirmation_ids=ids) == 0
    assert not mail.outbox
    assert LineConfirmation.objects.get(pk=ids[0]).alerted_at is None
    settings.PORTAL_ALERT_EMAILS = ["purchasing@example.com"]
    assert firm_zone_alert_send(confirmation_ids=ids) == 1
    assert mail.outbox[0].to == ["purchasing@example.com"]
    assert "NUT rejected (20 ea ordered): Discontinued" in mail.outbox[0].body


def test_a_mail_failure_raises_for_the_retry_and_keeps_the_alert_pending(
    order, settings
):
    settings.EMAIL_BACKEND = "tests.portal.test_answers_for_staff.BrokenBackend"
    delivery, _ = order
    created = order_lines_answer(
        delivery=delivery, answers=[LineAnswer("NUT", "reject", reason="Gone")]
    )
    with pytest.raises(ConnectionRefusedError):
        firm_zone_alert_task.run([created[0].pk])
    assert LineConfirmation.objects.get(pk=created[0].pk).alerted_at is None


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def test_placing_an_order_records_the_buyer(staff_client, staff_user):
    source = SupplierItemFactory()
    draft = DeliveryFactory(
        supplier=source.supplier, status=DeliveryStatus.DRAFT, ordered_at=None
    )
    DeliveryLineFactory(delivery=draft, item=source.item)
    response = staff_client.post(f"/deliveries/{draft.reference}/place/")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == DeliveryStatus.ORDERED and draft.placed_by == staff_user
