"""A stored backtest fanned out over a real Celery worker on Redis equals the
single in-process run (chunks of 2 items, merged by the last chunk)."""

import time
import uuid
from datetime import timedelta
from decimal import Decimal as D

import pytest
import redis
from django.utils import timezone
from kombu import Connection

from items.services import MovementInput, movements_bulk_post
from replenishment.backtest_runner import backtest_run
from replenishment.models import Backtest
from replenishment.tasks import backtest_task
from tests.factories import ItemFactory, SupplierItemFactory
from tests.replenishment.test_celery_worker import (
    DEADLINE_SECONDS,
    start_worker,
    stop_worker,
)

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_chunked_backtest_on_a_real_worker_equals_the_single_run(
    redis_url, tmp_path, monkeypatch
):
    now = timezone.now()
    for n in range(5):
        item = ItemFactory(abc_class="ABC"[n % 3], policy="jit", annual_demand=D(0))
        SupplierItemFactory(item=item, quoted_lead_time_days=2 + n)
        per_day = D(1 + n % 3)
        moves = [
            MovementInput(item.pk, "receipt", per_day * 100, now - timedelta(days=91))
        ]
        moves += [
            MovementInput(item.pk, "issue", -per_day, now - timedelta(days=d))
            for d in range(90, 0, -1)
        ]
        movements_bulk_post(movements=moves)
    run = Backtest.objects.create(
        days=60, seed=9, overrides={"z": "2.00"}, today=timezone.localdate()
    )
    expected = backtest_run(days=60, seed=9, overrides={"z": "2.00"}, today=run.today)
    assert expected["items"] == 5

    queue = f"test-backtest-{uuid.uuid4().hex[:12]}"
    prefix = f"test-{queue}"
    monkeypatch.setenv("SUGGESTION_CHUNK_SIZE", "2")
    client = redis.Redis.from_url(redis_url)
    with open(tmp_path / "worker.log", "wb") as log:
        worker = start_worker(redis_url=redis_url, queue=queue, prefix=prefix, log=log)
        try:
            with Connection(redis_url) as broker:
                backtest_task.apply_async(args=[run.pk], queue=queue, connection=broker)
            deadline = time.monotonic() + DEADLINE_SECONDS
            while time.monotonic() < deadline:
                run.refresh_from_db()
                if run.status in ("succeeded", "failed"):
                    break
                assert worker.poll() is None, "the worker died"
                time.sleep(0.5)
        finally:
            stop_worker(worker)
            for key in client.scan_iter(f"*{queue}*"):
                client.delete(key)
            client.close()
    output = (tmp_path / "worker.log").read_text(errors="replace")
    assert run.status == "succeeded", output[-4000:]
    assert run.chunks_total == 3 and run.chunks_done == 3
    assert run.results == expected
