"""A Redis outage (issue 13, finding 8): with the cache and the broker on one
Redis, as the README's production layout has them, the app keeps working when
that Redis is stopped or hangs.

The test starts its own ``redis-server`` on a free port and the app under
gunicorn against the test database, with ``CACHE_URL`` and
``CELERY_BROKER_URL`` pointing at that Redis; it warms the caches, then stops
Redis (SIGKILL: connections refused) or freezes it (SIGSTOP: connections
accepted, nothing answered) and checks that the dashboard, logging in, the
token endpoint, posting stock movements (page and API), "Reclassify now" (which
queues a job) and an admin import answer correctly within 2 s each.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal as D
from pathlib import Path

import pytest
import redis
import requests
from django.contrib.auth import get_user_model

from items.models import ClassificationRun, Item, StockMovement
from jobs.models import Job, JobStatus
from tests.conftest import IN_CI
from tests.factories import ItemFactory
from tests.replenishment.test_celery_worker import database_url

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "a-long-test-password"
BUDGET_SECONDS = 2.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**extra) -> dict:
    env = {**os.environ, **extra}
    env.pop("LD_PRELOAD", None)  # the suite may run under libfaketime
    return env


class OwnRedis:
    def __init__(self, tmp_path: Path):
        self.port = free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
            stdout=subprocess.DEVNULL,
            env=clean_env(),
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_timeout=1)
        for _ in range(50):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def freeze(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGCONT)
        self.process.kill()
        self.process.wait(timeout=10)

    def close(self) -> None:
        if self.process.poll() is None:
            self.kill()


class App:
    """gunicorn serving the app against the test database and our Redis."""

    def __init__(self, redis_server: OwnRedis, log_path: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = clean_env(
            DJANGO_SETTINGS_MODULE="inventory_site.settings.test",
            PYTHONPATH=str(BASE_DIR),
            DATABASE_URL=database_url(),
            CACHE_URL=redis_server.url(1),
            CELERY_BROKER_URL=redis_server.url(0),
            # Plain http in the test: cookies without the Secure flag.
            DJANGO_DEBUG="1",
            LOG_FORMAT="plain",
        )
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "inventory_site.wsgi",
             "--bind", f"127.0.0.1:{self.port}", "--workers", "1",
             "--threads", "4", "--timeout", "60"],
            cwd=BASE_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.log_path = log_path
        try:
            self._wait_until_up()
        except BaseException:
            self.close()  # never leave a server behind
            raise

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            try:
                requests.get(self.base + "/healthz", timeout=30)
                return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start:\n" + self.output())

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture
def own_redis(tmp_path):
    if shutil.which("redis-server") is None:
        if IN_CI:
            pytest.fail("redis-server is not installed (CI=true: a failure)")
        pytest.skip("redis-server is not installed")
    server = OwnRedis(tmp_path)
    yield server
    server.close()


@pytest.fixture
def app(own_redis, tmp_path):
    server = App(own_redis, tmp_path / "gunicorn.log")
    yield server
    server.close()


def timed(call, *args, **kwargs):
    started = time.monotonic()
    response = call(*args, timeout=10, **kwargs)
    return response, time.monotonic() - started


def csrf_token(session: requests.Session, html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1)


def login(app: App, username: str, password: str = PASSWORD):
    session = requests.Session()
    page, seconds_get = timed(session.get, app.base + "/accounts/login/")
    assert page.status_code == 200
    response, seconds_post = timed(
        session.post,
        app.base + "/accounts/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": csrf_token(session, page.text),
        },
        headers={"Referer": app.base + "/accounts/login/"},
        allow_redirects=False,
    )
    return session, response, max(seconds_get, seconds_post)


@pytest.mark.parametrize("fault", ["stopped", "hanging"])
def test_pages_login_token_and_movements_work_without_redis(app, own_redis, fault):
    User = get_user_model()
    User.objects.create_user("staff", password=PASSWORD, is_staff=True)
    User.objects.create_superuser("admin", password=PASSWORD)
    item = ItemFactory(sku="BRG-1001", unit_cost=D("2.50"), on_hand=D("0"))

    # Redis up: warm the cache and the broker connection.
    staff, response, _ = login(app, "staff")
    assert response.status_code == 302, app.output()
    assert staff.get(app.base + "/", timeout=10).status_code == 200
    token = requests.post(
        app.base + "/api/v1/auth/token/",
        data={"username": "staff", "password": PASSWORD},
        timeout=10,
    )
    assert token.status_code == 200, token.text
    admin, response, _ = login(app, "admin")
    assert response.status_code == 302

    if fault == "stopped":
        own_redis.kill()
    else:
        own_redis.freeze()

    slow = []

    def check(label, seconds):
        print(f"{fault:8} {label:32} {seconds:5.2f} s")
        if seconds > BUDGET_SECONDS:
            slow.append(f"{label}: {seconds:.2f} s")

    # the dashboard
    page, seconds = timed(staff.get, app.base + "/")
    assert page.status_code == 200, app.output()
    assert 'data-testid="stock-value"' in page.text
    check("dashboard", seconds)

    # logging in (django-axes keeps its records in the database), also a
    # failed attempt
    _, response, seconds = login(app, "staff")
    assert response.status_code == 302, app.output()
    check("login", seconds)
    _, response, seconds = login(app, "staff", "wrong-password")
    assert response.status_code == 200 and "Please try again" in response.text
    check("failed login", seconds)

    # the token endpoint (its throttle counts in the cache)
    response, seconds = timed(
        requests.post,
        app.base + "/api/v1/auth/token/",
        data={"username": "staff", "password": PASSWORD},
    )
    assert response.status_code == 200, app.output()
    api_token = response.json()["token"]
    check("token", seconds)

    # a stock movement from the item page and one through the API
    item_page = staff.get(app.base + f"/items/{item.sku}/", timeout=10)
    assert item_page.status_code == 200
    response, seconds = timed(
        staff.post,
        app.base + f"/items/{item.sku}/movements/",
        data={
            "kind": "receipt",
            "quantity": "5",
            "note": "during the outage",
            "csrfmiddlewaretoken": csrf_token(staff, item_page.text),
        },
        headers={"Referer": app.base + f"/items/{item.sku}/"},
        allow_redirects=False,
    )
    assert response.status_code == 302, app.output()
    check("movement (page)", seconds)
    response, seconds = timed(
        requests.post,
        app.base + "/api/v1/movements/",
        json={"sku": item.sku, "kind": "issue", "quantity": "2"},
        headers={"Authorization": f"Token {api_token}"},
    )
    assert response.status_code == 201, response.text
    check("movement (API)", seconds)
    item.refresh_from_db()
    assert item.on_hand == D("3")
    assert StockMovement.objects.filter(item=item).count() == 2

    # Reclassify now: the job waits in the outbox, the request does not
    items_page = admin.get(app.base + "/items/", timeout=10)
    response, seconds = timed(
        admin.post,
        app.base + "/classification-runs/",
        data={"csrfmiddlewaretoken": csrf_token(admin, items_page.text)},
        headers={"Referer": app.base + "/items/"},
        allow_redirects=False,
    )
    assert response.status_code == 302, app.output()
    check("reclassify now (queues a job)", seconds)
    assert ClassificationRun.objects.get().status == "pending"
    job = Job.objects.get()
    assert job.status == JobStatus.PENDING and job.last_error

    # an admin import: preview, then confirm
    form = admin.get(app.base + "/admin/items/item/import/", timeout=10)
    assert form.status_code == 200
    csv = b"sku,name,unit_cost,annual_demand\nNEW-1,New item,1.50,100\n"
    preview, seconds = timed(
        admin.post,
        app.base + "/admin/items/item/import/",
        data={
            "format": "0",
            "resource": "0",
            "csrfmiddlewaretoken": csrf_token(admin, form.text),
        },
        files={"import_file": ("items.csv", csv, "text/csv")},
        headers={"Referer": app.base + "/admin/items/item/import/"},
    )
    assert preview.status_code == 200, app.output()
    check("admin import preview", seconds)
    hidden = dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', preview.text)
    )
    assert "import_file_name" in hidden, preview.text[-3000:]
    response, seconds = timed(
        admin.post,
        app.base + "/admin/items/item/process_import/",
        data=hidden,
        headers={"Referer": app.base + "/admin/items/item/import/"},
        allow_redirects=False,
    )
    assert response.status_code == 302, app.output()
    check("admin import confirm", seconds)
    assert Item.objects.filter(sku="NEW-1").exists()

    # the dashboard again, and the health check says what is wrong
    page, seconds = timed(staff.get, app.base + "/")
    assert page.status_code == 200
    check("dashboard again", seconds)
    health, seconds = timed(requests.get, app.base + "/healthz")
    assert health.status_code == 503 and health.json()["broker"].startswith("error")
    check("healthz", seconds)

    assert not slow, slow
    assert "Traceback" not in app.output()
