"""Settings for the Celery worker that test_celery_worker.py starts: the test
settings, plus a cache key prefix and a default queue of that test run's own, so
test runs sharing one Redis never take each other's locks or messages."""

import os

from inventory_site.settings.test import *  # noqa: F403
from inventory_site.settings.test import CACHES

CACHES["default"]["KEY_PREFIX"] = os.environ["TEST_WORKER_KEY_PREFIX"]
CELERY_TASK_DEFAULT_QUEUE = os.environ["TEST_WORKER_QUEUE"]
