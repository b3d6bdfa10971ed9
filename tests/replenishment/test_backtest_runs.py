"""Stored backtest runs: chunks merged in any order, the API and the page."""

from datetime import date, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from items.services import MovementInput, movements_bulk_post
from jobs.models import Job
from replenishment.backtest_runner import backtest_item_series, backtest_run
from replenishment.models import Backtest, BacktestChunk
from replenishment.services import backtest_request, backtest_run_chunk, backtest_start
from tests.factories import ItemFactory, SupplierItemFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))
TODAY = date(2026, 3, 10)


def make_items(count: int = 5):
    now = NOW
    for n in range(count):
        item = ItemFactory(sku=f"BT-{n}", abc_class="ABC"[n % 3], policy="jit")
        SupplierItemFactory(item=item, quoted_lead_time_days=2 + n % 4)
        per_day = D(1 + n % 3)
        moves = [MovementInput(item.pk, "receipt", per_day * 160, now - timedelta(200))]
        moves += [
            MovementInput(item.pk, "issue", -per_day, now - timedelta(days=d))
            for d in range(150, 0, -1)
            if d % (2 + n % 2)
        ]
        movements_bulk_post(movements=moves)


@time_machine.travel(NOW, tick=False)
def test_chunks_merged_in_any_order_equal_the_single_run(
    django_capture_on_commit_callbacks,
):
    make_items()
    with django_capture_on_commit_callbacks(execute=False):
        run = backtest_request(days=60, seed=4, overrides={"service_level": "0.97"})
    assert Job.objects.get().task_name == "replenishment.tasks.backtest_task"
    ranges = backtest_start(run=run, chunk_size=2)
    assert len(ranges) == 3 and run.status == "running"
    for first_id, last_id in reversed(ranges):
        backtest_run_chunk(run=run, first_id=first_id, last_id=last_id)
    # a redelivered chunk is stored and counted once
    backtest_run_chunk(run=run, first_id=ranges[0][0], last_id=ranges[0][1])
    run.refresh_from_db()
    assert (run.status, run.chunks_done, run.progress_percent) == ("succeeded", 3, 100)
    expected = backtest_run(
        days=60, seed=4, overrides={"service_level": "0.97"}, today=TODAY
    )
    assert run.results == expected
    assert run.results["parameters"]["z"] == "1.88"
    assert not BacktestChunk.objects.exists()


def test_a_run_with_nothing_to_replay_finishes_at_once():
    run = backtest_request(days=30)
    assert backtest_start(run=run) == []
    run.refresh_from_db()
    assert run.status == "succeeded" and run.results["items"] == 0


@pytest.mark.parametrize("who", ["anonymous", "staff", "superuser"])
def test_api_starts_a_backtest_for_superusers_only(
    who, staff_user, superuser, django_capture_on_commit_callbacks
):
    client = APIClient()
    user = {"anonymous": None, "staff": staff_user, "superuser": superuser}[who]
    if user:
        client.force_authenticate(user)
    body = {"days": 90, "overrides": {"min_safety_time_days": {"A": 3}}}
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/api/v1/backtests/", body, format="json")
    expected = {"anonymous": 401, "staff": 403, "superuser": 202}[who]
    assert response.status_code == expected
    if who == "superuser":
        data = response.json()
        run = Backtest.objects.get(pk=data["id"])
        assert (data["status"], run.days, run.overrides) == (
            "pending",
            90,
            {"min_safety_time_days": {"A": 3}},
        )
        detail = client.get(f"/api/v1/backtests/{run.pk}/")
        assert detail.status_code == 200 and detail.json()["results"] is None
    else:
        assert not Backtest.objects.exists()


def test_api_refuses_bad_parameters_with_field_errors(superuser):
    client = APIClient()
    client.force_authenticate(superuser)
    response = client.post(
        "/api/v1/backtests/",
        {"days": 3, "overrides": {"service_level": "1.5"}},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"days", "overrides"}
    response = client.post(
        "/api/v1/backtests/",
        {"overrides": {"delivery_interval_days": {"A": 0}}},
        format="json",
    )
    assert response.status_code == 400
    assert not Backtest.objects.exists()


def test_backtest_page_is_for_superusers(client, staff_user):
    client.force_login(staff_user)
    assert client.get("/backtests/").status_code == 403


