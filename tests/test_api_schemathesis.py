"""Property-based API testing from the OpenAPI schema (schemathesis): requests
generated for every operation of the schema, sent in process as a superuser with
a token; the application must never answer with a 5xx."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from inventory_site.wsgi import application
from tests.factories import DeliveryLineFactory, SuperuserFactory, SupplierItemFactory

pytestmark = pytest.mark.django_db
EXAMPLES_PER_OPERATION = 6


@pytest.fixture
def keep_test_connection():
    """Like Django's test client: requests must not close the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_generated_requests_never_get_a_server_error(
    keep_test_connection, django_capture_on_commit_callbacks
):
    source = SupplierItemFactory(item__sku="BOLT-8", supplier__code="ACME")
    DeliveryLineFactory(item=source.item, delivery__reference="PO-1")
    token = Token.objects.create(user=SuperuserFactory(username="fuzzer")).key
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    calls = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,  # the same requests on every run: no flaky CI
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case):
            with django_capture_on_commit_callbacks(execute=False):
                case.call_and_validate(
                    headers={"Authorization": f"Token {token}"},
                    checks=[not_a_server_error],
                )
            calls.append(case.operation.label)

        check()
    assert len(set(calls)) >= 20  # every operation was exercised
