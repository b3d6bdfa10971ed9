import os
import socket

import pytest

from tests.factories import SuperuserFactory, UserFactory

# The page and API scenarios (world, data, users), shared by tests/ and per-app tests.
pytest_plugins = ["tests.scenarios"]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` need PostgreSQL's own behaviour. On SQLite they are
    deselected (not skipped). ``make test`` runs one pass on ``DATABASE_URL``
    (SQLite by default), ``make test-postgres`` one on PostgreSQL; CI (``.ci/run``)
    runs both, so they run there."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    keep, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker("postgres") else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def service_available(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip on a laptop without the service; fail under CI=true (never skip)."""
    if service_available(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: a missing service is a failure)")
    pytest.skip(f"{message}; start it to run this test")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Every test starts with an empty cache (dashboard figures, locks)."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def redis_url():
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    require_service("Redis", host, int(port or 6379))
    return url


@pytest.fixture
def staff_user(db):
    return UserFactory(username="staff", is_staff=True)


@pytest.fixture
def superuser(db):
    return SuperuserFactory(username="admin", is_staff=True)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def admin_client_logged(client, superuser):
    client.force_login(superuser)
    return client
