"""Settings for the Celery worker that test_celery_worker.py starts: the test
settings, plus a cache key prefix and a default queue of that test run's own, so
test runs sharing one Redis never take each other's locks or messages."""

import os

from inventory_site.settings.test import *  # noqa: F403
from inventory_site.settings.test import CACHES

CACHES["default"]["KEY_PREFIX"] = os.environ["TEST_WORKER_KEY_PREFIX"]
CELERY_TASK_DEFAULT_QUEUE = os.environ["TEST_WORKER_QUEUE"]

# Fault tests: make the classification linger inside its transaction, so the test
# can kill the worker in the middle of a run.
SLOW_CLASSIFY_SECONDS = float(os.environ.get("TEST_SLOW_CLASSIFY_SECONDS", "0"))
if SLOW_CLASSIFY_SECONDS:
    from celery.signals import worker_init

    @worker_init.connect
    def _slow_classification(**kwargs):
        import time

        from replenishment import classification

        original = classification._classify

        def slow(**kw):
            result = original(**kw)
            time.sleep(SLOW_CLASSIFY_SECONDS)  # still inside the transaction
            return result

        classification._classify = slow
