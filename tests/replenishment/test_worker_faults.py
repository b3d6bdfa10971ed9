"""A worker killed (SIGKILL) in the middle of the nightly classification leaves no
half state, and the run completes on another worker: real processes, real Redis.

The worker runs with short limits (time limit 20 s < lock expiry 25 s < Redis
visibility timeout 30 s) and a classification that lingers inside its transaction;
the test kills the whole worker while the run is in progress, checks that nothing
of it was written, then starts a fresh worker: Redis hands the unacknowledged
message (acks_late) over once the visibility timeout passes, and the same run
finishes."""

import os
import signal
import time
import uuid
from decimal import Decimal as D

import pytest
import redis
from kombu import Connection

from items.models import ClassificationRun, Item, ItemClassChange
from replenishment.tasks import reclassify_task
from tests.factories import ItemFactory
from tests.replenishment.test_celery_worker import start_worker, stop_worker

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

LIMITS = {
    "NIGHTLY_TASK_TIME_LIMIT": "20",
    "NIGHTLY_LOCK_EXPIRY": "25",
    "BROKER_VISIBILITY_TIMEOUT": "30",
    "BROKER_RESTORE_INTERVAL": "2",
    "BROKER_RESTORE_THROTTLE": "1",
}


def wait_for(condition, seconds: float, worker=None) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        if worker is not None:
            assert worker.poll() is None, "the worker died"
        time.sleep(0.3)
    return condition()


def test_killed_worker_leaves_no_half_state_and_the_run_completes(
    redis_url, tmp_path, monkeypatch
):
    for n in range(30):
        ItemFactory(unit_cost=D(1 + n), annual_demand=D(10 * (30 - n)))
    run = ClassificationRun.objects.create()
    queue = f"test-faults-{uuid.uuid4().hex[:12]}"
    prefix = f"test-{queue}"
    for name, value in LIMITS.items():
        monkeypatch.setenv(name, value)
    client = redis.Redis.from_url(redis_url)
    try:
        monkeypatch.setenv("TEST_SLOW_CLASSIFY_SECONDS", "15")
        with open(tmp_path / "first.log", "wb") as log:
            first = start_worker(
                redis_url=redis_url, queue=queue, prefix=prefix, log=log
            )
            try:
                with Connection(redis_url) as broker:
                    reclassify_task.apply_async(
                        args=[run.pk], queue=queue, connection=broker
                    )
                running = wait_for(
                    lambda: (
                        ClassificationRun.objects.get(pk=run.pk).status == "running"
                    ),
                    60,
                    first,
                )
                assert running, (tmp_path / "first.log").read_text()[-3000:]
                time.sleep(1)  # well inside the lingering transaction
                os.killpg(first.pid, signal.SIGKILL)
                first.wait(timeout=10)
            finally:
                stop_worker(first)

        # nothing of the interrupted run was written
        assert set(Item.objects.values_list("abc_class", flat=True)) == {""}
        assert not ItemClassChange.objects.exists()

        monkeypatch.setenv("TEST_SLOW_CLASSIFY_SECONDS", "0")
        with open(tmp_path / "second.log", "wb") as log:
            second = start_worker(
                redis_url=redis_url, queue=queue, prefix=prefix, log=log
            )
            try:
                done = wait_for(
                    lambda: (
                        ClassificationRun.objects.get(pk=run.pk).status == "succeeded"
                    ),
                    90,
                    second,
                )
            finally:
                stop_worker(second)
        output = (tmp_path / "second.log").read_text(errors="replace")
        assert done, output[-4000:]
        run.refresh_from_db()
        assert run.items_total == 30 and run.items_changed == 30
        assert Item.objects.filter(abc_class="").count() == 0
        assert ClassificationRun.objects.count() == 1
    finally:
        for key in client.scan_iter(f"*{queue}*"):
            client.delete(key)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()
