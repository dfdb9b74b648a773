"""A SnapStart init leaves nothing for the first request to load, and each restored copy of the
snapshot draws its own randomness."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

from tests.documents import an_order_document
from tests.functional.conftest import ADMIN, LOCAL_TABLE, client, local_table  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[2]

# A fresh interpreter does what Lambda does with a SnapStart function: the init (importing
# app.py primes it), the before-snapshot hooks, a restore's hooks, then requests.
SNAPSHOT_THEN_REQUESTS = """
import json, sys
import app
from snapshot_restore_py import get_after_restore, get_before_snapshot

for hook, args, kwargs in get_before_snapshot():
    hook(*args, **kwargs)
for hook, args, kwargs in get_after_restore():
    hook(*args, **kwargs)
before = set(sys.modules)
answers = [app.app(json.loads(event), None)["statusCode"] for event in sys.argv[1:]]
print(json.dumps({"statuses": answers, "loaded_by_requests": sorted(set(sys.modules) - before),
                  "hooks": [len(get_before_snapshot()), len(get_after_restore())]}))
"""

# Two copies restored from one snapshot: the parent is the snapshot, each fork a restored copy.
TWO_RESTORED_COPIES = """
import json, os, random, sys
import app
from snapshot_restore_py import get_after_restore, get_before_snapshot
from chalicelib.bootstrap import get_deps
from chalicelib.domain.return_request import rma_from_bits
from chalicelib.web.sessions import new_session

for hook, args, kwargs in get_before_snapshot():
    hook(*args, **kwargs)
snapshot = random.getstate()
draws = []
for _ in range(2):
    reader, writer = os.pipe()
    if os.fork() == 0:
        # A fork reseeds `random` by itself; a restored snapshot does not: put the memory back.
        random.setstate(snapshot)
        for hook, args, kwargs in get_after_restore():
            hook(*args, **kwargs)
        drawn = {"rma": rma_from_bits(get_deps().random.bits(40)), "session": new_session().nonce,
                 "jitter": random.random()}
        os.write(writer, json.dumps(drawn).encode())
        os._exit(0)
    os.close(writer)
    os.wait()
    draws.append(json.loads(os.read(reader, 4096)))
print(json.dumps(draws))
"""


def api_event(method: str, path: str, body: dict[str, Any] | None = None) -> str:
    return json.dumps({
        "resource": path, "path": path, "httpMethod": method,
        "headers": {"content-type": "application/json", "accept-language": "ja"},
        "multiValueQueryStringParameters": None, "pathParameters": None, "stageVariables": None,
        "requestContext": {"resourcePath": path, "httpMethod": method, "path": path,
                           "requestId": "snapstart-test", "identity": {"sourceIp": "192.0.2.1"}},
        "body": json.dumps(body) if body is not None else None, "isBase64Encoded": False,
    })


def run(code: str, aws_endpoint: str, *args: str, snapstart: bool = True) -> Any:
    env = dict(os.environ, RETOUR_STAGE="local", RETOUR_AWS_ENDPOINT_URL=aws_endpoint,
               RETOUR_TABLE_NAME=LOCAL_TABLE, RETOUR_SIGNING_KEY="local-signing-key-not-a-secret")
    if snapstart:
        env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "snap-start"
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def an_order_to_find(client: Client) -> str:  # noqa: F811
    delivered = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    placed = (datetime.now(UTC) - timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = an_order_document(number="S9001", email="snap@example.com", locale="ja", currency="JPY",
                                 placed_at=placed, delivered_at=delivered)
    response = client.http.put("/api/v1/admin/orders/S9001", headers=ADMIN, body=json.dumps(document))
    assert response.status_code in (200, 201), response.json_body
    return "S9001"


def test_after_a_restore_the_first_requests_load_no_module(an_order_to_find: str, aws_endpoint: str) -> None:
    lookup = api_event("POST", "/api/v1/lookup", {"order_number": an_order_to_find, "email": "snap@example.com"})
    answer = run(SNAPSHOT_THEN_REQUESTS, aws_endpoint, lookup, api_event("GET", "/"),
                 api_event("GET", "/console/sign-in"))
    assert answer["statuses"] == [200, 200, 200]  # the table answers again after the connections closed
    assert answer["loaded_by_requests"] == []
    assert answer["hooks"] == [1, 1]


def test_an_on_demand_init_primes_nothing(aws_endpoint: str) -> None:
    # The jobs share app.py but run without SnapStart: their init stays as short as it can.
    answer = run(SNAPSHOT_THEN_REQUESTS, aws_endpoint, snapstart=False)
    assert answer["hooks"] == [0, 0]


def test_each_restored_copy_draws_its_own_rmas_sessions_and_jitter(aws_endpoint: str) -> None:
    first, second = run(TWO_RESTORED_COPIES, aws_endpoint)
    assert first["rma"] != second["rma"]
    assert first["session"] != second["session"]
    assert first["jitter"] != second["jitter"]  # `random` is reseeded after each restore
