"""A small DynamoDB client: botocore's call surface over one signed HTTP POST per call.

Building botocore's client costs a cold start ~250 ms (its import, the service model, endpoint
rulesets) before the first byte is sent; DynamoDB's JSON protocol needs none of it. The DynamoDB
adapters call this exactly as they call botocore's client (`client.get_item(TableName=..,
Key=..)` returns the parsed answer) and get the same errors: `botocore.exceptions.ClientError`
with `response["Error"]["Code"]`, `CancellationReasons` and `ResponseMetadata`. Retries follow
botocore's DynamoDB policy (10 attempts, 50 ms doubling) on throttling, 5xx answers, dropped
connections and a wrong CRC32. Tests and benchmarks may still hook `client.meta.events` as on
botocore's client; the emitter is botocore's own, built only when someone asks for it.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import (
    ChecksumError,
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    ReadTimeoutError,
    SSLError,
)

from .aws_sigv4 import Credentials, signed_headers

API_VERSION = "DynamoDB_20120810"
SERVICE = "dynamodb"
CONTENT_TYPE = "application/x-amz-json-1.0"
USER_AGENT = "retour-dynamodb-http/1 Python"
# botocore's retry policy for DynamoDB (botocore/data/_retry.json, legacy mode: its default).
MAX_ATTEMPTS = 10
BASE_DELAY_SECONDS = 0.05
RETRIED_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "ProvisionedThroughputExceededException", "TransactionInProgressException",
    "ReplicatedWriteConflictException",
})
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504, 509})
# A keep-alive connection the server already closed fails like this on its next use.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def default_endpoint(region: str) -> str:
    """DynamoDB's regional endpoint, unless the environment names another (as botocore reads it)."""
    configured = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("AWS_ENDPOINT_URL")
    if configured:
        return configured
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://dynamodb.{region}.{suffix}"


def operation_name(method: str) -> str:
    """`transact_write_items` -> `TransactWriteItems`, botocore's method-to-operation naming."""
    return "".join(part.capitalize() for part in method.split("_"))


@dataclass(frozen=True)
class OperationModel:
    """What botocore's event handlers read of an operation: its name."""

    name: str


@dataclass
class PreparedRequest:
    """The request as `before-send` handlers see it (botocore's AWSPreparedRequest's fields)."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    stream_output: bool = False


@dataclass
class HTTPAnswer:
    """A response as `after-call` handlers see it."""

    status_code: int
    headers: dict[str, str]
    content: bytes


@dataclass
class ClientMeta:
    """`client.meta` of botocore's client: the endpoint, the region and the event hooks."""

    endpoint_url: str
    region_name: str
    _events: Any = field(default=None, repr=False)

    @property
    def events(self) -> Any:
        """botocore's event emitter, loaded on first use (tests and benchmarks hook it)."""
        if self._events is None:
            from botocore.hooks import HierarchicalEmitter

            self._events = HierarchicalEmitter()
        return self._events


