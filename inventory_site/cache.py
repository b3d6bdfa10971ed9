"""A Redis cache that never takes a page down with it.

Production keeps the cache and the Celery broker on one Redis (README). When that
Redis is down or hangs, Django's ``RedisCache`` raises (or waits for the socket)
on every ``cache.get``: the dashboard, the token endpoint's throttle and the
admin import preview answered 500. What the cache holds here is either derived
(dashboard figures, recomputed on a miss), advisory (API throttle counters) or
short-lived, so ``ResilientRedisCache`` treats an unreachable Redis as an empty
cache that stores nothing:

- short socket timeouts (``CACHE_SOCKET_TIMEOUT``, 0.5 s by default) and no
  retries, so one failed call costs at most that long;
- after a failure the cache is skipped for ``CACHE_RETRY_SECONDS`` (5 s) in the
  whole process (a circuit breaker), so a request that touches the cache four
  times waits once, and the next requests not at all;
- every failure is logged as a warning, once per outage and process.

Locks must not fail open (a lock "taken" on a dead Redis is no lock):
``inventory_site.locks`` uses ``cache.raising``, the same backend without the
safety net, and reports an unreachable cache as such.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
import uuid
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from import_export.tmp_storages import CacheStorage
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

SOCKET_TIMEOUT = 0.5
RETRY_SECONDS = 5.0

# Per process and server: backends are created per thread, the outage is not.
_down_until: dict[str, float] = {}
_state_lock = threading.Lock()


def _failing_open(default_factory):
    """Run the Redis call unless Redis is known to be down; on a Redis error
    remember the outage and answer like an empty cache."""

    def decorate(method):
        @wraps(method)
        def wrapper(self, *args, **kwargs):
            if self.is_down():
                return default_factory(*args, **kwargs)
            try:
                return method(self, *args, **kwargs)
            except (RedisError, OSError) as error:
                self.mark_down(error)
                return default_factory(*args, **kwargs)

        return wrapper

    return decorate


def _default_arg(key, default=None, version=None):
    return default


class _Raising:
    """The backend's methods without the safety net (for locks)."""

    def __init__(self, backend: ResilientRedisCache):
        self._backend = backend

    def __getattr__(self, name):
        return getattr(super(ResilientRedisCache, self._backend), name)


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        self.retry_seconds = float(options.pop("retry_seconds", RETRY_SECONDS))
        options.setdefault("socket_connect_timeout", SOCKET_TIMEOUT)
        options.setdefault("socket_timeout", SOCKET_TIMEOUT)
        params["OPTIONS"] = options
        super().__init__(server, params)
        self._server_key = ",".join(self._servers)

    @property
    def raising(self) -> _Raising:
        return _Raising(self)

    def is_down(self) -> bool:
        until = _down_until.get(self._server_key)
        return until is not None and time.monotonic() < until

    def mark_down(self, error: BaseException) -> None:
        with _state_lock:
            was_down = self._server_key in _down_until
            _down_until[self._server_key] = time.monotonic() + self.retry_seconds
        if not was_down:
            logger.warning(
                "Cache unreachable (%s: %s); working without it, retrying every "
                "%.0f s.",
                type(error).__name__,
                error,
                self.retry_seconds,
            )

    def _up(self) -> None:
        if self._server_key in _down_until:
            with _state_lock:
                if _down_until.pop(self._server_key, None) is not None:
                    logger.warning("Cache reachable again.")

    @_failing_open(lambda *a, **k: False)
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        result = super().add(key, value, timeout, version)
        self._up()
        return result

    @_failing_open(_default_arg)
    def get(self, key, default=None, version=None):
        result = super().get(key, default, version)
        self._up()
        return result

    @_failing_open(lambda *a, **k: None)
    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        super().set(key, value, timeout, version)
        self._up()

    @_failing_open(lambda *a, **k: False)
    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return super().touch(key, timeout, version)

    @_failing_open(lambda *a, **k: False)
    def delete(self, key, version=None):
        return super().delete(key, version)

    @_failing_open(lambda *a, **k: {})
    def get_many(self, keys, version=None):
        return super().get_many(keys, version)

    @_failing_open(lambda *a, **k: False)
    def has_key(self, key, version=None):
        return super().has_key(key, version)

    @_failing_open(lambda *a, **k: list(a[0]) if a else [])
    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return super().set_many(data, timeout, version)

    @_failing_open(lambda *a, **k: None)
    def delete_many(self, keys, version=None):
        return super().delete_many(keys, version)

    @_failing_open(lambda *a, **k: False)
    def clear(self):
        return super().clear()

    # incr/decr raise ValueError for a missing key: an unreachable cache has
    # none, so they stay as they are (a caller of incr handles ValueError).
    def incr(self, key, delta=1, version=None):
        if self.is_down():
            raise ValueError(f"Key '{key}' not found (cache unreachable).")
        try:
            return super().incr(key, delta, version)
        except (RedisError, OSError) as error:
            self.mark_down(error)
            raise ValueError(f"Key '{key}' not found (cache unreachable).") from error


class ImportTmpStorage(CacheStorage):
    """The admin import's file between preview and confirm: in the cache, which
    every web machine shares; while the cache is unreachable, on this machine's
    disk (``VAR_DIR/import-tmp``, the name then starts with ``disk-``), so a
    Redis outage does not break the preview. (With several web machines behind
    a balancer, a confirm that lands on another machine during an outage finds
    no file: upload it again.)"""

    DISK_PREFIX = "disk-"
    DISK_NAME = re.compile(r"disk-[0-9a-f]{32}")

    def _path(self) -> Path:
        if not self.DISK_NAME.fullmatch(self.name or ""):
            raise ValueError("Not a stored import file name.")
        return Path(settings.VAR_DIR) / "import-tmp" / self.name

    def save(self, data):
        if not self.name:
            self.name = uuid.uuid4().hex
        if not self.name.startswith(self.DISK_PREFIX):
            store = getattr(cache, "raising", cache)
            try:
                store.set(self.CACHE_PREFIX + self.name, data, self.CACHE_LIFETIME)
                return
            except Exception as error:  # noqa: BLE001 - any cache failure: disk
                logger.warning(
                    "Import file kept on disk: cache unreachable (%s).", error
                )
                self.name = self.DISK_PREFIX + self.name
        path = self._path()
        path.parent.mkdir(parents=True, exist_ok=True)
        raw = data.encode(self.encoding or "utf-8") if isinstance(data, str) else data
        path.write_bytes(raw)

    def read(self):
        if not (self.name or "").startswith(self.DISK_PREFIX):
            return super().read()
        try:
            raw = self._path().read_bytes()
        except (OSError, ValueError):
            return None
        return (
            raw
            if "b" in (self.read_mode or "")
            else raw.decode(self.encoding or "utf-8")
        )

    def remove(self):
        if not (self.name or "").startswith(self.DISK_PREFIX):
            return super().remove()
        with contextlib.suppress(ValueError):
            self._path().unlink(missing_ok=True)
