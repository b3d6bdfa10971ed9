"""The nightly chain end to end through a real Celery worker on Redis.

Starts ``celery worker`` as a subprocess against the test database (committed data:
``transactional_db``), with Redis as broker and as the cache that holds the locks,
sends ``nightly_planning_task`` as beat would, and waits for the chain's effects:
a succeeded classification run, a supplier score and a suggestion. Skips without
Redis on a laptop; fails under CI=true (the ``redis_url`` fixture).
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from decimal import Decimal as D
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.db import connection
from kombu import Connection

from inventory_site.db import is_postgresql
from items.models import ClassificationRun, Item
from replenishment.models import Suggestion
from replenishment.tasks import nightly_planning_task
from suppliers.models import SupplierScore
from tests.factories import ItemFactory, SupplierFactory, SupplierItemFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DEADLINE_SECONDS = 180


def database_url() -> str:
    """The test database this process uses, as a URL for the worker."""
    db = connection.settings_dict
    if not is_postgresql():
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{auth}@{host}/{db['NAME']}"


def start_worker(*, redis_url: str, queue: str, prefix: str, log):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.replenishment.worker_settings",
        "PYTHONPATH": str(BASE_DIR),
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": redis_url,
        "CACHE_URL": redis_url,
        "TEST_WORKER_QUEUE": queue,
        "TEST_WORKER_KEY_PREFIX": prefix,
    }
    command = [
        sys.executable, "-m", "celery", "-A", "inventory_site", "worker",
        "--pool=solo", "--concurrency=1", "-Q", queue, "--loglevel=INFO",
        "--without-heartbeat", "--without-gossip", "--without-mingle",
        "--hostname", f"{queue}@%h",
    ]  # fmt: skip
    return subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is not None:
        return
    worker.send_signal(signal.SIGTERM)  # warm shutdown
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=10)


def nightly_done() -> bool:
    return (
        ClassificationRun.objects.filter(status="succeeded").exists()
        and SupplierScore.objects.exists()
        and Suggestion.objects.open().exists()
    )


def test_nightly_chain_runs_on_a_real_worker(redis_url, tmp_path):
    pilot = SupplierFactory(code="PILOT", jit_pilot=True)
    stable = ItemFactory(sku="STABLE", unit_cost=D("4"), annual_demand=D("730"))
    SupplierItemFactory(item=stable, supplier=pilot)
    ItemFactory(sku="TAIL", unit_cost=D("1"), annual_demand=D("1000"))

    queue = f"test-nightly-{uuid.uuid4().hex[:12]}"
    prefix = f"test-{queue}"
    client = redis.Redis.from_url(redis_url)
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        worker = start_worker(redis_url=redis_url, queue=queue, prefix=prefix, log=log)
        try:
            with Connection(redis_url) as broker:
                nightly_planning_task.apply_async(queue=queue, connection=broker)
            deadline = time.monotonic() + DEADLINE_SECONDS
            while not nightly_done() and time.monotonic() < deadline:
                assert worker.poll() is None, "the worker died"
                time.sleep(0.5)
            done = nightly_done()
        finally:
            stop_worker(worker)
            for key in client.scan_iter(f"*{queue}*"):
                client.delete(key)
            locks = list(client.scan_iter(f"{prefix}:*"))
            for key in locks:
                client.delete(key)
            client.close()
    output = log_path.read_text(errors="replace")
    assert done, f"the nightly chain did not finish; worker log:\n{output[-4000:]}"

    run = ClassificationRun.objects.get()
    assert (run.status, run.items_total, run.items_changed) == ("succeeded", 2, 2)
    assert dict(Item.objects.values_list("sku", "abc_class")) == {
        "STABLE": "A",
        "TAIL": "C",
    }
    assert SupplierScore.objects.get().supplier == pilot
    suggestion = Suggestion.objects.open().get()
    assert suggestion.item == stable
    assert "replenishment.tasks.suggestions_generate_task" in output
    assert locks == [], "every step released its lock"


def test_chunked_suggestions_on_a_real_worker_equal_the_single_run(
    redis_url, tmp_path, monkeypatch
):
    """Generation fanned out as a Celery group of id ranges (two chunks of 4
    items each) gives exactly what one in-process run over all items gives."""
    from datetime import timedelta

    from django.utils import timezone

    from items.services import MovementInput, movements_bulk_post
    from replenishment.generation import suggestions_generate
    from replenishment.tasks import suggestions_generate_task

    now = timezone.now()
    for n in range(14):
        item = ItemFactory(abc_class="AB"[n % 2], policy="jit", annual_demand=D(0))
        SupplierItemFactory(item=item, order_multiple=D(1 + n % 3))
        per_day = D(1 + n % 5)
        moves = [
            MovementInput(item.pk, "receipt", per_day * 40, now - timedelta(days=31))
        ]
        moves += [
            MovementInput(item.pk, "issue", -per_day, now - timedelta(days=d))
            for d in range(30, 0, -1)
        ]
        movements_bulk_post(movements=moves)
    today = timezone.localdate()
    suggestions_generate(today=today)
    expected = sorted(
        Suggestion.objects.open().values_list(
            "item_id", "source_id", "quantity", "order_by"
        )
    )
    assert len(expected) >= 5
    Suggestion.objects.all().delete()

    queue = f"test-chunks-{uuid.uuid4().hex[:12]}"
    prefix = f"test-{queue}"
    monkeypatch.setenv("SUGGESTION_CHUNK_SIZE", "4")
    monkeypatch.setenv("SUGGESTION_TASK_CHUNKS", "2")
    client = redis.Redis.from_url(redis_url)

    def current():
        return sorted(
            Suggestion.objects.open().values_list(
                "item_id", "source_id", "quantity", "order_by"
            )
        )

    with open(tmp_path / "worker.log", "wb") as log:
        worker = start_worker(redis_url=redis_url, queue=queue, prefix=prefix, log=log)
        try:
            with Connection(redis_url) as broker:
                suggestions_generate_task.apply_async(
                    args=[today.isoformat()], queue=queue, connection=broker
                )
            deadline = time.monotonic() + DEADLINE_SECONDS
            while current() != expected and time.monotonic() < deadline:
                assert worker.poll() is None, "the worker died"
                time.sleep(0.5)
        finally:
            stop_worker(worker)
            for key in client.scan_iter(f"*{queue}*"):
                client.delete(key)
            for key in client.scan_iter(f"{prefix}:*"):
                client.delete(key)
            client.close()
    output = (tmp_path / "worker.log").read_text(errors="replace")
    assert current() == expected, output[-4000:]
    # 14 items: 4 chunks of ≤ 4, 2 tasks of 2 chunks (received and succeeded)
    assert output.count("suggestions_generate_chunk_task") >= 2


def test_two_beats_at_once_run_the_nightly_job_once(redis_url, tmp_path):
    """Two beats send the nightly task for the same night; a real worker runs the
    chain once (one classification run), the second message is skipped."""
    stable = ItemFactory(sku="ONE", unit_cost=D("4"), annual_demand=D("730"))
    SupplierItemFactory(item=stable)
    queue = f"test-beats-{uuid.uuid4().hex[:12]}"
    prefix = f"test-{queue}"
    client = redis.Redis.from_url(redis_url)
    with open(tmp_path / "worker.log", "wb") as log:
        worker = start_worker(redis_url=redis_url, queue=queue, prefix=prefix, log=log)
        try:
            with Connection(redis_url) as broker:
                for _ in range(2):  # two beats, same night
                    nightly_planning_task.apply_async(
                        args=["2026-11-25"], queue=queue, connection=broker
                    )
            deadline = time.monotonic() + DEADLINE_SECONDS
            while not nightly_done() and time.monotonic() < deadline:
                assert worker.poll() is None, "the worker died"
                time.sleep(0.5)
            time.sleep(3)  # room for a second chain, were one queued
        finally:
            stop_worker(worker)
            for key in client.scan_iter(f"*{queue}*"):
                client.delete(key)
            for key in client.scan_iter(f"{prefix}:*"):
                client.delete(key)
            client.close()
    output = (tmp_path / "worker.log").read_text(errors="replace")
    assert nightly_done(), output[-4000:]
    assert ClassificationRun.objects.count() == 1, output[-4000:]
    assert "already queued; skipped" in output
