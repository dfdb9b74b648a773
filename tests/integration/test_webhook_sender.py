"""The webhook sender against a real HTTPS server on 127.0.0.1: it connects to the address it is
given (never a second DNS lookup), verifies the certificate for the URL's host name, signs per
Standard Webhooks, and follows no redirect."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from standardwebhooks import Webhook

from chalicelib.adapters.standard_webhooks_sender import StandardWebhooksSender
from chalicelib.domain.webhook_urls import WebhookTarget

SECRET = "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ=="
NAME = "hooks.example.test"


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert, private = directory / "cert.pem", directory / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return cert, private


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    cert, key = self_signed(tmp_path_factory.mktemp("tls"))
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                         "body": body})
            if self.path == "/moved":
                self.send_response(302)
                self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            else:
                self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    trust = ssl.create_default_context(cafile=str(cert))
    yield {"port": httpd.server_address[1], "seen": seen, "trust": trust}
    httpd.shutdown()
    httpd.server_close()


def target(port: int, *, host: str = NAME, path: str = "/in") -> WebhookTarget:
    return WebhookTarget(scheme="https", host=host, port=port, path=path, addresses=("127.0.0.1",))


def test_a_delivery_reaches_the_checked_address_signed_and_verified_for_its_host_name(server: dict[str, Any]) -> None:
    sender = StandardWebhooksSender(tls=server["trust"])
    now = dt.datetime.now(dt.UTC)
    body = '{"type":"return.created","timestamp":"2026-12-01T09:00:00Z","data":{"rma":"R-0000-0001"}}'
    result = sender.send(target(server["port"]), message_id="msg_R-0000-0001_0000", body=body, secret=SECRET,
                         now=now)
    assert (result.status_code, result.error) == (204, "")
    got = server["seen"][-1]
    # The name no resolver knows was never looked up: the connection went to the address given.
    assert got["headers"]["host"] == f"{NAME}:{server['port']}"
    assert got["headers"]["webhook-id"] == "msg_R-0000-0001_0000"
    assert Webhook(SECRET).verify(got["body"], got["headers"])["type"] == "return.created"


def test_a_certificate_for_another_name_is_refused_before_anything_is_sent(server: dict[str, Any]) -> None:
    before = len(server["seen"])
    result = StandardWebhooksSender(tls=server["trust"]).send(
        target(server["port"], host="other.example.test"), message_id="msg_x_0001", body="{}", secret=SECRET,
        now=dt.datetime.now(dt.UTC))
    assert result.status_code is None and "CERTIFICATE" in result.error.upper()
    assert len(server["seen"]) == before


def test_a_redirect_is_a_failed_attempt_and_is_never_followed(server: dict[str, Any]) -> None:
    before = len(server["seen"])
    result = StandardWebhooksSender(tls=server["trust"]).send(
        target(server["port"], path="/moved"), message_id="msg_x_0002", body="{}", secret=SECRET,
        now=dt.datetime.now(dt.UTC))
    assert result.status_code == 302 and result.error
    assert len(server["seen"]) == before + 1


def test_an_address_nobody_answers_is_a_failed_attempt_with_its_error() -> None:
    result = StandardWebhooksSender().send(
        WebhookTarget(scheme="http", host="127.0.0.1", port=9, path="/", addresses=("127.0.0.1",)),
        message_id="msg_x_0003", body="{}", secret=SECRET, now=dt.datetime.now(dt.UTC))
    assert result.status_code is None and "Connection" in result.error
