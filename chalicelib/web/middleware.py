"""Request middleware: a request id on every log line and one access log line per request."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from chalice.app import Chalice, Response

from .request_logging import configure_logging, request_id

log = logging.getLogger("retour.http")


def _request_id_of(event: Any) -> str:
    context = getattr(event, "context", None) or {}
    return str(context.get("requestId") or uuid.uuid4())


def install_middleware(app: Chalice) -> None:
    """Register the HTTP middleware on `app`."""
    configure_logging()

    @app.middleware("http")
    def handle(event: Any, get_response: Callable[[Any], Response]) -> Response:
        token = request_id.set(_request_id_of(event))
        started = time.perf_counter()
        try:
            response = get_response(event)
            response.headers["X-Request-Id"] = request_id.get()
            log.info(
                "request",
                extra={
                    "method": event.method,
                    "route": getattr(event, "context", {}).get("resourcePath"),
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            request_id.reset(token)
