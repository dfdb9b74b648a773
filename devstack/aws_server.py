"""The local AWS endpoint: moto in server mode on loopback, handling one request at a time."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from devstack import moto_query, totp
from devstack.s3_post_policy import PostPolicies

HOST = "127.0.0.1"
# The messages the local SES accepted, as moto's /moto-api/data.json lists them under
# ses.RawMessage, without the rest: data.json serialises every model instance of every service
# (every DynamoDB item too), which takes seconds once a test session has filled the tables.
SES_OUTBOX_PATH = "/_retour/ses-outbox.json"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

TRANSACT_WRITE = "DynamoDB_20120810.TransactWriteItems"
# DynamoDB answers a TransactWriteItems repeated with the same ClientRequestToken within ten
# minutes as the first call was answered, without writing again.
IDEMPOTENCY_SECONDS = 600


class TransactionTokens:
    """DynamoDB's idempotent TransactWriteItems, which moto lacks: a retry of a committed
    transaction (its answer lost on the way) is answered as done, not as its own conflict."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        # token -> (digest of the other parameters, when, the committed answer)
        self._done: dict[str, tuple[str, float, tuple[str, list[tuple[str, str]], bytes]]] = {}

    def __call__(self, app: WSGIApp, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes] | None:
        """The answer for a repeated token, or None after running `app` (remembering a success)."""
        if environ.get("HTTP_X_AMZ_TARGET") != TRANSACT_WRITE:
            return None
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            params = json.loads(body)
        except ValueError:
            return None
        token = params.pop("ClientRequestToken", None) if isinstance(params, dict) else None
        if not isinstance(token, str):
            return None
        digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()
        now = self._clock()
        seen = self._done.get(token)
        if seen is not None and now - seen[1] < IDEMPOTENCY_SECONDS:
            if seen[0] != digest:
                return _json_error(start_response, "IdempotentParameterMismatchException",
                                   "The request uses the same client token as a previous, but non-identical request.")
            status, headers, answer = seen[2]
            start_response(status, headers)
            return [answer]
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            captured.update(status=status, headers=headers)
            return start_response(status, headers, *rest)

        result = app(environ, capture)
        try:
            answer = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if captured.get("status", "").startswith("200"):
            self._done[token] = (digest, now, (captured["status"], list(captured["headers"]), answer))
        return [answer]


def _json_error(start_response: Callable[..., Any], code: str, message: str) -> list[bytes]:
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}).encode()
    start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.0"),
                                       ("Content-Length", str(len(body)))])
    return [body]


COGNITO = "AWSCognitoIdentityProviderService."


