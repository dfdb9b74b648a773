"""The composition root's AWS clients: botocore's own, with the right endpoint and keys, retries
bounded well inside the function's timeout, and transactions that are safe to retry."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, ReadTimeoutError

from chalicelib import bootstrap
from chalicelib.bootstrap import dynamodb_client
from chalicelib.settings import Settings
from tests.dynamodb_faults import AnswerLost, Throttle

KEY = {"pk": {"S": "ORDER#T1"}, "sk": {"S": "ORDER"}}


@pytest.fixture(autouse=True)
def fresh_sessions() -> Iterator[None]:
    """Each test resolves credentials anew (the composition root keeps one session per container)."""
    bootstrap._aws_session.cache_clear()
    yield
    bootstrap._aws_session.cache_clear()


class Captured:
    """A `before-send` hook that answers every call with an empty success and keeps the request."""

    def __init__(self) -> None:
        self.requests: list[Any] = []

    def __call__(self, request: Any, **_: Any) -> AWSResponse:
        self.requests.append(request)
        raw = type("Raw", (), {"stream": lambda self, *a, **k: iter([b"{}"])})()
        return AWSResponse(request.url, 200, {}, raw)


def sent_by(client: Any) -> Any:
    captured = Captured()
    client.meta.events.register_first("before-send.dynamodb", captured)
    client.get_item(TableName="retour-prod", Key=KEY)
    return captured.requests[0]


def header(request: Any, name: str) -> str:
    value = request.headers[name]
    return value.decode() if isinstance(value, bytes) else str(value)


def test_a_deployed_stage_calls_its_region_with_the_functions_own_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAROLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "role-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "role-token")
    monkeypatch.delenv("AWS_SECURITY_TOKEN", raising=False)  # botocore reads this older name first
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    client = dynamodb_client(Settings.from_env({"RETOUR_STAGE": "prod", "AWS_REGION": "eu-west-1"}))
    request = sent_by(client)
    assert urlsplit(request.url).hostname == "dynamodb.eu-west-1.amazonaws.com"
    assert "Credential=ASIAROLE/" in header(request, "Authorization")
    assert header(request, "X-Amz-Security-Token") == "role-token"


def test_the_local_stage_never_sends_a_developers_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREAL")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    client = dynamodb_client(Settings.from_env({"RETOUR_STAGE": "local", "RETOUR_AWS_PORT": "4566"}))
    request = sent_by(client)
    assert request.url.startswith("http://127.0.0.1:4566")
    assert "Credential=local/" in header(request, "Authorization")
    assert "AKIAREAL" not in header(request, "Authorization")


class ContainerCredentials(http.server.BaseHTTPRequestHandler):
    """Lambda's credentials endpoint as a SnapStart function sees it (no keys in the environment)."""

    asked_with: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        type(self).asked_with.append(self.headers.get("Authorization", ""))
        expires = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = json.dumps({"AccessKeyId": "ASIASNAPSTART", "SecretAccessKey": "snap-secret",
                           "Token": "snap-token", "Expiration": expires}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_a_snapstart_function_signs_with_the_container_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ContainerCredentials)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                     "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f"http://127.0.0.1:{server.server_address[1]}/creds")
        monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "lambda-container-token")
        client = dynamodb_client(Settings.from_env({"RETOUR_STAGE": "prod", "AWS_REGION": "eu-west-1"}))
        request = sent_by(client)
    finally:
        server.shutdown()
        server.server_close()
    assert "Credential=ASIASNAPSTART/" in header(request, "Authorization")
    assert header(request, "X-Amz-Security-Token") == "snap-token"
    assert ContainerCredentials.asked_with == ["lambda-container-token"]


@pytest.fixture
def local_client(aws_endpoint: str) -> Any:
    return dynamodb_client(Settings.from_env({"RETOUR_STAGE": "local", "RETOUR_AWS_ENDPOINT_URL": aws_endpoint}))


@pytest.fixture
def no_backoff() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.endpoint.time, "sleep", lambda seconds: None)
        yield


def first_write(table_name: str) -> list[dict[str, Any]]:
    return [{"Put": {"TableName": table_name, "Item": {**KEY, "placed": {"S": "once"}},
                     "ConditionExpression": "attribute_not_exists(pk)"}}]


def test_a_transaction_whose_answer_was_lost_is_retried_with_its_token_and_answered_as_done(
    local_client: Any, table_name: str, dynamodb: Any, no_backoff: None,
) -> None:
    lost = AnswerLost()
    local_client.meta.events.register_first("before-send.dynamodb.TransactWriteItems", lost)
    answer = local_client.transact_write_items(TransactItems=first_write(table_name))
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert len(lost.tokens) == 2 and lost.tokens[0] == lost.tokens[1]
    stored = dynamodb.query(TableName=table_name, KeyConditionExpression="pk = :pk",
                            ExpressionAttributeValues={":pk": KEY["pk"]}, ConsistentRead=True)["Items"]
    assert stored == [{**KEY, "placed": {"S": "once"}}]


def test_the_local_dynamodb_keeps_dynamodbs_token_rules(dynamodb: Any, table_name: str) -> None:
    actions = first_write(table_name)
    dynamodb.transact_write_items(TransactItems=actions, ClientRequestToken="retour-token-1")
    # The same token and parameters: done already, not a failed condition.
    dynamodb.transact_write_items(TransactItems=actions, ClientRequestToken="retour-token-1")
    with pytest.raises(ClientError) as mismatch:
        dynamodb.transact_write_items(TransactItems=[{"Delete": {"TableName": table_name, "Key": KEY}}],
                                      ClientRequestToken="retour-token-1")
    assert mismatch.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    # Without a token (or with a new one) the transaction runs again and meets its condition.
    with pytest.raises(ClientError) as again:
        dynamodb.transact_write_items(TransactItems=actions, ClientRequestToken="retour-token-2")
    assert again.value.response["Error"]["Code"] == "TransactionCanceledException"


def test_throttling_is_retried_twice_then_reaches_the_caller(local_client: Any, table_name: str, no_backoff: None) -> None:
    brief = Throttle(2)
    local_client.meta.events.register_first("before-send.dynamodb.GetItem", brief)
    local_client.get_item(TableName=table_name, Key=KEY)
    assert brief.seen == 3
    local_client.meta.events.unregister("before-send.dynamodb.GetItem", brief)
    lasting = Throttle()
    local_client.meta.events.register_first("before-send.dynamodb.GetItem", lasting)
    with pytest.raises(ClientError) as caught:
        local_client.get_item(TableName=table_name, Key=KEY)
    assert caught.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert lasting.seen == 3


def test_a_server_that_never_answers_is_given_up_after_three_short_waits(
    monkeypatch: pytest.MonkeyPatch, no_backoff: None,
) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    # A deployed stage's client (the local stage waits longer for its one-at-a-time server),
    # sent to the silent server the way botocore lets an environment redirect it.
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{listener.getsockname()[1]}")
    client = dynamodb_client(Settings.from_env({"RETOUR_STAGE": "prod", "AWS_REGION": "eu-west-1"}))
    try:
        with pytest.raises(ReadTimeoutError):
            client.get_item(TableName="retour-prod", Key=KEY)
    finally:
        listener.close()
        for connection in accepted:
            connection.close()
    assert len(accepted) == 3
