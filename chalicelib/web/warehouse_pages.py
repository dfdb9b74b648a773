"""`/warehouse`: staff sign in with the admin key, scan a label's RMA, see its lines, mark it received.

The pages speak the language the scanning device's browser asks for (Accept-Language), among our
four; a device set to any other language gets the store's own (the merchant_locale setting), not
English. A warehouse's staff need not share the owner's language, and whoever set up the device
chose the language its user reads; the store's language is the best guess when it names none of ours.

The key is posted once in a form and never travels in a URL; the page then holds a signed,
HttpOnly, SameSite=Strict session cookie (8 hours) scoped to /warehouse. Every POST carries a
CSRF token signed for the session's nonce (the sign-in form for a pre-session nonce).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from chalice.app import Blueprint, Request, Response

from ..bootstrap import Deps, get_deps
from ..domain.errors import AuthenticationError, ConflictError, NotFoundError, RateLimitedError
from ..domain.return_request import ReturnRequest, normalize_rma
from ..locales import N_, catalog, locale_or_default
from ..locales.names import status_name
from ..services.check_admin_key import check_admin_key
from ..services.read_return import read_return
from ..services.receive_return import receive_return
from . import html
from .forms import read_form
from .html import cookie_value
from .locale_negotiation import from_accept_language
from .shopper_api import client_address

warehouse_pages = Blueprint(__name__)

COOKIE = "retour_warehouse"
SESSION_PURPOSE = "warehouse-session"
CSRF_PURPOSE = "warehouse-csrf"
SESSION_TTL = timedelta(hours=8)
FORM = ["application/x-www-form-urlencoded", "multipart/form-data"]
_STAFF = "staff:"
_GUEST = "guest:"
# Why a scanned return can't be received, for the codes receive_return names; any other clash
# (pending, rejected) says the return's status.
REFUSALS = {
    "return_cancelled": N_("This return can't be received now: return cancelled by the shopper."),
    "return_expired": N_("This return can't be received now: return expired before its parcel arrived."),
}


def page_language(request: Request | None, merchant_locale: str) -> str:
    """The warehouse page's language: the browser's choice among ours, else the store's."""
    headers = request.headers if request is not None else {}
    return from_accept_language(headers.get("accept-language")) or locale_or_default(merchant_locale)


class _Visit:
    """The current request's staff session: its nonce and whether it is signed in."""

    def __init__(self) -> None:
        self.deps: Deps = get_deps()
        self.request = warehouse_pages.current_request
        self.now = self.deps.clock.now()
        self.lang = page_language(self.request, self.deps.settings.merchant_locale)
        self.signed_in = False
        self.nonce = ""
        self.new_cookie: str | None = None
        token = cookie_value(self.request.headers.get("cookie"), COOKIE)
        if token:
            try:
                subject = self.deps.tokens.verify(token, purpose=SESSION_PURPOSE, now=self.now)
                self.signed_in = subject.startswith(_STAFF)
                self.nonce = subject.split(":", 1)[1]
            except AuthenticationError:
                self.nonce = ""
        if not self.nonce:
            self._start(_GUEST)

    def _start(self, kind: str, ttl: timedelta = timedelta(minutes=30)) -> None:
        self.nonce = secrets.token_urlsafe(16)
        self.signed_in = kind == _STAFF
        token = self.deps.tokens.issue(f"{kind}{self.nonce}", purpose=SESSION_PURPOSE, now=self.now, ttl=ttl)
        self.new_cookie = html.cookie(COOKIE, token, path="/warehouse", max_age=ttl, same_site="Strict",
                                      secure=not self.deps.settings.is_local)

    def sign_in(self) -> None:
        self._start(_STAFF, SESSION_TTL)

    def sign_out(self) -> None:
        self.signed_in = False
        self.new_cookie = html.cleared_cookie(COOKIE, path="/warehouse", same_site="Strict",
                                              secure=not self.deps.settings.is_local)

    def csrf(self) -> str:
        return html.csrf_token(self.deps.tokens, self.nonce, purpose=CSRF_PURPOSE, now=self.now, ttl=SESSION_TTL)

    def form(self) -> dict[str, str]:
        return read_form(self.request.raw_body)

    def check_csrf(self, form: dict[str, str]) -> bool:
        return html.csrf_is_valid(self.deps.tokens, self.nonce, form.get(html.CSRF_FIELD), purpose=CSRF_PURPOSE, now=self.now)

    def page(self, template: str, *, status: int = 200, **context: Any) -> Response:
        context.setdefault("lines", [])
        context.setdefault("done_link", "")
        context.setdefault("refusal", "")
        body = html.render(f"warehouse/{template}", self.lang, store_name=self.deps.settings.store_name,
                           csrf=self.csrf(), signed_in=self.signed_in, **context)
        return html.page(body, status=status, lang=self.lang, logo_url=self.deps.settings.store_logo_url,
                         cookies=self._cookies(), noindex=True)

    def redirect(self, location: str) -> Response:
        return html.redirect(location, cookies=self._cookies())

    def _cookies(self) -> list[str]:
        return [self.new_cookie] if self.new_cookie else []


