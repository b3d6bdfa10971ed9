"""A lock with an expiry in the default cache, so scheduled jobs never overlap.

``cache.add`` is atomic on Redis (SET NX), the database cache and locmem: of two
workers, two beats, a redelivered message or a manual command, one gets the lock
and the other is told so and skips. The lock expires on its own
(``NIGHTLY_LOCK_EXPIRY``, the task time limit plus a minute) if its holder dies
without releasing it — a SIGKILLed command blocks the next run for at most that
long; settings nest the task time limit below that expiry, so a live holder
never loses its lock.

A lock fails safe: if the cache cannot be reached the lock is not taken, the job
does not run, and the result says why (``reason``). The Redis cache fails open
for everything else (``inventory_site.cache``); locks use its ``raising`` side.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

KEY_PREFIX = "jit-lock:"
HELD = "held"
UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class LockResult:
    """Truthy when the lock is ours; else ``reason`` is ``held`` (another run
    has it) or ``unavailable`` (the cache could not be reached)."""

    acquired: bool
    reason: str = ""
    error: str = ""

    def __bool__(self) -> bool:
        return self.acquired

    @property
    def message(self) -> str:
        if self.acquired:
            return ""
        if self.reason == UNAVAILABLE:
            return (
                f"the lock could not be taken: the cache is unreachable ({self.error})"
            )
        return "a run is in progress (another process holds the lock)"


def _strict():
    """The cache without its fail-open safety net, where it has one."""
    return getattr(cache, "raising", cache)


def lock_add(key: str, value: str, timeout: int) -> LockResult:
    """``cache.add`` for locks: taken, held by another, or cache unreachable."""
    try:
        added = _strict().add(key, value, timeout=timeout)
    except Exception as error:  # noqa: BLE001 - any cache failure: do not run
        logger.error("Lock %s not taken: cache unreachable (%s).", key, error)
        return LockResult(False, UNAVAILABLE, f"{type(error).__name__}: {error}"[:200])
    return LockResult(True) if added else LockResult(False, HELD)


@contextmanager
def job_lock(name: str, *, expiry: int | None = None) -> Iterator[LockResult]:
    """Hold the lock ``name`` for the ``with`` block; yields a ``LockResult``
    (truthy when we got it).

    The lock is released at the end only if it is still ours: a token comparison,
    then a delete. (Not one atomic step, but the lock cannot expire and change
    hands in between while the holder runs within the task time limit.) A cache
    that fails at release time leaves the lock to expire.
    """
    key = KEY_PREFIX + name
    token = uuid.uuid4().hex
    timeout = expiry if expiry is not None else settings.NIGHTLY_LOCK_EXPIRY
    result = lock_add(key, token, timeout)
    try:
        yield result
    finally:
        if result:
            try:
                store = _strict()
                if store.get(key) == token:
                    store.delete(key)
            except Exception as error:  # noqa: BLE001
                logger.warning("Lock %s not released (%s); it expires.", key, error)


def job_lock_held(name: str) -> bool:
    return cache.get(KEY_PREFIX + name) is not None


class TimeLimitExceeded(Exception):
    """A management command ran past the nightly task time limit."""


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Stop the block after ``seconds`` (SIGALRM; main thread on Unix only, else
    no limit): a command that holds a job lock keeps the tasks' time limit, so
    the lock (which expires a minute after it) never outlives a live holder."""
    import signal
    import threading

    if not hasattr(signal, "SIGALRM") or (
        threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def expired(signum, frame):
        raise TimeLimitExceeded(f"stopped after the time limit of {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
