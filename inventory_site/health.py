"""``/healthz``: is the database reachable, is the Celery broker reachable?"""

import time

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

BROKER_TIMEOUT_SECONDS = 1.5


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any failure means "down"
        return f"error: {error.__class__.__name__}"
    return "ok"


def _broker() -> str:
    from inventory_site.celery import request_connection

    try:
        with request_connection() as conn:
            # One attempt with the request timeouts: answers within ~1 s even
            # when the broker hangs (a load balancer's check must not queue up).
            conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as error:  # noqa: BLE001
        return f"error: {error.__class__.__name__}"
    return "ok"


@login_not_required
@never_cache
@require_GET
def healthz(request):
    started = time.monotonic()
    checks = {"database": _database(), "broker": _broker()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            **checks,
            "seconds": round(time.monotonic() - started, 3),
        },
        status=200 if healthy else 503,
    )