class DynamoDBHTTPClient:
    """DynamoDB over HTTP(S) with SigV4: `client.<operation>(**params)` -> the parsed answer."""

    def __init__(
        self, *, region: str, credentials: Callable[[], Credentials], endpoint_url: str | None = None,
        timeout_seconds: float = 60.0, max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._region = region
        self._credentials = credentials
        self._endpoint = endpoint_url or default_endpoint(region)
        parts = urlsplit(self._endpoint)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._path = parts.path or "/"
        self._timeout = timeout_seconds
        self._max_attempts = max_attempts
        self._local = threading.local()  # one keep-alive connection per thread
        self._ssl_context: Any = None
        self.meta = ClientMeta(endpoint_url=self._endpoint, region_name=region)

    def __getattr__(self, method: str) -> Callable[..., dict[str, Any]]:
        if method.startswith("_"):
            raise AttributeError(method)
        operation = operation_name(method)

        def call(**params: Any) -> dict[str, Any]:
            return self.call(operation, params)

        call.__name__ = method
        return call

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """One DynamoDB operation: the parsed answer, or ClientError as botocore raises it."""
        events = self.meta._events
        model = OperationModel(operation)
        context: dict[str, Any] = {}
        if events is not None:
            events.emit(f"before-parameter-build.{SERVICE}.{operation}", params=params, model=model,
                        context=context)
        body = json.dumps(params, separators=(",", ":")).encode()
        headers = {"Content-Type": CONTENT_TYPE, "X-Amz-Target": f"{API_VERSION}.{operation}"}
        short_circuit = None
        if events is not None:
            request_dict = {"url_path": "/", "query_string": "", "method": "POST", "headers": headers,
                            "body": body, "url": self._endpoint, "context": context}
            _, short_circuit = events.emit_until_response(
                f"before-call.{SERVICE}.{operation}", model=model, params=request_dict,
                request_signer=None, context=context)
        parsed: dict[str, Any]
        if short_circuit is not None:
            answer, parsed = short_circuit
        else:
            answer, parsed = self._send_with_retries(operation, headers, body, events)
        if events is not None:
            events.emit(f"after-call.{SERVICE}.{operation}", http_response=answer, parsed=parsed, model=model,
                        context=context)
        if answer.status_code >= 300:
            raise ClientError(parsed, operation)
        return parsed

    def _send_with_retries(
        self, operation: str, headers: dict[str, str], body: bytes, events: Any,
    ) -> tuple[HTTPAnswer, dict[str, Any]]:
        attempt = 0
        while True:
            attempt += 1
            failure: Exception | None = None
            answer: HTTPAnswer | None = None
            try:
                answer = self._attempt(operation, headers, body, events)
            except (OSError, http.client.HTTPException) as error:
                failure = error
            if answer is not None:
                parsed = _parse(answer, retries=attempt - 1)
                if not _should_retry(answer, parsed) or attempt >= self._max_attempts:
                    if _crc32_mismatch(answer):
                        raise ChecksumError(checksum_type="crc32",
                                            expected_checksum=answer.headers.get("x-amz-crc32"),
                                            actual_checksum=zlib.crc32(answer.content))
                    return answer, parsed
            elif attempt >= self._max_attempts:
                raise _connection_error(self._endpoint, failure)
            # Looked up on the module at call time, so a test may skip the waits.
            time.sleep(BASE_DELAY_SECONDS * 2 ** (attempt - 1))

    def _attempt(self, operation: str, headers: dict[str, str], body: bytes, events: Any) -> HTTPAnswer:
        signed = signed_headers("POST", self._endpoint, headers, body, credentials=self._credentials(),
                                region=self._region, service=SERVICE, now=datetime.now(UTC))
        signed["User-Agent"] = USER_AGENT
        signed["Accept-Encoding"] = "identity"
        if events is not None:
            request = PreparedRequest("POST", self._endpoint, signed, body)
            _, faked = events.emit_until_response(f"before-send.{SERVICE}.{operation}", request=request)
            if faked is not None:
                return HTTPAnswer(int(faked.status_code), {k.lower(): v for k, v in faked.headers.items()},
                                  bytes(faked.content or b""))
        reused = getattr(self._local, "connection", None) is not None
        try:
            return self._exchange(signed, body)
        except _STALE:
            if not reused:
                raise
            # The server closed our idle keep-alive connection: that is not an attempt.
            return self._exchange(signed, body)

    def _exchange(self, headers: dict[str, str], body: bytes) -> HTTPAnswer:
        connection = self._connection()
        try:
            connection.request("POST", self._path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        except BaseException:
            connection.close()
            self._local.connection = None
            raise
        if response.will_close:
            connection.close()
            self._local.connection = None
        return HTTPAnswer(response.status, {k.lower(): v for k, v in response.getheaders()}, content)

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            if self._https:
                connection = http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout,
                                                         context=self._tls())
            else:
                connection = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
            self._local.connection = connection
        return connection

    def _tls(self) -> Any:
        if self._ssl_context is None:
            import ssl

            # The CA bundle botocore would use, when the environment names one.
            self._ssl_context = ssl.create_default_context(cafile=os.environ.get("AWS_CA_BUNDLE") or None)
        return self._ssl_context


def _parse(answer: HTTPAnswer, *, retries: int) -> dict[str, Any]:
    """The answer as botocore parses DynamoDB's JSON protocol, errors included."""
    try:
        document = json.loads(answer.content) if answer.content else {}
    except ValueError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    metadata = {
        "RequestId": answer.headers.get("x-amzn-requestid", ""),
        "HTTPStatusCode": answer.status_code,
        "HTTPHeaders": answer.headers,
        "RetryAttempts": retries,
    }
    if answer.status_code < 300:
        return {**document, "ResponseMetadata": metadata}
    code = str(document.get("__type") or answer.status_code)
    code = code.split(":", 1)[0].rsplit("#", 1)[-1]
    message = document.get("message", document.get("Message", ""))
    # The error's own members (CancellationReasons, Item, ...) sit beside Error, as botocore puts them.
    members = {k: v for k, v in document.items() if k != "__type"}
    return {**members, "Error": {"Message": message, "Code": code}, "ResponseMetadata": metadata}


def _should_retry(answer: HTTPAnswer, parsed: dict[str, Any]) -> bool:
    if _crc32_mismatch(answer):
        return True
    if answer.status_code in RETRIED_STATUSES:
        return True
    return answer.status_code >= 400 and parsed.get("Error", {}).get("Code") in RETRIED_CODES


def _crc32_mismatch(answer: HTTPAnswer) -> bool:
    expected = answer.headers.get("x-amz-crc32")
    return expected is not None and int(expected) != zlib.crc32(answer.content)


def _connection_error(endpoint: str, failure: Exception | None) -> Exception:
    """botocore's exception for a request that never got an answer."""
    import ssl  # already loaded by http.client

    error: Exception
    if isinstance(failure, ssl.SSLError):  # a refused certificate, among others
        error = SSLError(endpoint_url=endpoint, error=failure)
    elif isinstance(failure, TimeoutError):
        error = ReadTimeoutError(endpoint_url=endpoint, error=failure)
    elif isinstance(failure, (*_STALE, http.client.HTTPException)):
        error = ConnectionClosedError(endpoint_url=endpoint, error=failure)
    else:
        error = EndpointConnectionError(endpoint_url=endpoint, error=failure)
    return error
