"""Jobs under faults (issue 13, finding 7): a second ``suggest`` while one runs,
a SIGKILLed ``reclassify``, a run left "running", a cache that cannot be reached.

The subprocess tests share a file-based cache with this process (the locks live
there) and the test database (committed data: ``transaction=True``)."""

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from decimal import Decimal as D
from io import StringIO
from pathlib import Path
from unittest.mock import patch

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache, caches
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from inventory_site import locks
from inventory_site.locks import KEY_PREFIX, LockResult
from items.models import ClassificationRun, Item
from replenishment import tasks
from replenishment.models import Suggestion
from replenishment.services import STALE_RUN_ERROR
from tests.factories import ItemFactory, SupplierItemFactory
from tests.replenishment.test_celery_worker import database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
RECLASSIFY_KEY = KEY_PREFIX + tasks.RECLASSIFY_LOCK
SUGGESTIONS_KEY = KEY_PREFIX + tasks.SUGGESTIONS_LOCK


@pytest.fixture
def planned_item(db):
    item = ItemFactory(annual_demand=D("365"), abc_class="A", policy="jit")
    SupplierItemFactory(item=item)
    return item


def unreachable(*args, **kwargs):
    return LockResult(False, locks.UNAVAILABLE, "ConnectionError: refused")


# --- the lock expires with the time limit ---


def test_the_lock_expires_a_minute_after_the_task_time_limit():
    assert settings.NIGHTLY_LOCK_EXPIRY == settings.NIGHTLY_TASK_TIME_LIMIT + 60


# --- suggest under the nightly job's lock ---


def test_suggest_refuses_while_the_nightly_job_holds_the_lock(planned_item):
    cache.add(SUGGESTIONS_KEY, "nightly", timeout=60)
    with pytest.raises(CommandError, match="a run is in progress"):
        call_command("suggest", stdout=StringIO())
    assert not Suggestion.objects.exists()
    assert cache.get(SUGGESTIONS_KEY) == "nightly"  # left alone
    cache.delete(SUGGESTIONS_KEY)
    out = StringIO()
    call_command("suggest", stdout=out)
    assert "1 open" in out.getvalue()


def test_suggest_releases_its_locks(planned_item):
    call_command("suggest", stdout=StringIO())
    assert cache.get(SUGGESTIONS_KEY) is None
    assert cache.get(KEY_PREFIX + tasks.SUPPLIER_SCORES_LOCK) is None


def test_suggest_overlapping_a_nightly_chunk_says_so_without_a_traceback(
    planned_item, monkeypatch
):
    from django.db import IntegrityError

    def collide(**kwargs):
        raise IntegrityError("UNIQUE constraint failed: one_open_suggestion")

    monkeypatch.setattr(
        "replenishment.management.commands.suggest.suggestions_generate", collide
    )
    with pytest.raises(CommandError, match="a run is in progress"):
        call_command("suggest", stdout=StringIO())


def test_suggest_does_not_run_when_the_lock_cannot_be_taken(planned_item):
    with (
        patch.object(locks, "lock_add", side_effect=unreachable),
        pytest.raises(CommandError, match="cache is unreachable"),
    ):
        call_command("suggest", stdout=StringIO())
    assert not Suggestion.objects.exists()


def test_reclassify_does_not_run_when_the_lock_cannot_be_taken(db):
    ItemFactory(unit_cost=D("1"), annual_demand=D("10"))
    with patch.object(locks, "lock_add", side_effect=unreachable):
        with pytest.raises(CommandError, match="cache is unreachable"):
            call_command("reclassify", stdout=StringIO())
        result = tasks.reclassify_task()
    assert result["status"] == "skipped" and result["reason"] == "unavailable"
    assert set(Item.objects.values_list("abc_class", flat=True)) == {""}
    errors = set(ClassificationRun.objects.values_list("status", "error"))
    assert all(status == "skipped" for status, _ in errors)
    assert all("cache is unreachable" in error for _, error in errors)


