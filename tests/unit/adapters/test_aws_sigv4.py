"""Our SigV4 signer signs exactly as botocore's SigV4Auth does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotocoreCredentials

from chalicelib.adapters.aws_sigv4 import Credentials, host_of, signed_headers

BODY = b'{"TableName":"retour-prod","Key":{"pk":{"S":"ORDER#1001"},"sk":{"S":"ORDER"}}}'
HEADERS = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.GetItem"}


def botocore_signed(url: str, credentials: Credentials, region: str) -> dict[str, str]:
    request = AWSRequest(method="POST", url=url, data=BODY, headers=dict(HEADERS))
    SigV4Auth(BotocoreCredentials(credentials.access_key, credentials.secret_key, credentials.token),
              "dynamodb", region).add_auth(request)
    return dict(request.headers.items())


@pytest.mark.parametrize("url", [
    "https://dynamodb.eu-west-1.amazonaws.com/",
    "https://dynamodb.eu-west-1.amazonaws.com:443/",
    "http://127.0.0.1:4566/",
    "http://localhost:8000",
])
@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzEBYaDH+session/token=="])
def test_the_signature_is_botocores_own(url: str, token: str | None) -> None:
    credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    theirs = botocore_signed(url, credentials, "eu-west-1")
    stamp = datetime.strptime(theirs["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    ours = signed_headers("POST", url, HEADERS, BODY, credentials=credentials, region="eu-west-1",
                          service="dynamodb", now=stamp)
    assert ours["Authorization"] == theirs["Authorization"]
    assert ours.get("X-Amz-Security-Token") == theirs.get("X-Amz-Security-Token")


def test_a_changed_body_changes_the_signature() -> None:
    credentials = Credentials("AKIDEXAMPLE", "secret")
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    one = signed_headers("POST", "http://127.0.0.1:4566/", HEADERS, BODY, credentials=credentials,
                         region="us-east-1", service="dynamodb", now=now)
    other = signed_headers("POST", "http://127.0.0.1:4566/", HEADERS, BODY + b" ", credentials=credentials,
                           region="us-east-1", service="dynamodb", now=now)
    assert one["Authorization"] != other["Authorization"]
    assert one["X-Amz-Date"] == "20261123T120000Z"


def test_the_host_header_keeps_only_a_port_that_is_not_the_default() -> None:
    assert host_of("https://dynamodb.us-east-1.amazonaws.com:443/") == "dynamodb.us-east-1.amazonaws.com"
    assert host_of("http://127.0.0.1:4566/") == "127.0.0.1:4566"
    assert host_of("http://[::1]:8000/") == "[::1]:8000"
