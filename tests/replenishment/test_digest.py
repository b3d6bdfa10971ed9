"""The daily digest e-mail (issue 20): opt in, content, sent once after the
nightly run through the outbox."""

from datetime import datetime, timedelta
from decimal import Decimal as D
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from items.models import Item
from items.services import stock_receive
from jobs.models import Job
from replenishment import tasks
from replenishment.digest import digest_send
from replenishment.models import DigestSubscription, NightlyDigest, Suggestion
from tests.factories import (
    DeliveryLineFactory,
    ItemFactory,
    SupplierItemFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
FROZEN = datetime(2026, 12, 2, 7, 0, tzinfo=ZoneInfo("Europe/Berlin"))
TODAY = FROZEN.date()


@pytest.fixture(autouse=True)
def _frozen(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://inventory.example.com"
    with time_machine.travel(FROZEN, tick=False):
        yield


@pytest.fixture
def morning():
    """Two due suggestions for ACME, one for BETA not yet due, a late delivery,
    a stockout and an item below its reorder point."""
    acme = SupplierItemFactory(supplier__code="ACME", supplier__name="Acme").supplier
    beta = SupplierItemFactory(supplier__code="BETA").supplier
    for sku, supplier, order_by in (
        ("BOLT-1", acme, TODAY),
        ("BOLT-2", acme, TODAY - timedelta(days=1)),
        ("NUT-9", beta, TODAY + timedelta(days=3)),
    ):
        source = SupplierItemFactory(supplier=supplier, item__sku=sku)
        Suggestion.objects.create(
            item=source.item, source=source, supplier=supplier, policy="jit",
            quantity=D("12.000"), order_by=order_by, expected_arrival=order_by,
            reason="because", avg_daily_demand=D("1"), daily_demand_std=D("0"),
            lead_time_days=D("5"), lead_time_std_days=D("0"), safety_time_days=1,
            delivery_interval_days=7, on_hand=D("0"), on_order=D("0"),
            inventory_position=D("0"), reorder_point=D("5"), order_up_to=D("12"),
        )  # fmt: skip
    DeliveryLineFactory(
        delivery__reference="PO-LATE", delivery__supplier=acme,
        delivery__promised_date=TODAY - timedelta(days=4),
    )  # fmt: skip
    for item in Item.objects.all():  # the suppliers' other items are in stock
        stock_receive(item=item, quantity=D("100"))
    ItemFactory(sku="EMPTY-1", name="Nothing left", reorder_point=D("3"))
    low = ItemFactory(sku="LOW-1", reorder_point=D("10.6422"))
    stock_receive(item=low, quantity=D("4"))
    return acme


def subscriber(username, *, on=True, email=None):
    user = UserFactory(username=username, email=email or f"{username}@example.com")
    DigestSubscription.objects.create(user=user, daily_digest=on)
    return user


def test_the_digest_says_what_needs_doing_today(morning):
    subscriber("ann")
    subscriber("bob", on=False)
    UserFactory(username="carl")  # never opted in
    assert digest_send(today=TODAY) == 1
    [message] = mail.outbox
    assert message.to == ["ann@example.com"]
    assert message.subject == "JIT Inventory 02 Dec 2026: 2 due, 1 late, 1 stocked out"
    body = message.body
    assert "DUE TODAY: 2 suggestions" in body
    assert "ACME Acme: 2 due" in body
    assert "  - BOLT-1 " in body and ": order 12 ea by Wed 2 Dec" in body
    assert "NUT-9" not in body  # not due yet
    assert (
        "LATE DELIVERIES: 1" in body
        and "PO-LATE from ACME, promised 28 Nov 2026" in body
    )
    assert "STOCKOUTS: 1" in body and "EMPTY-1 Nothing left" in body
    assert "AT OR BELOW THE REORDER POINT: 2" in body  # the stockout counts too
    assert "LOW-1" in body and "4 ea on hand, reorder point 11 ea" in body
    assert "https://inventory.example.com/items/?stockout=on" in body
    html = message.alternatives[0][0]
    assert 'href="https://inventory.example.com/suggestions/?supplier=ACME"' in html
    assert DigestSubscription.objects.get(user__username="ann").last_sent_on == TODAY


def test_the_digest_goes_once_a_day(morning):
    subscriber("ann")
    assert digest_send(today=TODAY) == 1
    assert digest_send(today=TODAY) == 0
    assert len(mail.outbox) == 1
    assert digest_send(today=TODAY + timedelta(days=1)) == 1


def test_a_user_without_an_address_gets_nothing(morning):
    user = subscriber("ann")
    type(user).objects.filter(pk=user.pk).update(email="")
    assert digest_send(today=TODAY) == 0 and not mail.outbox


def test_the_last_suggestion_chunk_queues_the_digest_through_the_outbox(
    morning, monkeypatch, settings, django_capture_on_commit_callbacks
):
    """The nightly step records its chunks; the chunk that finishes last
    queues digest_send_task in the jobs outbox, once."""
    monkeypatch.setattr(tasks, "item_id_ranges", lambda size: [(1, 5), (6, 10)])
    settings.SUGGESTION_TASK_CHUNKS = 1  # a task per range
    # the group is not sent: the test runs its chunks itself, in order
    monkeypatch.setattr(
        tasks, "group", lambda signatures: SimpleNamespace(apply_async=lambda: None)
    )
    with django_capture_on_commit_callbacks(execute=False):
        tasks.suggestions_generate_task.run(today=TODAY.isoformat())
        night = NightlyDigest.objects.get(day=TODAY)
        assert (night.chunks_total, night.chunks_done) == (2, 0)
        tasks.suggestions_generate_chunk_task.run(1, 5, TODAY.isoformat())
        assert not Job.objects.exists()
        tasks.suggestions_generate_chunk_task.run(6, 10, TODAY.isoformat())
        tasks.suggestions_generate_chunk_task.run(6, 10, TODAY.isoformat())
    job = Job.objects.get()  # once, however many chunks report
    assert (job.task_name, job.args) == (
        "replenishment.tasks.digest_send_task",
        [TODAY.isoformat()],
    )
    subscriber("ann")
    assert tasks.digest_send_task.run(*job.args) == {"status": "succeeded", "sent": 1}
    assert NightlyDigest.objects.get(day=TODAY).recipients == 1


def test_users_opt_in_and_out_on_their_digest_page(client):
    user = UserFactory(username="dana", is_staff=False)
    client.force_login(user)
    page = client.get(reverse("digest_settings"))
    assert page.status_code == 200 and "dana@example.com" in page.content.decode()
    assert not page.context["form"].initial["daily_digest"]
    response = client.post(
        reverse("digest_settings"), {"daily_digest": "on"}, follow=True
    )
    assert "You will get the daily digest by e-mail." in response.content.decode()
    assert DigestSubscription.objects.get(user=user).daily_digest
    client.post(reverse("digest_settings"), {})
    assert not DigestSubscription.objects.get(user=user).daily_digest
    assert (
        reverse("digest_settings") in client.get(reverse("overview")).content.decode()
    )


def test_the_digest_page_needs_a_login(client):
    response = client.get(reverse("digest_settings"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_digest_page_runs_a_constant_number_of_queries(
    client, django_assert_max_num_queries
):
    client.force_login(UserFactory())
    with django_assert_max_num_queries(6):
        assert client.get(reverse("digest_settings")).status_code == 200


def test_the_embedded_default_writes_the_digest_to_files(morning, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    subscriber("ann")
    assert digest_send(today=TODAY) == 1
    [written] = list(tmp_path.iterdir())
    assert "DUE TODAY: 2 suggestions" in written.read_text()
