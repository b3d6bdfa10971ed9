"""Property-based API testing from the OpenAPI schema (schemathesis): requests
generated for every operation of the schema, and stateful scenarios that follow
the links schemathesis infers between operations (create an item, then read,
change or delete it by its SKU; …), sent in process as a superuser with a token;
the application must never answer with a 5xx.

CI runs a fixed (derandomised) set so a run is repeatable; the example counts bound
it (about 15 s + 7 s on an idle 2-core machine, per database). To explore further,
set ``API_FUZZ_SEED`` (an integer, or ``random``) and ``API_FUZZ_SCALE`` (multiplies
the example counts): ``API_FUZZ_SEED=random API_FUZZ_SCALE=10 pytest tests/…``.
"""

import os
import random
import time
from contextlib import contextmanager

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from hypothesis import HealthCheck, Phase, given, seed, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from inventory_site.db import is_postgresql
from inventory_site.wsgi import application
from tests.factories import DeliveryLineFactory, SuperuserFactory, SupplierItemFactory

pytestmark = pytest.mark.django_db
SCALE = max(1, int(os.environ.get("API_FUZZ_SCALE", "1")))
EXAMPLES_PER_OPERATION = 25 * SCALE
SCENARIOS = 40 * SCALE  # stateful runs, each of up to STEPS calls
STEPS = 8
SEED_SETTING = os.environ.get("API_FUZZ_SEED", "")
SEED = random.randrange(2**32) if SEED_SETTING == "random" else SEED_SETTING


def run_settings(**kwargs):
    return settings(
        derandomize=not SEED,  # the same requests on every CI run: no flaky CI
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # no shrinking: report, move on
        **kwargs,
    )


def seeded(test):
    return seed(int(SEED))(test) if SEED else test


def transaction_aborted() -> bool:
    if not is_postgresql():
        return False
    import psycopg

    status = connection.connection.info.transaction_status
    return status == psycopg.pq.TransactionStatus.INERROR


@contextmanager
def request_like_autocommit():
    """In production each request runs in autocommit, so a statement the database
    refused (a 400 from the DataError handler) leaves nothing behind. Inside the
    test's one transaction it would abort every later request on PostgreSQL: a
    savepoint per request, rolled back when the request left it aborted."""
    sid = transaction.savepoint()
    try:
        yield
    finally:
        if transaction_aborted():
            transaction.savepoint_rollback(sid)
        transaction.savepoint_commit(sid)


@pytest.fixture
def keep_test_connection():
    """Like Django's test client: requests must not close the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api(keep_test_connection, django_capture_on_commit_callbacks):
    """Data every operation can find (an item with a source and a delivery line,
    so deletes meet references), the schema, and a superuser's token."""
    source = SupplierItemFactory(item__sku="BOLT-8", supplier__code="ACME")
    DeliveryLineFactory(item=source.item, delivery__reference="PO-1")
    DeliveryLineFactory(delivery__reference="PO/2026/17")
    token = Token.objects.create(user=SuperuserFactory(username="fuzzer")).key
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    # Constants schemathesis mines from the modules loaded so far would make the
    # generated requests depend on which tests ran before: off, for repeatable runs.
    schema.config.analysis.constants.enabled = False
    with django_capture_on_commit_callbacks(execute=False):
        yield schema, {"Authorization": f"Token {token}"}


def test_generated_requests_never_get_a_server_error(api):
    schema, headers = api
    calls, failures = [], []
    if SEED:
        print(f"API_FUZZ_SEED={SEED}")
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()

        @seeded
        @run_settings(max_examples=EXAMPLES_PER_OPERATION)
        @given(case=operation.as_strategy())
        def check(case):
            with request_like_autocommit():
                case.call_and_validate(headers=headers, checks=[not_a_server_error])
            calls.append(case.operation.label)

        try:
            check()
        except Exception as error:  # noqa: BLE001 - every operation's failure is listed
            failures.append(f"{operation.label}: {error}")
    assert not failures, "\n\n".join(failures)
    assert len(set(calls)) >= 20  # every operation was exercised
    print(f"{len(calls)} requests in {time.monotonic() - started:.1f} s")


def test_stateful_scenarios_never_get_a_server_error(api):
    """Scenarios chain calls through the links schemathesis infers from the schema
    (a created item's SKU into GET/PATCH/DELETE /items/{sku}/, …)."""
    schema, headers = api
    # A new portal link's URL holds a fresh random token: its responses differ
    # between two runs of one derandomised scenario, which Hypothesis reports
    # as flaky data. The per-operation test above still sends it requests.
    schema = schema.exclude(path_regex="portal-link")
    statuses: dict[str, set[int]] = {}

    class Workflow(schema.as_state_machine()):
        """Each scenario starts from the same data (rolled back afterwards, cache
        emptied): Hypothesis replays choices and needs the same answers to them."""

        def setup(self):
            cache.clear()
            self.scenario = transaction.atomic()
            self.scenario.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self.scenario.__exit__(None, None, None)

        def call(self, case, **kwargs):
            with request_like_autocommit():
                return super().call(case, **kwargs)

        def get_call_kwargs(self, case):
            return {"headers": headers}

        def after_call(self, response, case):
            statuses.setdefault(case.operation.label, set()).add(response.status_code)

        def validate_response(self, response, case, **kwargs):
            case.validate_response(response, checks=[not_a_server_error])

    started = time.monotonic()
    # (A state machine takes no @seed: with API_FUZZ_SEED set it runs randomised.)
    Workflow.run(
        settings=run_settings(max_examples=SCENARIOS, stateful_step_count=STEPS)
    )
    elapsed = time.monotonic() - started
    print(f"stateful: {elapsed:.1f} s")
    print(*(f"{k}: {sorted(v)}" for k, v in sorted(statuses.items())), sep="\n")
    # Which operations a scenario reaches depends on the responses, so on the
    # database the rest of the suite leaves (ids, rows): which DELETEs are hit
    # varies. The two that once answered 500 are pinned in test_api_errors.py
    # (referenced and unreferenced item and supplier); here the scenarios must
    # reach writes by key and a broad set of operations.
    deletes = {label for label in statuses if label.startswith("DELETE ")}
    assert deletes, sorted(statuses)
    assert len(statuses) >= 15, sorted(statuses)
