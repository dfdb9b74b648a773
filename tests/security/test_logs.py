"""Logs never hold an email, an address, a name or a token in clear, whatever a request carries:
our JSON lines, and the access log of the local server `make run` starts."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from chalice.test import Client

from chalicelib.web.request_logging import JsonFormatter
from devstack.processes import HOST, ChildServer, free_port, start_process
from tests.documents import an_order_document
from tests.functional.conftest import ADMIN, put_policy

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
    put_policy(client)
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

    put_policy(client)
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


def test_a_token_quoted_in_a_message_a_value_or_an_error_is_withheld(captured: io.StringIO) -> None:
    import secrets

    from chalicelib.adapters.signed_tokens import SignedTokens

    status_token = SignedTokens(lambda: "log-test-key").issue(
        '{"r":"R-7Q4K-9M2P","o":"1001"}', purpose="status_link", now=datetime.now(UTC), ttl=timedelta(days=60))
    approval_token = secrets.token_urlsafe(32)
    log = logging.getLogger("retour.test")
    log.warning("opened /merchant/approvals/%s?action=approve", approval_token,
                extra={"url": f"https://r.example/returns/R-7Q4K-9M2P?link={status_token}"})
    try:
        raise ValueError(f"could not read {status_token}")
    except ValueError:
        log.exception("a status link failed")

    logged = captured.getvalue()
    assert "/merchant/approvals/[token]?action=approve" in logged  # the rest of the line stays useful
    for secret in (status_token, status_token.split(".")[1], status_token.split(".")[2], approval_token):
        assert secret not in logged, "a token appears in the logs"


# --- the local server's access log (`make run`) ----------------------------------------------


@pytest.fixture(scope="module")
def local_server(client: Client, aws_endpoint: str, stripe_endpoint: str,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChildServer]:
    """The app as `make run` serves it (devstack/chalice_local.py), its output in a file."""
    port = free_port()
    env = {**os.environ, "RETOUR_AWS_ENDPOINT_URL": aws_endpoint, "RETOUR_STRIPE_API_BASE": stripe_endpoint,
           "RETOUR_LOOKUP_LIMIT": "100000"}
    command = [sys.executable, "-m", "devstack.chalice_local", "--stage", "local", "--host", HOST,
               "--port", str(port), "--no-autoreload"]
    server = start_process("chalice_local", command, port, env=env, timeout=60.0,
                           log_path=tmp_path_factory.mktemp("local-server") / "chalice.log")
    yield server
    server.stop()


def fetch(server: ChildServer, method: str, target: str, body: dict[str, object] | None = None,
          headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """`method target` on the server: its status and body, errors included, redirects not followed."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    data = None if body is None else json.dumps(body).encode()
    sent = {"Content-Type": "application/json"} if body is not None else {}
    request = urllib.request.Request(server.url + target, data=data, method=method, headers={**sent, **(headers or {})})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=15) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_the_local_servers_access_log_names_routes_never_tokens_or_emails(
    client: Client, local_server: ChildServer, aws_endpoint: str,
) -> None:
    from chalicelib.adapters.local_ses_outbox import sent_emails

    email = "access.log+secret@example.com"
    put_policy(client)
    delivered = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    # Paid outside Stripe: no PaymentIntent for the import to check, nothing here is about money.
    document = an_order_document(number="L7003", email=email, locale="en", currency="USD",
                                 placed_at=delivered, delivered_at=delivered, payment={"provider": "other"})
    assert client.http.put("/api/v1/admin/orders/L7003", headers=ADMIN, body=json.dumps(document)).status_code in (200, 201)
    status, found = fetch(local_server, "POST", "/api/v1/lookup", {"order_number": "L7003", "email": email})
    assert status == 200, found
    token = json.loads(found)["token"]
    status, created = fetch(local_server, "POST", "/api/v1/returns",
                            {"order_number": "L7003", "resolution": "refund",
                             "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]},
                            {"Authorization": f"Bearer {token}"})
    assert status == 201, created
    rma = json.loads(created)["rma"]
    mail = next(e for e in sent_emails(aws_endpoint) if e.to == email and rma in e.subject)
    link = re.search(r"\?link=([A-Za-z0-9._-]+)", mail.text)
    assert link is not None
    status_token = link.group(1)
    approval_token = "Zx" * 21 + "Q"  # shaped like an approval link's token (43 characters)
    admin = {"Authorization": ADMIN["Authorization"]}

    requests = [
        ("GET", f"/api/v1/returns/{rma}/label.pdf?token={token}", {}),  # a token in the query
        ("GET", f"/returns/{rma}?link={status_token}", {}),  # the emails' status link
        ("GET", f"/merchant/approvals/{approval_token}?action=approve", {}),  # a token in the path
        ("GET", f"/api/v1/admin/returns?email={quote(email)}", admin),  # an email in the query
        ("GET", f"/api/v1/admin/store-credit/{quote(email)}?currency=USD", admin),  # an email in the path
        ("GET", f"/s/{status_token}", {}),  # a token on a path no route matches
    ]
    answered = [fetch(local_server, method, target, headers=headers)[0] for method, target, headers in requests]
    assert answered[:2] == [401, 303] and answered[3] == 200, answered
    # A request line http.server refuses itself (its error message quotes the whole line).
    with socket.create_connection((HOST, local_server.port), timeout=15) as raw:
        raw.sendall(f"GET /merchant/approvals/{approval_token}?email={email} now HTTP/1.1\r\n\r\n".encode())
        assert b" 400 " in raw.recv(1024).split(b"\r\n", 1)[0]

    logged = Path(local_server.log_path).read_text(encoding="utf-8", errors="replace")
    lowered = logged.lower()
    for secret in (token, token.split(".")[-1], status_token, status_token.split(".")[-1], approval_token,
                   email, quote(email), quote(email, safe=""), "secret@example", "secret%40example"):
        assert secret.lower() not in lowered, f"{secret!r} appears in the local server's access log"
    # Each request is still there, by its route: method, route template, status, duration.
    assert f"GET /merchant/approvals/{{token}} {answered[2]} " in logged, logged[-3000:]
    assert "GET /api/v1/admin/returns 200 " in logged
    assert "GET /api/v1/admin/store-credit/{email} " in logged
    assert "GET /returns/{rma} 303 " in logged
    assert "GET /{?}/{?} 403 " in logged  # the unknown path: no segment of it is a word of our routes
