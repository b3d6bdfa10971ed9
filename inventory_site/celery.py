"""The Celery application; tasks live in each app's ``tasks.py``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_site.settings.base")

app = Celery("inventory_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def request_connection():
    """A broker connection for web requests (the jobs outbox, /healthz): short
    socket timeouts (``BROKER_REQUEST_TIMEOUT``, 1 s) instead of the workers'
    longer ones, so a broker that is down or hangs costs a request about a
    second. Use it with ``ensure_connection(max_retries=0)``: no retries here,
    the outbox resends later."""
    from django.conf import settings

    options = dict(app.conf.broker_transport_options or {})
    if app.conf.broker_url.startswith(("redis://", "rediss://")):
        timeout = settings.BROKER_REQUEST_TIMEOUT
        options.update(socket_connect_timeout=timeout, socket_timeout=timeout)
    return app.connection_for_write(transport_options=options)