@time_machine.travel(NOW, tick=False)
def test_backtest_page_starts_a_run_and_shows_results(
    admin_client_logged, django_capture_on_commit_callbacks
):
    client = admin_client_logged
    page = client.get("/backtests/")
    assert page.status_code == 200
    assert b"safety time minimum A" in page.content
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            "/backtests/",
            {"days": "60", "seed": "0", "items": "", "delivery_interval_B": "10"},
        )
    run = Backtest.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/backtests/{run.pk}/"
    )
    assert run.overrides == {"delivery_interval_days": {"B": 10}}
    pending = client.get(f"/backtests/{run.pk}/")
    assert b'http-equiv="refresh"' in pending.content

    make_items(3)
    run.results = backtest_run(days=60, today=TODAY)
    run.status = "succeeded"
    run.save()
    done = client.get(f"/backtests/{run.pk}/")
    body = done.content.decode()
    assert 'http-equiv="refresh"' not in body
    assert "<svg" in body and "Stock value against fill rate" in body
    assert 'data-testid="backtest-results"' in body and "class A" in body
    assert "<script" not in body
    one = client.get(f"/backtests/{run.pk}/", {"sku": "BT-1"}).content.decode()
    assert "Stock on hand, replayed" in one
    missing = client.get(f"/backtests/{run.pk}/", {"sku": "NOPE"}).content.decode()
    assert "NOPE is not an active item" in missing


@time_machine.travel(NOW, tick=False)
def test_one_item_replayed_again_matches_the_run():
    make_items(3)
    run = Backtest.objects.create(days=60, seed=2, today=TODAY)
    run.results = backtest_run(days=60, seed=2, today=TODAY)
    replayed = backtest_item_series(run=run, sku="BT-2")
    assert replayed["start"] == TODAY - timedelta(days=60)
    row = next(r for r in run.results["per_item"] if r["sku"] == "BT-2")
    for name in ("policy", "baseline", "actual"):
        days = replayed["series"][name]
        assert len(days) == 60
        assert sum(days) / 60 == pytest.approx(row[name]["avg_on_hand_units"], abs=1e-3)


def test_backtest_page_shows_form_errors(admin_client_logged):
    response = admin_client_logged.post(
        "/backtests/", {"days": "2", "seed": "0", "service_level": "2"}
    )
    assert response.status_code == 200
    assert b"invalid" in response.content
    assert not Backtest.objects.exists()


def test_tradeoff_chart_places_each_run_and_escapes_labels():
    from inventory_site.charts import tradeoff_chart

    kpis = {
        "policy": {"avg_on_hand_value": 100.0, "fill_rate": 0.95},
        "baseline": {"avg_on_hand_value": 200.0, "fill_rate": 0.99},
        "actual": {"avg_on_hand_value": 300.0, "fill_rate": 1.0},
    }
    svg = str(tradeoff_chart([("all", kpis), ("<A>", kpis)]))
    assert svg.count("<circle") == 6
    assert "&lt;A&gt;" in svg and "<A>" not in svg
    # 95 % is the lowest fill: ⌈(102 − 95 + 1)/4⌉ = 2, so 94, 96, …, 102 %
    assert ">94 %<" in svg and ">98 %<" in svg and ">102 %<" in svg
    assert "policy, all: on hand 100, fill 95.0 %" in svg


@time_machine.travel(NOW, tick=False)
def test_item_page_shows_the_replay_of_the_newest_run_that_covers_it(
    admin_client_logged,
):
    make_items(3)
    assert b"item-replay" not in admin_client_logged.get("/items/BT-1/").content
    covering = Backtest.objects.create(
        days=60, seed=2, today=TODAY, status="succeeded", results={"by_class": {}}
    )
    # A newer run limited to another SKU, and a newer one still running: neither
    # replayed BT-1 as finished.
    Backtest.objects.create(days=30, today=TODAY, status="succeeded", skus=["BT-2"])
    Backtest.objects.create(days=30, today=TODAY, status="running")
    body = admin_client_logged.get("/items/BT-1/").content.decode()
    assert 'data-testid="item-replay"' in body
    assert "Stock on hand, replayed" in body
    assert f'href="/backtests/{covering.pk}/?sku=BT-1"' in body
    assert "60 days to 10 Mar 2026" in body
    # What the page draws is the run's own replay of that item.
    replayed = backtest_item_series(run=covering, sku="BT-1")
    assert len(replayed["series"]["policy"]) == 60
    # An item the run cannot replay (no source, no demand) shows no section.
    ItemFactory(sku="BT-LONE")
    assert b"item-replay" not in admin_client_logged.get("/items/BT-LONE/").content
