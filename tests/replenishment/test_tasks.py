"""Nightly tasks, their schedule, limits and lock; the reclassify command. The
tasks run in-process here (their bodies are plain functions); the real worker path
is in test_celery_worker.py."""

import json
import os
import subprocess
import sys
import time
from decimal import Decimal as D
from io import StringIO
from pathlib import Path
from unittest.mock import patch

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone

from inventory_site.celery import app
from inventory_site.locks import KEY_PREFIX, job_lock, job_lock_held
from items.models import ClassificationRun, Item
from replenishment import classification, tasks
from replenishment.models import Suggestion
from suppliers.models import SupplierScore
from tests.factories import ItemFactory, SupplierItemFactory

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent.parent
RECLASSIFY_KEY = KEY_PREFIX + tasks.RECLASSIFY_LOCK


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def two_items():
    ItemFactory(sku="BIG", unit_cost=D("1"), annual_demand=D("700"))
    ItemFactory(sku="SMALL", unit_cost=D("1"), annual_demand=D("300"))


# --- schedule, limits, registration ---


def test_beat_runs_the_nightly_task_at_two_site_time():
    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["nightly-planning"]
    assert entry["task"] == "replenishment.tasks.nightly_planning_task"
    assert entry["task"] in app.tasks
    assert entry["schedule"] == crontab(hour=2, minute=0)
    assert app.conf.timezone == settings.TIME_ZONE


def test_nightly_limits_nest_and_only_the_steps_ack_late():
    assert (
        settings.NIGHTLY_TASK_SOFT_TIME_LIMIT
        < settings.NIGHTLY_TASK_TIME_LIMIT
        < settings.NIGHTLY_LOCK_EXPIRY
        < settings.BROKER_VISIBILITY_TIMEOUT
    )
    steps = [
        tasks.reclassify_task,
        tasks.supplier_scores_refresh_task,
        tasks.suggestions_generate_task,
    ]
    for task in steps:
        assert task.acks_late is True
        assert task.time_limit == settings.NIGHTLY_TASK_TIME_LIMIT
        assert task.soft_time_limit == settings.NIGHTLY_TASK_SOFT_TIME_LIMIT
    assert app.conf.task_acks_late is False
    assert tasks.nightly_planning_task.acks_late is False


