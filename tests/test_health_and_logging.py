import json
import logging

import pytest

from inventory_site.celery import app
from inventory_site.observability import JsonFormatter, RequestIdFilter

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")  # no login needed
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"], body["broker"]) == ("ok", "ok", "ok")


def test_healthz_is_503_when_the_broker_is_unreachable(client):
    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:9/0"  # nothing listens there
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok" and body["broker"].startswith("error")
    assert body["seconds"] < 3


def test_request_id_is_returned_and_kept_from_the_caller(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    generated = client.get("/healthz")["X-Request-ID"]
    assert len(generated) == 32
    hostile = client.get("/healthz", HTTP_X_REQUEST_ID="x" * 500)["X-Request-ID"]
    assert hostile != "x" * 500


def test_log_records_are_json_with_the_request_id():
    record = logging.LogRecord(
        "jit", logging.INFO, __file__, 1, "hello %s", ("you",), None
    )
    RequestIdFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "hello you"
    assert entry["request_id"] == "-"
    assert entry["level"] == "INFO"
