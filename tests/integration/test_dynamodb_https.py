"""The DynamoDB client over TLS, as on a deployed stage: it verifies the server's certificate
(against AWS_CA_BUNDLE when set, as botocore does) and sends a signed request."""

from __future__ import annotations

import json
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import botocore.endpoint
import pytest

from chalicelib.adapters.aws_sigv4 import Credentials
from chalicelib.adapters.dynamodb_http import DynamoDBHTTPClient

ITEM = {"pk": {"S": "ORDER#1001"}, "sk": {"S": "ORDER"}}


class TLSDynamoDB:
    """A one-answer DynamoDB on https://localhost with a self-signed certificate."""

    def __init__(self, folder: Path) -> None:
        self.cert, key = folder / "cert.pem", folder / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-keyout", str(key), "-out", str(self.cert), "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost"], check=True, capture_output=True)
        self.requests: list[tuple[dict[str, str], bytes]] = []
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                seen.append((dict(self.headers.items()), body))
                answer = json.dumps({"Item": ITEM}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://localhost:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def tls_dynamodb(tmp_path: Path) -> Iterator[TLSDynamoDB]:
    server = TLSDynamoDB(tmp_path)
    yield server
    server.server.shutdown()


def a_client(url: str) -> DynamoDBHTTPClient:
    return DynamoDBHTTPClient(region="eu-west-1", endpoint_url=url,
                              credentials=lambda: Credentials("ASIAROLE", "role-secret", "role-token"))


def test_a_signed_request_goes_over_tls_to_a_trusted_server(tls_dynamodb: TLSDynamoDB,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_CA_BUNDLE", str(tls_dynamodb.cert))
    client = a_client(tls_dynamodb.url)
    assert client.get_item(TableName="retour-prod", Key=ITEM)["Item"] == ITEM
    assert client.get_item(TableName="retour-prod", Key=ITEM)["Item"] == ITEM  # the kept connection
    (headers, body), _ = tls_dynamodb.requests
    assert json.loads(body) == {"TableName": "retour-prod", "Key": ITEM}
    assert headers["Host"] == tls_dynamodb.url.removeprefix("https://")
    assert headers["X-Amz-Target"] == "DynamoDB_20120810.GetItem"
    assert headers["X-Amz-Security-Token"] == "role-token"
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=ASIAROLE/")
    assert "/eu-west-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;" in headers["Authorization"]


def test_an_untrusted_certificate_is_refused_before_anything_is_sent(tls_dynamodb: TLSDynamoDB,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda seconds: None)
    with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED"):
        a_client(tls_dynamodb.url).get_item(TableName="retour-prod", Key=ITEM)
    assert tls_dynamodb.requests == []
