"""A lock with an expiry in the default cache, so scheduled jobs never overlap.

``cache.add`` is atomic on Redis (SET NX), the database cache and locmem: of two
workers, two beats or a redelivered message, one gets the lock and the other is
told so and skips. The lock expires on its own (``NIGHTLY_LOCK_EXPIRY``) if its
holder dies without releasing it; settings nest the task time limit below that
expiry, so a live holder never loses its lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

KEY_PREFIX = "jit-lock:"


@contextmanager
def job_lock(name: str, *, expiry: int | None = None) -> Iterator[bool]:
    """Hold the lock ``name`` for the ``with`` block; yields whether we got it.

    The lock is released at the end only if it is still ours: a token comparison,
    then a delete. (Not one atomic step, but the lock cannot expire and change
    hands in between while the holder runs within the task time limit.)
    """
    key = KEY_PREFIX + name
    token = uuid.uuid4().hex
    timeout = expiry if expiry is not None else settings.NIGHTLY_LOCK_EXPIRY
    acquired = cache.add(key, token, timeout=timeout)
    try:
        yield acquired
    finally:
        if acquired and cache.get(key) == token:
            cache.delete(key)


def job_lock_held(name: str) -> bool:
    return cache.get(KEY_PREFIX + name) is not None