class SoftwareTokens:
    """Cognito's TOTP rule, which moto lacks (it hands every user one fixed secret and takes any
    code): each AssociateSoftwareToken gets a secret of its own, and VerifySoftwareToken and a
    SOFTWARE_TOKEN_MFA answer are refused unless the code is that secret's (RFC 6238, 30 s, one
    step either side). A challenge session that got a wrong code is spent, as Cognito's is."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        # ("AccessToken" | "Session", its value) -> the secret handed out, until verified
        self._pending: dict[tuple[str, str], str] = {}
        # (user pool id, moto's username) -> the verified secret
        self._secrets: dict[tuple[str, str], str] = {}
        self._spent: set[str] = set()

    def __call__(self, app: WSGIApp, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes] | None:
        """The answer to a TOTP call of Cognito's, or None for every other request."""
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        action = target.removeprefix(COGNITO) if target.startswith(COGNITO) else ""
        if action not in ("AssociateSoftwareToken", "VerifySoftwareToken", "RespondToAuthChallenge"):
            return None
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            params = json.loads(body)
        except ValueError:
            return None
        if not isinstance(params, dict):
            return None
        if action == "AssociateSoftwareToken":
            return self._associate(app, environ, start_response, params)
        if action == "VerifySoftwareToken":
            return self._verify(app, environ, start_response, params)
        if params.get("ChallengeName") == "SOFTWARE_TOKEN_MFA":
            return self._answer(app, environ, start_response, params)
        return None

    @staticmethod
    def _holder(params: dict[str, Any]) -> tuple[str, str] | None:
        for name in ("AccessToken", "Session"):
            if isinstance(params.get(name), str) and params[name]:
                return name, params[name]
        return None

    def _associate(self, app: WSGIApp, environ: dict[str, Any], start_response: Callable[..., Any],
                   params: dict[str, Any]) -> list[bytes]:
        status, headers, answer = _run(app, environ)
        holder = self._holder(params)
        if status.startswith("200") and holder is not None:
            secret = totp.new_secret()
            self._pending[holder] = secret
            answer = json.dumps({**json.loads(answer), "SecretCode": secret}).encode()
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(answer))))
        start_response(status, headers)
        return [answer]

    def _verify(self, app: WSGIApp, environ: dict[str, Any], start_response: Callable[..., Any],
                params: dict[str, Any]) -> list[bytes]:
        holder = self._holder(params)
        secret = self._pending.get(holder) if holder is not None else None
        if holder is None or secret is None:
            return _cognito_error(start_response, "InvalidParameterException",
                                  "Software token TOTP has not been associated with this user.")
        if not totp.is_valid(secret, str(params.get("UserCode", "")), self._clock()):
            return _cognito_error(start_response, "EnableSoftwareTokenMFAException",
                                  "Code mismatch and fail enable Software Token MFA")
        user = _user_of_token(holder[1]) if holder[0] == "AccessToken" else _user_of_session(holder[1])
        status, headers, answer = _run(app, environ)
        if status.startswith("200") and user is not None:
            self._secrets[user] = secret
            del self._pending[holder]
        start_response(status, headers)
        return [answer]

    def _answer(self, app: WSGIApp, environ: dict[str, Any], start_response: Callable[..., Any],
                params: dict[str, Any]) -> list[bytes] | None:
        session = str(params.get("Session", ""))
        if session in self._spent:
            return _cognito_error(start_response, "NotAuthorizedException",
                                  "Invalid session for the user, session can only be used once.")
        responses = params.get("ChallengeResponses") or {}
        user = _user_of_client(str(params.get("ClientId", "")), str(responses.get("USERNAME", "")))
        if user is None:
            return None  # moto answers a stranger as Cognito would
        secret = self._secrets.get(user)
        code = str(responses.get("SOFTWARE_TOKEN_MFA_CODE", ""))
        if secret is None or not totp.is_valid(secret, code, self._clock()):
            self._spent.add(session)
            return _cognito_error(start_response, "CodeMismatchException", "Invalid code received for user")
        status, headers, answer = _run(app, environ)
        start_response(status, headers)
        return [answer]


def _run(app: WSGIApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    captured: dict[str, Any] = {}

    def capture(status: str, headers: list[tuple[str, str]], *rest: Any) -> Callable[[bytes], None]:
        captured.update(status=status, headers=list(headers))
        return lambda data: None

    result = app(environ, capture)
    try:
        answer = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return captured["status"], captured["headers"], answer


def _cognito_backends() -> Iterator[Any]:
    from moto.cognitoidp.models import cognitoidp_backends

    for account in list(cognitoidp_backends.values()):
        yield from list(account.values())


def _user_of_token(access_token: str) -> tuple[str, str] | None:
    for backend in _cognito_backends():
        for pool in backend.user_pools.values():
            if access_token in pool.access_tokens:
                user = pool._get_user(pool.access_tokens[access_token][1])
                return (pool.id, user.username) if user is not None else None
    return None


def _user_of_session(session: str) -> tuple[str, str] | None:
    for backend in _cognito_backends():
        if session in backend.sessions:
            username, pool = backend.sessions[session]
            user = pool._get_user(username)
            return (pool.id, user.username) if user is not None else None
    return None


def _user_of_client(client_id: str, username: str) -> tuple[str, str] | None:
    for backend in _cognito_backends():
        for pool in backend.user_pools.values():
            if client_id in pool.clients:
                user = pool._get_user(username)
                return (pool.id, user.username) if user is not None else None
    return None


def _cognito_error(start_response: Callable[..., Any], code: str, message: str) -> list[bytes]:
    body = json.dumps({"__type": code, "message": message}).encode()
    start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.1"),
                                       ("Content-Length", str(len(body)))])
    return [body]


