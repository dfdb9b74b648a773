"""schemathesis against a running local stack: generated requests to every operation of
docs/openapi.yaml never get a 5xx, and every 4xx answer is in the error shape."""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import load_all_checks, not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.feedback import FeedbackSources
# What `schema.parametrize()` uses to build each operation's test (schemathesis is pinned).
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.python._constants.orchestrator import make_constants_value_source
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from devstack.processes import free_port
from tests.e2e.test_make_run import Stack, make_run, wait_for_portal

pytestmark = pytest.mark.stack

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
ADMIN_KEY = "local-admin-key"
# Demo order of the seeded store (devstack/demo_orders.py): the shopper token is for it.
DEMO = {"order_number": "1001", "email": "aiko.yamada@example.jp"}
# Per operation; operations without parameters stop after one example. With the coverage cases the
# whole run makes about 2,500 requests (counted by the test) in five to seven minutes on two cores.
EXAMPLES = 75
MINIMUM_REQUESTS = 1000


@pytest.fixture(scope="module")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    ports = {"RETOUR_APP_PORT": free_port(), "RETOUR_AWS_PORT": free_port(), "RETOUR_STRIPE_PORT": free_port()}
    with pytest.MonkeyPatch.context() as patch:
        # Generated lookups come from one address: the rate limit has its own tests.
        patch.setenv("RETOUR_LOOKUP_LIMIT", "1000000")
        with make_run(ports, tmp_path_factory.mktemp("fuzz") / "run.log") as running:
            wait_for_portal(running)
            yield running


@pytest.fixture(scope="module")
def shopper_token(fuzz_stack: Stack) -> str:
    request = urllib.request.Request(
        fuzz_stack.app_url + "/api/v1/lookup", data=json.dumps(DEMO).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        token: str = json.load(response)["token"]
    return token


schema = schemathesis.openapi.from_path(DOC)
FUZZ_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                         phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


def is_error_shape(body: Any) -> bool:
    if not isinstance(body, dict) or set(body) != {"error"} or not isinstance(body["error"], dict):
        return False
    error = body["error"]
    return (isinstance(error.get("code"), str) and bool(error["code"])
            and isinstance(error.get("message"), str) and bool(error["message"])
            and set(error) <= {"code", "message", "fields"})


def operation_test(
    operation: schemathesis.APIOperation, feedback: FeedbackSources, base_url: str, shopper_token: str,
    sent: list[int],
) -> Callable[[], None]:
    """The Hypothesis test of one operation, built the way `schema.parametrize()` builds it (the
    same phases, modes and coverage cases), that appends each answer's status to `sent`."""

    @FUZZ_SETTINGS
    def check_case(case: Any) -> None:
        if case.method.upper() != case.operation.method.upper():
            # Generated TRACE/unknown methods: Chalice local's http.server answers those itself
            # (501); API Gateway answers them before our code runs.
            return
        headers: dict[str, str] = {}
        if case.path.startswith("/api/v1/admin/"):
            headers["Authorization"] = f"Bearer {ADMIN_KEY}"
        elif case.path.startswith("/api/v1/returns"):
            headers["Authorization"] = f"Bearer {shopper_token}"
        response = case.call(base_url=base_url, headers=headers, allow_redirects=False, timeout=30)
        sent.append(response.status_code)
        case.validate_response(response, checks=[not_a_server_error, content_type_conformance,
                                                 response_schema_conformance])
        if 400 <= response.status_code < 500:
            assert is_error_shape(response.json()), (
                f"{case.method} {case.path}: {response.status_code} {response.text[:300]}")

    load_all_checks()
    built: Callable[[], None] = build_operation_test(
        config=schema.config, operation=operation, test_func=check_case, given_kwargs={}, feedback=feedback,
    )
    return built


def test_a_thousand_generated_requests_get_no_5xx_and_errors_in_the_error_shape(
    fuzz_stack: Stack, shopper_token: str
) -> None:
    # One test runs every operation and counts its own requests, so the count holds whichever
    # tests run beside it (a run of this test alone included).
    sent: list[int] = []
    failed: list[BaseException] = []
    feedback = FeedbackSources(constants_value_source=make_constants_value_source(schema))
    for result in schema.get_all_operations():
        operation = result.ok()
        try:
            operation_test(operation, feedback, fuzz_stack.app_url, shopper_token, sent)()
        except (Exception, FailureGroup) as error:  # every operation runs; all failures are raised below
            error.add_note(f"operation: {operation.label}")
            failed.append(error)
    by_status = dict(sorted(Counter(sent).items()))
    print(f"schemathesis: {len(sent)} requests, by status {by_status}")
    if failed:
        raise BaseExceptionGroup(f"{len(failed)} operations failed", failed)
    assert len(sent) >= MINIMUM_REQUESTS, f"only {len(sent)} requests: {by_status}"
    assert not [status for status in by_status if status >= 500], by_status