def test_nightly_entry_point_queues_nothing_when_the_cache_is_unreachable():
    with (
        patch.object(tasks, "lock_add", side_effect=unreachable),
        patch.object(tasks, "nightly_chain") as chain_factory,
    ):
        result = tasks.nightly_planning_task("2026-11-25")
    assert result["status"] == "skipped" and result["reason"] == "unavailable"
    chain_factory.return_value.apply_async.assert_not_called()


# --- stale runs ---


def running_run(*, minutes_ago: int) -> ClassificationRun:
    return ClassificationRun.objects.create(
        status="running", started_at=timezone.now() - timedelta(minutes=minutes_ago)
    )


def test_a_run_whose_lock_is_gone_is_marked_failed_at_the_next_start(db):
    ItemFactory(unit_cost=D("1"), annual_demand=D("10"))
    killed = running_run(minutes_ago=3)  # lock gone: its process died
    result = tasks.reclassify_task()
    assert result["status"] == "succeeded"
    killed.refresh_from_db()
    assert (killed.status, killed.error) == ("failed", STALE_RUN_ERROR)
    assert killed.finished_at is not None


def test_a_run_past_the_time_limit_is_failed_even_while_the_lock_is_held(db):
    limit = settings.NIGHTLY_TASK_TIME_LIMIT // 60
    old = running_run(minutes_ago=limit + 1)
    live = running_run(minutes_ago=1)
    cache.add(RECLASSIFY_KEY, "someone", timeout=60)
    assert tasks.reclassify_task()["status"] == "skipped"
    old.refresh_from_db()
    live.refresh_from_db()
    assert old.status == "failed"
    assert live.status == "running"  # may well be alive: it holds the lock


def test_the_reclassify_command_fails_stale_runs_and_says_so(db):
    ItemFactory(unit_cost=D("1"), annual_demand=D("10"))
    killed = running_run(minutes_ago=5)
    err = StringIO()
    call_command("reclassify", stdout=StringIO(), stderr=err)
    assert "Marked 1 interrupted classification run(s) failed." in err.getvalue()
    killed.refresh_from_db()
    assert killed.status == "failed"


def test_a_command_past_the_time_limit_stops_and_fails_its_run(db, monkeypatch):
    from replenishment import classification

    ItemFactory(unit_cost=D("1"), annual_demand=D("10"))
    monkeypatch.setattr(settings, "NIGHTLY_TASK_TIME_LIMIT", 1)
    real = classification._classify

    def slow(**kwargs):
        counts = real(**kwargs)
        time.sleep(3)
        return counts

    monkeypatch.setattr(classification, "_classify", slow)
    with pytest.raises(CommandError, match="time limit of 1 s"):
        call_command("reclassify", stdout=StringIO())
    run = ClassificationRun.objects.get()
    assert run.status == "failed" and "time limit" in run.error
    assert set(Item.objects.values_list("abc_class", flat=True)) == {""}
    assert cache.get(RECLASSIFY_KEY) is None


# --- real processes ---

SLOW_RECLASSIFY = textwrap.dedent(
    """
    import time, django
    django.setup()
    from django.core.management import call_command
    from replenishment import classification
    real = classification._classify
    def slow(**kwargs):
        counts = real(**kwargs)
        time.sleep(60)  # inside the run's transaction
        return counts
    classification._classify = slow
    call_command("reclassify")
    """
)


@pytest.fixture
def shared_cache(tmp_path):
    location = tmp_path / "cache"
    config = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(location),
        }
    }
    with override_settings(CACHES=config):
        yield f"filecache://{location}"
        caches["default"].clear()


def app_env(cache_url: str, **extra) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "inventory_site.settings.test",
        "PYTHONPATH": str(BASE_DIR),
        "DATABASE_URL": database_url(),
        "CACHE_URL": cache_url,
        "LOG_FORMAT": "plain",
        **extra,
    }
    # The commands compare lock expiries with this process's clock: under
    # libfaketime they keep LD_PRELOAD (and FAKETIME_DONT_RESET=1 lets them
    # continue the suite's faked time instead of starting it again).
    return env


