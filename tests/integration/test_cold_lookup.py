"""A cold Lambda's lookup loads only what a lookup needs: no pydantic, Jinja2, Babel, botocore
client, boto3, Stripe or ReportLab (each costs a cold start tens of milliseconds)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from chalice.test import Client

from tests.documents import an_order_document
from tests.functional.conftest import ADMIN, LOCAL_TABLE, client, local_table  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pydantic", "jinja2", "babel", "botocore.client", "botocore.session", "botocore.auth", "boto3",
         "stripe", "reportlab", "email.mime")

# A fresh interpreter handed one API Gateway event, as the Lambda runtime does.
COLD_LOOKUP = """
import json, sys, app
event = json.loads(sys.argv[1])
answer = app.app(event, None)
print(json.dumps({"status": answer["statusCode"], "body": answer["body"],
                  "loaded": sorted(m for m in sys.modules if m.split(".")[0] in {h.split(".")[0] for h in HEAVY})}))
"""


def lookup_event(number: str, email: str) -> dict[str, Any]:
    return {
        "resource": "/api/v1/lookup", "path": "/api/v1/lookup", "httpMethod": "POST",
        "headers": {"content-type": "application/json"}, "multiValueQueryStringParameters": None,
        "pathParameters": None, "stageVariables": None,
        "requestContext": {"resourcePath": "/api/v1/lookup", "httpMethod": "POST", "path": "/api/v1/lookup",
                           "requestId": "cold-lookup-test", "identity": {"sourceIp": "192.0.2.1"}},
        "body": json.dumps({"order_number": number, "email": email}), "isBase64Encoded": False,
    }


def test_a_cold_lookup_loads_no_heavy_library(client: Client, aws_endpoint: str) -> None:  # noqa: F811
    delivered = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    placed = (datetime.now(UTC) - timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = an_order_document(number="C9001", email="cold@example.com", locale="en", currency="USD",
                                 placed_at=placed, delivered_at=delivered)
    response = client.http.put("/api/v1/admin/orders/C9001", headers=ADMIN, body=json.dumps(document))
    assert response.status_code in (200, 201), response.json_body
    env = dict(os.environ, RETOUR_STAGE="local", RETOUR_AWS_ENDPOINT_URL=aws_endpoint,
               RETOUR_TABLE_NAME=LOCAL_TABLE, RETOUR_SIGNING_KEY="local-signing-key-not-a-secret")
    code = f"HEAVY = {HEAVY!r}\n{COLD_LOOKUP}"
    done = subprocess.run([sys.executable, "-c", code, json.dumps(lookup_event("C9001", "cold@example.com"))],
                          cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["status"] == 200, answer["body"]
    verdict = json.loads(answer["body"])["order"]["lines"][0]["verdict"]
    assert verdict["message"].startswith("Returnable until ")  # a date was written
    loaded = [m for m in answer["loaded"] if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert loaded == []
