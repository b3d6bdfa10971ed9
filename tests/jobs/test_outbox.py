"""With Redis stopped, requests and stock movements keep working, enqueueing does
not hang, and what could not be sent is sent once Redis is back.

Runs against a real redis-server this test starts, stops and restarts on a free
port (skips on a laptop without redis-server, fails under CI=true)."""

import os
import shutil
import socket
import subprocess
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import redis

from inventory_site.celery import app
from items.services import stock_issue, stock_receive
from jobs.models import Job, JobStatus
from jobs.services import job_enqueue, jobs_send_pending
from tests.conftest import IN_CI
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self, tmp_path):
        self.port = free_port()
        self.dir = tmp_path
        self.process = None

    def start(self) -> None:
        # redis-server (jemalloc) cannot start under libfaketime: the suite may
        # run under it to test other dates, the server need not.
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
            env=env,
        )  # fmt: skip
        client = redis.Redis(port=self.port)
        for _ in range(50):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def queue_length(self) -> int:
        return redis.Redis(port=self.port).llen("celery")


def reset_broker_pools() -> None:
    """Make the Celery app connect to the (changed) broker URL afresh."""
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def own_redis(tmp_path):
    if shutil.which("redis-server") is None:
        if IN_CI:
            pytest.fail("redis-server is not installed (CI=true: a failure)")
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    original = (app.conf.broker_url, app.conf.broker_transport_options)
    app.conf.broker_url = f"redis://127.0.0.1:{server.port}/0"
    app.conf.broker_transport_options = {
        "socket_connect_timeout": 1,
        "socket_timeout": 5,
    }
    reset_broker_pools()
    yield server
    app.conf.broker_url, app.conf.broker_transport_options = original
    reset_broker_pools()
    if server.process.poll() is None:
        server.stop()


def test_broker_outage(own_redis, django_capture_on_commit_callbacks, staff_client):
    with django_capture_on_commit_callbacks(execute=True):
        first = job_enqueue(task_name="jobs.tasks.jobs_flush_task")
    first.refresh_from_db()
    assert first.status == JobStatus.SENT
    assert own_redis.queue_length() == 1

    own_redis.stop()
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        second = job_enqueue(task_name="jobs.tasks.jobs_flush_task")
    assert time.monotonic() - started < 2.0
    second.refresh_from_db()
    assert second.status == JobStatus.PENDING and second.attempts == 1
    assert second.last_error

    # pages and stock movements do not need the broker
    item = ItemFactory()
    stock_receive(item=item, quantity=Decimal("3"))
    stock_issue(item=item, quantity=Decimal("1"))
    assert staff_client.get("/").status_code == 200
    assert jobs_send_pending(older_than=timedelta(0)) == 0

    own_redis.start()  # same port, empty
    assert jobs_send_pending(older_than=timedelta(0)) == 1
    second.refresh_from_db()
    assert second.status == JobStatus.SENT
    assert own_redis.queue_length() == 1
    assert Job.objects.filter(status=JobStatus.PENDING).count() == 0
