"""The one HTML toolkit of the shopper, merchant and warehouse pages: rendering, CSRF tokens,
cookies, security headers and error pages.

A page family keeps what is its own (its templates, its session, its problem
page's words) and takes everything else from here, so the three cannot drift apart again.
Pages render through the one Jinja environment per language (adapters/jinja_templates.py).
"""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chalice.app import Response

from ..adapters import jinja_templates
from ..adapters.dynamodb_items import is_throttling
from ..domain.errors import AuthenticationError, RetourError
from ..services.ports.access import TokenSigner
from .errors import status_for

log = logging.getLogger("retour.pages")

# In the Lambda the vendor/templates link lands at the package root, beside app.py and
# chalicelib/; in a checkout it is the top-level templates/ folder. Same relative place.
TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"

# --- rendering --------------------------------------------------------------------------------

def render(template: str, lang: str, /, **context: Any) -> str:
    """`template` rendered in `lang`, through the one Jinja environment of that language
    (adapters/jinja_templates.py: the same words, names and formats as the emails)."""
    return jinja_templates.render(template, lang, **context)


def asset(name: str) -> bytes | None:
    """The bytes of a static asset shipped in templates/assets, or None."""
    path = (TEMPLATES / "assets" / name).resolve()
    if path.parent != (TEMPLATES / "assets").resolve() or not path.is_file():
        return None
    return path.read_bytes()


# --- security headers -------------------------------------------------------------------------

# Tokens live in URLs (approval links, status links, label links): no page, and no redirect,
# ever tells another site where it was. One value for every answer, pages and API alike.
SECURITY_HEADERS: dict[str, str] = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
# What a browser shown a page may not keep or index: no page is worth caching, none is public.
NO_STORE = "no-store"
NOINDEX = "noindex, nofollow"


@functools.cache
def page_csp(logo_url: str | None, photo_origin: str | None = None,
             payment_origins: tuple[str, ...] = ()) -> str:
    """The pages' policy: our own CSS only, no inline script or style, never framed, forms post
    only to us. The store's logo may come from its own origin. A page with photos (photos) adds
    the bucket's origin: its upload forms post there, its thumbnails load from there. The pay
    page adds Stripe's origins to its scripts, frames and calls, and no other page does."""
    images = "'self'"
    if logo_url:
        parts = urlsplit(logo_url)
        if parts.scheme == "https" and parts.netloc:
            images += f" https://{parts.netloc}"
    forms = "'self'"
    if photo_origin:
        images += f" {photo_origin}"
        forms += f" {photo_origin}"
    if payment_origins:
        stripe = " ".join(payment_origins)
        return (
            f"default-src 'self'; script-src 'self' {stripe}; style-src 'self'; "
            f"img-src {images}; object-src 'none'; frame-ancestors 'none'; "
            f"frame-src {stripe}; connect-src 'self' {stripe}; "
            f"form-action {forms}; base-uri 'none'"
        )
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src {images}; object-src 'none'; frame-ancestors 'none'; "
        f"form-action {forms}; base-uri 'none'"
    )


def page(body: str, *, status: int = 200, lang: str, logo_url: str | None, cookies: Sequence[str] = (),
         noindex: bool = False, photo_origin: str | None = None,
         payment_origins: tuple[str, ...] = ()) -> Response:
    """An HTML page with the headers every page carries (and its cookies, when it sets any)."""
    headers: dict[str, str | list[str]] = {"Content-Type": "text/html; charset=utf-8", "Content-Language": lang,
                                           "Content-Security-Policy": page_csp(logo_url, photo_origin,
                                                                               payment_origins)}
    if noindex:
        headers["X-Robots-Tag"] = NOINDEX
    return _answer(status, body, headers, cookies)


def redirect(location: str, *, cookies: Sequence[str] = ()) -> Response:
    """A 303 after a page's POST (or a GET that only forwards): a reload never posts twice."""
    return _answer(303, "", {"Location": location}, cookies)


def _answer(status: int, body: str, headers: dict[str, str | list[str]], cookies: Sequence[str]) -> Response:
    headers["Cache-Control"] = NO_STORE
    headers.update(SECURITY_HEADERS)
    if cookies:
        headers["Set-Cookie"] = list(cookies) if len(cookies) > 1 else cookies[0]
    return Response(body=body, status_code=status, headers=headers)


# --- cookies ----------------------------------------------------------------------------------

def cookie(name: str, value: str, *, path: str, max_age: timedelta | int, secure: bool,
           same_site: str = "Lax") -> str:
    """Set-Cookie for a page cookie: always HttpOnly, Secure except on the local stage (plain HTTP)."""
    seconds = int(max_age.total_seconds()) if isinstance(max_age, timedelta) else max_age
    flags = f"; Path={path}; Max-Age={seconds}; HttpOnly; SameSite={same_site}"
    return f"{name}={value}{flags}{'; Secure' if secure else ''}"


def cleared_cookie(name: str, *, path: str, secure: bool, same_site: str = "Lax") -> str:
    """Set-Cookie that makes the browser forget cookie `name` at `path`."""
    return cookie(name, "", path=path, max_age=0, secure=secure, same_site=same_site)


def cookie_value(cookie_header: str | None, name: str) -> str | None:
    """The value of cookie `name` in a Cookie header, or None."""
    if not cookie_header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


# --- CSRF -------------------------------------------------------------------------------------

# The hidden field every page form carries its token in, in every family.
CSRF_FIELD = "csrf"


def csrf_token(tokens: TokenSigner, bound_to: str, *, purpose: str, now: datetime, ttl: timedelta) -> str:
    """The token a page's POST forms carry: `bound_to` (a session's nonce, a link's hash) signed
    for the family's own `purpose`, so one family's token never passes for another's."""
    return tokens.issue(bound_to, purpose=purpose, now=now, ttl=ttl)


def csrf_is_valid(tokens: TokenSigner, bound_to: str, presented: str | None, *, purpose: str,
                  now: datetime) -> bool:
    """True when `presented` was issued for `bound_to` and `purpose` (compared in constant time)."""
    if not presented or not bound_to:
        return False
    try:
        subject = tokens.verify(presented, purpose=purpose, now=now)
    except AuthenticationError:
        return False
    return hmac.compare_digest(subject.encode("utf-8"), bound_to.encode("utf-8"))


# --- error pages ------------------------------------------------------------------------------

def answering_errors(family: str, view: Callable[[], Response], problem: Callable[[int], Response]) -> Response:
    """`view()`, with any error answered by the family's `problem` page (never Chalice's JSON 500).

    A RetourError gets its status from the one table (web/errors.py); DynamoDB throttling past
    the SDK's retries a 503 that says when to try again (nothing was written: every change is one
    conditional request); anything else is logged whole and answered with a 500 page.
    """
    try:
        return view()
    except RetourError as error:
        return problem(status_for(error))
    except Exception as error:
        if is_throttling(error):
            log.warning("throttled by DynamoDB past the SDK's retries")
            busy = problem(503)
            busy.headers["Retry-After"] = "2"
            return busy
        log.exception("unhandled error on a %s page", family)
        return problem(500)