def manage(*args, env, timeout=120):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.django_db(transaction=True)
def test_a_second_suggest_process_says_a_run_is_in_progress(shared_cache, tmp_path):
    item = ItemFactory(annual_demand=D("365"), abc_class="A", policy="jit")
    SupplierItemFactory(item=item)
    cache.add(SUGGESTIONS_KEY, "the first suggest", timeout=60)
    second = manage("suggest", env=app_env(shared_cache))
    assert second.returncode == 1
    assert "a run is in progress" in second.stderr
    assert "Traceback" not in second.stderr + second.stdout
    assert not Suggestion.objects.exists()


SLOW_SUGGEST = textwrap.dedent(
    """
    import os, time, django
    django.setup()
    from django.core.management import call_command
    from replenishment.management.commands import suggest
    real = suggest.suggestions_generate
    def slow(**kwargs):  # hold the locks until the test says go (at most 90 s)
        deadline = time.monotonic() + 90
        while not os.path.exists(os.environ["TEST_GO_FILE"]):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        return real(**kwargs)
    suggest.suggestions_generate = slow
    call_command("suggest")
    """
)


@pytest.mark.django_db(transaction=True)
def test_two_suggest_processes_at_once_one_runs_the_other_says_so(
    shared_cache, tmp_path
):
    """The reproduction: two ``manage.py suggest`` at the same time. The second
    crashed with an IntegrityError traceback; now it waits for nothing, writes
    nothing and says a run is in progress, and the first one finishes."""
    for _ in range(3):
        item = ItemFactory(annual_demand=D("365"), abc_class="A", policy="jit")
        SupplierItemFactory(item=item)
    go = tmp_path / "go"
    env = app_env(shared_cache, TEST_GO_FILE=str(go))
    first = subprocess.Popen(
        [sys.executable, "-c", SLOW_SUGGEST],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while cache.get(SUGGESTIONS_KEY) is None:  # the first holds the lock
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the first suggest never started"
            time.sleep(0.1)
        second = manage("suggest", env=env)
        go.touch()
        out, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
    assert second.returncode == 1
    assert "a run is in progress" in second.stderr
    assert "Traceback" not in second.stderr + second.stdout
    assert first.returncode == 0, err
    assert "3 new suggestions" in out and "Traceback" not in err
    assert Suggestion.objects.open().count() == 3
    assert cache.get(SUGGESTIONS_KEY) is None


@pytest.mark.django_db(transaction=True)
def test_a_sigkilled_reclassify_blocks_only_until_its_time_limit(shared_cache):
    """The real fault: ``reclassify`` killed with SIGKILL in the middle of its
    run leaves its lock and a "running" run. The lock expires a minute after the
    time limit (not hours later); then the next run marks the dead one failed
    and classifies."""
    ItemFactory(sku="BIG", unit_cost=D("1"), annual_demand=D("700"))
    ItemFactory(sku="SMALL", unit_cost=D("1"), annual_demand=D("300"))
    env = app_env(shared_cache, NIGHTLY_TASK_TIME_LIMIT="120")
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_RECLASSIFY],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not ClassificationRun.objects.filter(status="running").exists():
            assert process.poll() is None, process.stdout.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the run never started"
            time.sleep(0.2)
        started = time.time()
        time.sleep(0.5)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        process.stdout.close()

    killed = ClassificationRun.objects.get()
    assert killed.status == "running"
    assert set(Item.objects.values_list("abc_class", flat=True)) == {""}
    # The lock is still there, with an expiry of time limit + 60 s.
    backend = caches["default"]
    path = backend._key_to_file(RECLASSIFY_KEY)
    with open(path, "rb") as stored:
        expires_at = pickle.load(stored)
    assert started < expires_at <= started + 120 + 60 + 5
    blocked = manage("reclassify", env=env)
    assert blocked.returncode == 1 and "in progress" in blocked.stderr
    assert "Traceback" not in blocked.stderr

    with time_machine.travel(expires_at + 1, tick=False):
        assert cache.get(RECLASSIFY_KEY) is None  # expired
        out = StringIO()
        call_command("reclassify", stdout=out)
    killed.refresh_from_db()
    assert (killed.status, killed.error) == ("failed", STALE_RUN_ERROR)
    assert "ABC: A 1, B 0, C 1" in out.getvalue()
    assert ClassificationRun.objects.filter(status="succeeded").count() == 1
