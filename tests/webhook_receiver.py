"""A store system's webhook receiver on 127.0.0.1, for functional and e2e tests.

It verifies every request with the `standardwebhooks` library, as a receiver following
docs/webhooks.md would, and records what came. `fail_first(n)` makes it answer 500 to the next
n requests (a receiver that is down for a moment), so retries can be seen.

    with WebhookReceiver() as receiver:
        ... register receiver.url, then receiver.secret = answer["secret"]
        receiver.wait_for(lambda got: any(r.type == "return.refunded" for r in got))
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Received:
    """One request as it arrived: its id, headers, body, whether its signature held, our answer."""

    webhook_id: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    answered: int

    @property
    def payload(self) -> Any:
        return json.loads(self.body)

    @property
    def type(self) -> str:
        return str(self.payload.get("type"))


class WebhookReceiver:
    """An HTTP server in a thread that verifies and records webhook POSTs."""

    def __init__(self) -> None:
        self.secret: str | None = None
        # The id Retour gave the endpoint this receiver was registered as (set by the test).
        self.endpoint_id = ""
        self.received: list[Received] = []
        self._failures = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified = False
                if receiver.secret:
                    try:
                        Webhook(receiver.secret).verify(body, headers)
                        verified = True
                    except WebhookVerificationError:
                        verified = False
                with receiver._lock:
                    answer = 204 if verified else 400
                    if receiver._failures > 0:
                        receiver._failures -= 1
                        answer = 500
                    receiver.received.append(Received(headers.get("webhook-id", ""), headers, body, verified, answer))
                self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks"

    def fail_first(self, count: int) -> None:
        with self._lock:
            self._failures = count

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def wait_for(self, done: Callable[[list[Received]], bool], *, timeout: float = 20.0,
                 step: Callable[[], object] | None = None) -> list[Received]:
        """Wait until `done(received)`; `step` is called between looks (a test's relay round)."""
        deadline = time.monotonic() + timeout
        while True:
            if step is not None:
                step()
            got = self.snapshot()
            if done(got):
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"the receiver did not get what was expected: {[r.type for r in got]}")
            time.sleep(0.1)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
