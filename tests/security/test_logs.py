"""Logs never hold an email, an address, a name or a token in clear, whatever a request carries."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from chalice.test import Client

from chalicelib.web.request_logging import JsonFormatter
from tests.documents import an_order_document
from tests.functional.conftest import ADMIN

EMAIL = "Log.Secret+Shopper@Example.com"
NAME = "Zebulon Quixotic-Pennyworth"
STREET = "742 Evergreen Terrace Unit 9"
POSTAL = "97403-1234"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every log line of the app, as the Lambda would write it (JSON through our formatter)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # the most a stage could ever be set to write
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def test_a_lookup_a_return_and_admin_calls_log_no_personal_data_or_token(client: Client, captured: io.StringIO) -> None:
    assert client.http.put("/api/v1/admin/policy", headers=ADMIN, body="{}").status_code == 200
    delivered = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = an_order_document(
        number="L7001", email=EMAIL, customer_name=NAME, locale="en", currency="USD",
        placed_at=delivered, delivered_at=delivered,
        shipping_address={"name": NAME, "line1": STREET, "line2": "", "city": "Springfield",
                          "region": "OR", "postal_code": POSTAL, "country": "US"},
    )
    assert client.http.put("/api/v1/admin/orders/L7001", headers=ADMIN, body=json.dumps(document)).status_code in (200, 201)
    assert client.http.get("/api/v1/admin/orders/L7001", headers=ADMIN).status_code == 200
    json_headers = {"Content-Type": "application/json"}
    lookup = client.http.post("/api/v1/lookup", headers=json_headers,
                              body=json.dumps({"order_number": "L7001", "email": EMAIL.lower()}))
    assert lookup.status_code == 200
    token = lookup.json_body["token"]
    wrong = client.http.post("/api/v1/lookup", headers=json_headers,
                             body=json.dumps({"order_number": "L7001", "email": "other." + EMAIL}))
    assert wrong.status_code == 404
    created = client.http.post(
        "/api/v1/returns", headers={**json_headers, "Authorization": f"Bearer {token}"},
        body=json.dumps({"order_number": "L7001", "resolution": "refund",
                         "lines": [{"line_id": "L1", "quantity": 1, "reason": "damaged", "note": f"from {STREET}"}]}),
    )
    assert created.status_code == 201, created.json_body
    bad_key = client.http.get("/api/v1/admin/orders/L7001", headers={"Authorization": "Bearer wrong-admin-key-xyz"})
    assert bad_key.status_code == 401

    lines = [line for line in captured.getvalue().splitlines() if line.strip()]
    assert len(lines) >= 6, "the requests were not logged"
    for line in lines:
        json.loads(line)  # every line is one JSON object
    text = captured.getvalue()
    lowered = text.lower()
    for secret in (EMAIL.lower(), "secret+shopper", NAME.lower(), STREET.lower(), POSTAL, token,
                   token.split(".")[-1], "local-admin-key", "wrong-admin-key-xyz"):
        assert secret.lower() not in lowered, f"{secret!r} appears in the logs"


def test_following_a_status_link_from_an_email_logs_no_token(
    client: Client, captured: io.StringIO, aws_endpoint: str,
) -> None:
    import re

    from chalicelib.adapters.local_ses_outbox import sent_emails

    assert client.http.put("/api/v1/admin/policy", headers=ADMIN, body="{}").status_code == 200
    delivered = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = an_order_document(number="L7002", email="link.secret@example.com", locale="en", currency="USD",
                                 placed_at=delivered, delivered_at=delivered)
    assert client.http.put("/api/v1/admin/orders/L7002", headers=ADMIN, body=json.dumps(document)).status_code in (200, 201)
    json_headers = {"Content-Type": "application/json"}
    token = client.http.post("/api/v1/lookup", headers=json_headers,
                             body=json.dumps({"order_number": "L7002", "email": "link.secret@example.com"})).json_body["token"]
    created = client.http.post(
        "/api/v1/returns", headers={**json_headers, "Authorization": f"Bearer {token}"},
        body=json.dumps({"order_number": "L7002", "resolution": "refund",
                         "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]}))
    assert created.status_code == 201, created.json_body
    rma = created.json_body["rma"]
    mail = next(e for e in sent_emails(aws_endpoint) if e.to == "link.secret@example.com" and rma in e.subject)
    found = re.search(r"/returns/" + rma + r"\?link=([A-Za-z0-9._-]+)", mail.text)
    assert found is not None
    link = found.group(1)
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")

    assert client.http.get(f"/returns/{rma}?link={link}").status_code == 303
    assert client.http.get(f"/returns/{rma}?link={tampered}").status_code == 403

    logged = captured.getvalue()
    assert "status link was refused" in logged  # the refusal is logged, by its reason only
    for secret in (link, tampered, link.split(".")[1], link.split(".")[2], tampered.split(".")[2]):
        assert secret not in logged, "a status link's token appears in the logs"