class SerializedApp:
    """A WSGI app that lets only one request at a time into the app it wraps, answers a
    repeated transaction token as DynamoDB does, checks TOTP codes as Cognito does, and browser
    uploads against their POST policy as S3 does."""

    def __init__(self, app: WSGIApp) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._tokens = TransactionTokens()
        self._software_tokens = SoftwareTokens()
        self._post_policies = PostPolicies()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("PATH_INFO") == SES_OUTBOX_PATH and environ.get("REQUEST_METHOD") == "GET":
            with self._lock:
                body = json.dumps({"RawMessage": _sent_raw_messages()}).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        # moto reads, checks and writes an item without a lock of its own, so two threads could
        # both pass one ConditionExpression; DynamoDB never allows that. The body is consumed
        # inside the lock too, because a lazy body may still be computing from the backend.
        with self._lock:
            for rule in (self._tokens, self._software_tokens, self._post_policies):
                answered = rule(self._app, environ, start_response)
                if answered is not None:
                    return answered
            result = self._app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold every request off, for code in this process that writes moto's models directly."""
        with self._lock:
            yield


def _sent_raw_messages() -> list[dict[str, Any]]:
    """Every message the local SES accepted, oldest first: source, destinations and raw MIME."""
    from moto.core.model_instances import model_data

    model = model_data.get("ses", {}).get("RawMessage")
    if model is None:
        return []
    return [{"id": m.id, "source": m.source, "destinations": list(m.destinations), "raw_data": m.raw_data}
            for m in model.instances_tracked]  # type: ignore[attr-defined]


def build_app() -> SerializedApp:
    """moto's dispatcher for every service it emulates, behind one lock, its DynamoDB Query
    reading only the asked partition as DynamoDB does (devstack/moto_query.py)."""
    moto_query.install()
    return SerializedApp(DomainDispatcherApplication(create_backend_app))


@dataclass
class ThreadedServer:
    """The local AWS server on a thread of this process (for a benchmark that also loads moto's
    models directly); the same app, lock and Query as the stand-alone server."""

    app: SerializedApp
    server: Any  # werkzeug's BaseWSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


def serve_in_thread(port: int = 0) -> ThreadedServer:
    """Start the server on a daemon thread (port 0: any free one); it answers on return."""
    app = build_app()
    server = make_server(HOST, port, app, threaded=True, request_handler=MotoRequestHandler)
    os.environ.setdefault("MOTO_PORT", str(server.server_address[1]))
    thread = threading.Thread(target=server.serve_forever, name="aws_server", daemon=True)
    thread.start()
    return ThreadedServer(app=app, server=server, thread=thread)


def _stop(signum: int, frame: FrameType | None) -> None:
    # Raised in the main thread, it unwinds serve_forever() so the socket is closed cleanly.
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> None:
    """Serve until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("RETOUR_AWS_PORT", 4566)))
    args = parser.parse_args(argv)

    # Accepting stays threaded so a slow client cannot stall the listener; handling is serialized.
    server = make_server(HOST, args.port, build_app(), threaded=True, request_handler=MotoRequestHandler)
    port = server.server_address[1]
    # moto builds some resource URLs (SQS queue URLs) from this.
    os.environ.setdefault("MOTO_PORT", str(port))
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(f"aws_server ready on http://{HOST}:{port}", flush=True)
    try:
        server.serve_forever()
    except SystemExit:
        pass  # a requested stop, raised by _stop
    server.server_close()
    sys.stdout.flush()
    sys.stderr.flush()
    # Nothing is kept; letting the interpreter collect moto's backends object by object
    # takes seconds after a busy test session.
    os._exit(0)


if __name__ == "__main__":
    main()
