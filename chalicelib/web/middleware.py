"""Request middleware: a request id on every log line, one access log line per request, and the
security headers of every answer."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from chalice.app import Chalice, Response

from ..bootstrap import get_deps
from .errors import json_error
from .request_logging import configure_logging, request_id

log = logging.getLogger("retour.http")

# Two years, the preload list's minimum; only where TLS is certain (API Gateway), never on loopback.
HSTS = "max-age=63072000; includeSubDomains"
# JSON, PDFs and redirects load nothing: a browser that renders one anyway may run nothing.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


@functools.cache
def page_csp(logo_url: str | None) -> str:
    """The pages' policy: our own CSS only, no inline script or style, never framed, forms post
    only to us. The store's logo may come from its own origin."""
    images = "'self'"
    if logo_url:
        parts = urlsplit(logo_url)
        if parts.scheme == "https" and parts.netloc:
            images += f" https://{parts.netloc}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src {images}; object-src 'none'; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'none'"
    )


def add_security_headers(response: Response, *, logo_url: str | None, local: bool) -> None:
    """Set the headers every answer carries; a page (HTML) gets the page policy."""
    headers = response.headers
    content_type = str(headers.get("Content-Type") or headers.get("content-type") or "")
    headers["Content-Security-Policy"] = page_csp(logo_url) if content_type.startswith("text/html") else API_CSP
    headers["X-Content-Type-Options"] = "nosniff"
    # Tokens live in URLs (approval links, label links): no page ever tells another site where it was.
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    if not local:
        headers["Strict-Transport-Security"] = HSTS


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
        from .shopper_pages import refusal_page  # pages load Jinja2 and the catalogs: only here

        page = refusal_page(event, response.status_code)
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
    import uuid  # API Gateway always sends an id; only local tools need one made up

    return str(uuid.uuid4())
