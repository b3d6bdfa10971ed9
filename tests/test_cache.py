"""The Redis cache fails open for pages and closed for locks; the admin import
keeps its file on disk while the cache is down (issue 13, finding 8). The real
outage, with a real Redis stopped and frozen, is tests/test_redis_outage.py."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.cache import caches
from django.test import override_settings
from redis.exceptions import ConnectionError as RedisConnectionError

from inventory_site import cache as resilient
from inventory_site.cache import ImportTmpStorage, ResilientRedisCache
from inventory_site.locks import job_lock

BASE_DIR = Path(__file__).resolve().parent.parent


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once closed


@pytest.fixture
def dead_redis():
    location = f"redis://127.0.0.1:{closed_port()}/0"
    config = {
        "default": {
            "BACKEND": "inventory_site.cache.ResilientRedisCache",
            "LOCATION": location,
            "OPTIONS": {"retry_seconds": 60},
        }
    }
    resilient._down_until.clear()
    with override_settings(CACHES=config):
        yield caches["default"]
    resilient._down_until.clear()


def test_production_redis_cache_urls_get_the_resilient_backend():
    code = (
        "import json; from django.conf import settings;"
        "print(json.dumps(settings.CACHES['default']))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "inventory_site.settings.test",
        "CACHE_URL": "redis://127.0.0.1:6379/1",
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
    config = json.loads(out.strip().splitlines()[-1])
    assert config["BACKEND"] == "inventory_site.cache.ResilientRedisCache"
    assert config["OPTIONS"]["socket_timeout"] == 0.5
    assert config["OPTIONS"]["socket_connect_timeout"] == 0.5


def test_an_unreachable_redis_is_an_empty_cache_that_stores_nothing(dead_redis):
    assert isinstance(dead_redis, ResilientRedisCache)
    started = time.monotonic()
    assert dead_redis.get("figures", "computed") == "computed"
    dead_redis.set("figures", 1)
    assert dead_redis.get_or_set("figures", lambda: 42) == 42
    assert dead_redis.add("key", 1) is False
    assert dead_redis.get_many(["a", "b"]) == {}
    assert dead_redis.delete("key") is False
    with pytest.raises(ValueError):
        dead_redis.incr("counter")
    assert time.monotonic() - started < 1.0
    assert dead_redis.is_down()


def test_after_a_failure_the_cache_is_skipped_without_touching_redis(
    dead_redis, monkeypatch
):
    dead_redis.get("x")  # the failure opens the circuit
    calls = []
    real = ResilientRedisCache.__mro__[1].get

    def spy(self, *args, **kwargs):
        calls.append(args)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ResilientRedisCache.__mro__[1], "get", spy)
    assert dead_redis.get("x", "default") == "default"
    assert calls == []


def test_locks_do_not_fail_open(dead_redis):
    with pytest.raises(RedisConnectionError):
        dead_redis.raising.add("lock", 1)
    with job_lock("nightly") as acquired:
        assert not acquired
        assert acquired.reason == "unavailable"
        assert "cache is unreachable" in acquired.message


def test_the_import_file_goes_to_disk_while_the_cache_is_down(dead_redis, settings):
    storage = ImportTmpStorage(encoding="utf-8", read_mode="r")
    storage.save("sku,name\nA,B\n")
    assert storage.name.startswith("disk-")
    again = ImportTmpStorage(name=storage.name, encoding="utf-8", read_mode="r")
    assert again.read() == "sku,name\nA,B\n"
    again.remove()
    assert not (Path(settings.VAR_DIR) / "import-tmp" / storage.name).exists()
    assert ImportTmpStorage(name=storage.name, read_mode="r").read() is None


def test_the_import_file_stays_in_the_cache_when_it_is_up():
    storage = ImportTmpStorage(encoding="utf-8", read_mode="r")
    storage.save("sku\nA\n")
    assert not storage.name.startswith("disk-")
    assert ImportTmpStorage(name=storage.name, read_mode="r").read() == "sku\nA\n"


@pytest.mark.parametrize("name", ["disk-../../etc/passwd", "disk-abc", "disk-"])
def test_a_forged_import_file_name_reads_nothing(name):
    assert ImportTmpStorage(name=name, read_mode="r").read() is None