def test_redis_broker_gets_the_visibility_timeout():
    code = (
        "import django; django.setup();"
        "from inventory_site.celery import app; import json;"
        "print(json.dumps(app.conf.broker_transport_options))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "inventory_site.settings.test",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15",
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    options = json.loads(out.strip().splitlines()[-1])
    assert options["visibility_timeout"] == settings.BROKER_VISIBILITY_TIMEOUT


def test_nightly_chain_is_reclassify_then_scores_then_suggestions():
    assert [step.task for step in tasks.nightly_chain().tasks] == [
        "replenishment.tasks.reclassify_task",
        "replenishment.tasks.supplier_scores_refresh_task",
        "replenishment.tasks.suggestions_generate_task",
    ]


def test_nightly_planning_task_queues_the_chain(monkeypatch):
    queued = []

    class Chain:
        def apply_async(self):
            queued.append(True)

    monkeypatch.setattr(tasks, "nightly_chain", Chain)
    tasks.nightly_planning_task()
    assert queued == [True]


# --- the steps ---


def test_reclassify_task_classifies_and_records_a_run(two_items):
    result = tasks.reclassify_task()
    run = ClassificationRun.objects.get()
    assert result == {"run": run.pk, "status": "succeeded", "changed": 2}
    assert dict(Item.objects.values_list("sku", "abc_class")) == {
        "BIG": "A",
        "SMALL": "C",
    }
    assert not job_lock_held(tasks.RECLASSIFY_LOCK)


def test_reclassify_task_continues_a_pending_run(two_items):
    pending = ClassificationRun.objects.create()
    tasks.reclassify_task(pending.pk)
    pending.refresh_from_db()
    assert pending.status == "succeeded"
    assert ClassificationRun.objects.count() == 1


def test_the_lock_stops_a_concurrent_second_run(two_items, monkeypatch):
    """A second run starting while the first holds the lock (a second beat, a
    redelivered message) is skipped and recorded; the first one finishes."""
    real = tasks.items_reclassify
    inner = []

    def first_run(**kwargs):
        inner.append(tasks.reclassify_task())  # arrives meanwhile
        return real(**kwargs)

    monkeypatch.setattr(tasks, "items_reclassify", first_run)
    outer = tasks.reclassify_task()
    assert inner[0]["status"] == "skipped"
    assert outer["status"] == "succeeded"
    statuses = dict(ClassificationRun.objects.values_list("pk", "status"))
    assert statuses == {inner[0]["run"]: "skipped", outer["run"]: "succeeded"}
    # released afterwards: the next night runs
    monkeypatch.setattr(tasks, "items_reclassify", real)
    assert tasks.reclassify_task()["status"] == "succeeded"


def test_a_lock_held_elsewhere_is_left_alone(two_items):
    cache.add(RECLASSIFY_KEY, "another-worker", timeout=60)
    assert tasks.reclassify_task()["status"] == "skipped"
    assert cache.get(RECLASSIFY_KEY) == "another-worker"
    assert set(Item.objects.values_list("abc_class", flat=True)) == {""}


def test_job_lock_releases_only_its_own_lock():
    with job_lock("demo") as acquired:
        assert acquired
        with job_lock("demo") as again:
            assert not again
        cache.set(KEY_PREFIX + "demo", "someone-else")  # ours expired, taken over
    assert cache.get(KEY_PREFIX + "demo") == "someone-else"


def test_job_lock_expires():
    with job_lock("short", expiry=1) as acquired:
        assert acquired
        time.sleep(1.2)
        with job_lock("short") as again:
            assert again


def test_a_failing_step_is_recorded_and_does_not_stop_the_chain(two_items, monkeypatch):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(classification, "classification_counts", broken)
    result = tasks.reclassify_task()
    assert result["status"] == "failed"
    run = ClassificationRun.objects.get()
    assert (run.status, run.error) == ("failed", "RuntimeError: boom")
    assert not job_lock_held(tasks.RECLASSIFY_LOCK)


def test_supplier_scores_and_suggestion_steps_call_their_services():
    item = ItemFactory(abc_class="A", policy="jit", annual_demand=D("730"))
    source = SupplierItemFactory(item=item)
    assert tasks.supplier_scores_refresh_task() == {
        "status": "succeeded",
        "suppliers": 1,
    }
    assert SupplierScore.objects.filter(supplier=source.supplier).exists()
    today = timezone.localdate().isoformat()
    result = tasks.suggestions_generate_chunk_task(item.pk, item.pk, today)
    assert (result["status"], result["created"]) == ("succeeded", 1)
    assert Suggestion.objects.open().get().item == item
    cache.add(KEY_PREFIX + tasks.SUGGESTIONS_LOCK, "busy", timeout=60)
    assert tasks.suggestions_generate_task() == {"status": "skipped"}


def test_suggestions_fan_out_one_chunk_task_per_id_range(settings):
    settings.SUGGESTION_CHUNK_SIZE = 2
    settings.SUGGESTION_TASK_CHUNKS = 1
    items = [ItemFactory() for _ in range(5)]
    with patch.object(tasks, "group") as group:
        result = tasks.suggestions_generate_task("2026-11-24")
    assert result == {"status": "queued", "chunks": 3}
    signatures = list(group.call_args.args[0])
    ids = [i.pk for i in items]
    assert [s.args for s in signatures] == [
        (ids[0], ids[1], "2026-11-24"),
        (ids[2], ids[3], "2026-11-24"),
        (ids[4], ids[4], "2026-11-24"),
    ]
    assert {s.task for s in signatures} == {
        "replenishment.tasks.suggestions_generate_chunk_task"
    }
    group.return_value.apply_async.assert_called_once()


def test_a_task_plans_several_chunks_of_its_range(settings):
    """Chunks of 2 items, 2 chunks per task: 5 items make tasks over items 1–4
    and 5; the first task plans its two chunks (4 items), nothing beyond."""
    settings.SUGGESTION_CHUNK_SIZE = 2
    settings.SUGGESTION_TASK_CHUNKS = 2
    items = [
        ItemFactory(abc_class="A", policy="jit", annual_demand=D("730"))
        for _ in range(5)
    ]
    for item in items:
        SupplierItemFactory(item=item)
    ids = [i.pk for i in items]
    with patch.object(tasks, "group") as group:
        assert tasks.suggestions_generate_task("2026-11-24")["chunks"] == 2
    assert [s.args for s in group.call_args.args[0]] == [
        (ids[0], ids[3], "2026-11-24"),
        (ids[4], ids[4], "2026-11-24"),
    ]
    result = tasks.suggestions_generate_chunk_task(ids[0], ids[3], "2026-11-24")
    assert (result["items"], result["created"]) == (4, 4)
    assert (
        sorted(Suggestion.objects.open().values_list("item_id", flat=True)) == (ids[:4])
    )


# --- the command ---


def test_reclassify_command_prints_counts_and_changes(two_items):
    out = StringIO()
    call_command("reclassify", stdout=out)
    text = out.getvalue()
    assert "Classified 2 items" in text
    assert "2 changed class or policy" in text
    assert "ABC: A 1, B 0, C 1" in text
    assert "XYZ: X 0, Y 0, Z 0, unknown 2" in text
    assert "Policy: jit 0, reorder_point 1, min_max 1" in text
    again = StringIO()
    call_command(
        "reclassify", "--a-threshold", "100", "--b-threshold", "100", stdout=again
    )
    assert "1 changed class or policy" in again.getvalue()
    assert "ABC: A 2, B 0, C 0" in again.getvalue()


def test_reclassify_command_refuses_while_a_run_holds_the_lock(two_items):
    cache.add(RECLASSIFY_KEY, "nightly", timeout=60)
    with pytest.raises(CommandError, match="in progress"):
        call_command("reclassify", stdout=StringIO())
    assert ClassificationRun.objects.get().status == "skipped"


def test_reclassify_command_reports_bad_thresholds():
    with pytest.raises(CommandError, match="thresholds"):
        call_command("reclassify", "--a-threshold", "99", "--b-threshold", "90")


def test_two_beats_queue_the_nightly_chain_once_per_night():
    with patch.object(tasks, "nightly_chain") as chain_factory:
        first = tasks.nightly_planning_task("2026-11-25")
        second = tasks.nightly_planning_task("2026-11-25")
        next_night = tasks.nightly_planning_task("2026-11-26")
    assert (first["status"], second["status"], next_night["status"]) == (
        "queued",
        "skipped",
        "queued",
    )
    assert chain_factory.return_value.apply_async.call_count == 2
