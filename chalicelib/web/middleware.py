"""Request middleware: a request id on every log line, one access log line per request, and the
security headers of every answer."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from chalice.app import Chalice, Response

from ..bootstrap import get_deps
from . import merchant_pages, warehouse_pages
from .errors import json_error
from .html import SECURITY_HEADERS, page_csp
from .pages import page
from .request_logging import configure_logging, request_id

log = logging.getLogger("retour.http")

# Two years, the preload list's minimum; only where TLS is certain (API Gateway), never on loopback.
HSTS = "max-age=63072000; includeSubDomains"
# JSON, PDFs and redirects load nothing: a browser that renders one anyway may run nothing.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def add_security_headers(response: Response, *, logo_url: str | None, local: bool) -> None:
    """Give every answer the headers of web/html.py it does not carry yet; a page (HTML) gets the
    page policy. An answer's own value is kept: a page says what it means once, in the toolkit,
    and nothing here silently replaces it."""
    headers = response.headers
    present = {name.lower() for name in headers}

    def default(name: str, value: str) -> None:
        if name.lower() not in present:
            headers[name] = value

    content_type = str(headers.get("Content-Type") or headers.get("content-type") or "")
    default("Content-Security-Policy", page_csp(logo_url) if content_type.startswith("text/html") else API_CSP)
    for name, value in SECURITY_HEADERS.items():
        default(name, value)
    if not local:
        default("Strict-Transport-Security", HSTS)


_CHALICE_CODES = {"UnsupportedMediaType": "unsupported_media_type", "MethodNotAllowedError": "method_not_allowed",
                  "BadRequest": "bad_request", "BadRequestError": "bad_request"}


# Routes whose clients read JSON; every other route is a page a browser shows.
_JSON_PREFIXES = ("/api/", "/webhooks/", "/assets/", "/_")


def in_our_error_shape(response: Response, event: Any = None) -> Response:
    """Chalice's own refusals (415 for a content type a route does not take, 405, ...) answer
    `{"Code", "Message"}`; clients of our API get every error as `{"error": {"code", "message"}}`,
    and a browser on a page gets the error page in its language."""
    body = response.body
    if not (400 <= response.status_code < 500 and isinstance(body, dict) and set(body) == {"Code", "Message"}):
        return response
    route = str((getattr(event, "context", None) or {}).get("resourcePath") or "")
    if event is not None and route.startswith("/") and not route.startswith(_JSON_PREFIXES):
        page = _refusal_page(route, event, response.status_code)
        for name, value in response.headers.items():
            if name.lower() not in ("content-type", "content-length"):
                page.headers.setdefault(name, value)
        return page
    chalice_code = str(body["Code"])
    code = _CHALICE_CODES.get(chalice_code) or "".join(
        f"_{c.lower()}" if c.isupper() else c for c in chalice_code).lstrip("_")
    translated = json_error(response.status_code, code, str(body["Message"]) or chalice_code)
    for name, value in response.headers.items():
        if name.lower() != "content-type":
            translated.headers[name] = value
    return translated


def _refusal_page(route: str, event: Any, status: int) -> Response:
    """The refusal as a page of the route's own family, in its reader's language."""
    if route.startswith("/merchant/"):
        return merchant_pages.problem_page(event, status)
    if route == "/warehouse" or route.startswith("/warehouse/"):
        return warehouse_pages.problem_page(event, status)
    return page.refusal_page(event, status)


def install_middleware(app: Chalice) -> None:
    """Register the HTTP middleware on `app`."""
    configure_logging()

    @app.middleware("http")
    def handle(event: Any, get_response: Callable[[Any], Response]) -> Response:
        token = request_id.set(_request_id_of(event))
        started = time.perf_counter()
        try:
            response = in_our_error_shape(get_response(event), event)
            response.headers["X-Request-Id"] = request_id.get()
            settings = get_deps().settings
            add_security_headers(response, logo_url=settings.store_logo_url, local=settings.is_local)
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


def _request_id_of(event: Any) -> str:
    context = getattr(event, "context", None) or {}
    if context.get("requestId"):
        return str(context["requestId"])
    # API Gateway always sends an id; only local tools need one made up.
    return str(uuid.uuid4())