def _problem(status: int) -> Response:
    """The page for an error no view answered itself (a form past the limits, a fault of ours)."""
    settings = get_deps().settings
    lang = page_language(warehouse_pages.current_request, settings.merchant_locale)
    body = html.render("warehouse/problem.html", lang, store_name=settings.store_name, signed_in=False, csrf="",
                       status=status)
    return html.page(body, status=status, lang=lang, logo_url=settings.store_logo_url, noindex=True)


def problem_page(request: Request, status: int) -> Response:
    """Chalice's own refusal of a warehouse request (a 415, a 405) as a warehouse page."""
    return _problem(status)


def warehouse_view(path: str, **options: Any) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Register a warehouse page: any error becomes a warehouse page, never JSON."""

    def register(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def handler(*args: Any, **kwargs: Any) -> Response:
            return html.answering_errors("warehouse", lambda: view(*args, **kwargs), _problem)

        warehouse_pages.route(path, **options)(handler)
        return handler

    return register


def _lines(deps: Deps, request: ReturnRequest) -> list[dict[str, Any]]:
    order = deps.orders.get(request.order_number)
    rows = []
    for line in request.lines:
        found = order.line(line.line_id) if order is not None else None
        # The reason is a code: the page names it (reason_name) in the words of the packing slip.
        rows.append({"line_id": line.line_id, "quantity": line.quantity, "reason": line.reason,
                     "title": found.title if found else line.line_id, "sku": found.sku if found else ""})
    return rows


def _refusal(visit: _Visit, code: str, found: ReturnRequest) -> str:
    """Why `found` can't be received, in the page's language."""
    words = catalog(visit.lang)
    message = REFUSALS.get(code)
    if message is not None:
        return words.gettext(message)
    return words.gettext("This return can't be received now (%(status)s).") % {
        "status": status_name(found.status, visit.lang)}


@warehouse_view("/warehouse", methods=["GET"])
def get_warehouse() -> Response:
    """Sign-in form, or the scan form (with the return scanned, when `?rma=` is given)."""
    visit = _Visit()
    if not visit.signed_in:
        return visit.page("sign_in.html", problem=None)
    params: dict[str, str] = dict(visit.request.query_params or {})
    typed = params.get("rma", "").strip()
    if not typed:
        return visit.page("scan.html", found=None, problem=None, typed="", done=None)
    try:
        found = read_return(visit.deps, typed, order_number=None)
    except NotFoundError:
        return visit.page("scan.html", found=None, problem="not_found", typed=typed, done=None, status=404)
    return visit.page("scan.html", found=found, lines=_lines(visit.deps, found), problem=None, typed=found.rma,
                      done=None)


@warehouse_view("/warehouse/sign-in", methods=["POST"], content_types=FORM)
def post_sign_in() -> Response:
    """Check the admin key posted in the form; on success a staff session cookie.

    Ten wrong keys from one address in 15 minutes, here and on the admin API together, close
    the form (and the API) to that address until the window ends (services/check_admin_key.py).
    """
    visit = _Visit()
    form = visit.form()
    if not visit.check_csrf(form):
        return visit.page("sign_in.html", status=403, problem="expired")
    try:
        check_admin_key(visit.deps, form.get("admin_key"), client_address=client_address(visit.request.context))
    except RateLimitedError as error:
        minutes = max(1, -(-error.retry_after // 60))
        limited = visit.page("sign_in.html", status=429, problem="too_many", minutes=minutes)
        limited.headers["Retry-After"] = str(error.retry_after)
        return limited
    except AuthenticationError:
        return visit.page("sign_in.html", status=401, problem="wrong_key")
    visit.sign_in()
    return visit.redirect("/warehouse")


@warehouse_view("/warehouse/sign-out", methods=["POST"], content_types=FORM)
def post_sign_out() -> Response:
    visit = _Visit()
    if visit.check_csrf(visit.form()):
        visit.sign_out()
    return visit.redirect("/warehouse")


@warehouse_view("/warehouse/receive", methods=["POST"], content_types=FORM)
def post_receive() -> Response:
    """Mark the scanned return received; the page then waits for the next parcel."""
    visit = _Visit()
    form = visit.form()
    if not visit.signed_in:
        return visit.redirect("/warehouse")
    if not visit.check_csrf(form):
        return visit.page("scan.html", status=403, found=None, problem="expired", typed="", done=None)
    rma = normalize_rma(form.get("rma", "")) or ""
    try:
        received = receive_return(visit.deps, rma, received_by="warehouse")
    except NotFoundError:
        return visit.page("scan.html", status=404, found=None, problem="not_found", typed=rma, done=None)
    except ConflictError as error:
        found = read_return(visit.deps, rma, order_number=None)
        return visit.page("scan.html", status=409, found=found, lines=_lines(visit.deps, found),
                          problem=error.code, refusal=_refusal(visit, error.code, found), typed=rma, done=None)
    return visit.page("scan.html", found=None, problem=None, typed="", done=received,
                      done_link=f"/warehouse?rma={quote(received.rma)}")
