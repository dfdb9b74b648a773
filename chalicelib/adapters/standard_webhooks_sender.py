"""WebhookSender: signs per Standard Webhooks (the `standardwebhooks` library) and POSTs with the
standard library's http.client, to an address checked beforehand (domain/webhook_urls.py).

http.client rather than urllib: it follows no redirects at all (a 3xx is a failed attempt, so a
receiver cannot bounce us into the VPC), and it lets the connection go to the checked address
while TLS still verifies the certificate for the URL's host name (no second DNS lookup that a
rebinding name could answer differently).
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks import Webhook

from ..domain.webhook_urls import WebhookTarget
from ..services.ports.webhooks import SendResult

TIMEOUT_SECONDS = 10.0
# What is read of a receiver's answer at most (its body is not used).
_ANSWER_BYTES = 64 * 1024
USER_AGENT = "Retour-Webhooks/1"


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a given address, verifying the certificate for the URL's host name (SNI too)."""

    def __init__(self, host: str, address: str, port: int, *, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class StandardWebhooksSender:
    """Signs and sends one delivery; never raises for the receiver's failures (they are results).

    `tls`: the certificate authorities trusted (the system's by default; a test's own CA in tests).
    """

    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        self._tls = tls or ssl.create_default_context()

    def resolve(self, host: str) -> Sequence[str]:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        return [str(info[4][0]) for info in infos]

    def send(self, target: WebhookTarget, *, message_id: str, body: str, secret: str, now: datetime) -> SendResult:
        payload = body.encode("utf-8")
        headers = {
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(message_id, now, payload),
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        }
        started = time.monotonic()
        last_error = "no address to connect to"
        for address in target.addresses:
            connection: http.client.HTTPConnection
            if target.scheme == "https":
                connection = _PinnedHTTPSConnection(target.host, address, target.port, timeout=TIMEOUT_SECONDS,
                                                    context=self._tls)
            else:
                connection = http.client.HTTPConnection(address, target.port, timeout=TIMEOUT_SECONDS)
            try:
                connection.request("POST", target.path, body=payload, headers=headers)
                response = connection.getresponse()
                response.read(_ANSWER_BYTES)
                return SendResult(status_code=response.status, error="" if response.status < 300 else response.reason,
                                  duration_ms=_ms(started))
            except (OSError, http.client.HTTPException) as error:
                last_error = f"{type(error).__name__}: {error}"[:300]
                if isinstance(error, (socket.timeout, TimeoutError)):
                    break
            finally:
                connection.close()
        return SendResult(status_code=None, error=last_error, duration_ms=_ms(started))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
