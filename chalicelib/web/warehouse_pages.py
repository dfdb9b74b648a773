"""`/warehouse`: staff sign in with the admin key, scan a label's RMA, see its lines, mark it received.

The key is posted once in a form and never travels in a URL; the page then holds a signed,
HttpOnly, SameSite=Strict session cookie (8 hours) scoped to /warehouse. Every POST carries a
CSRF token signed for the session's nonce (the sign-in form for a pre-session nonce).
"""

from __future__ import annotations

import functools
import hmac
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from chalice.app import Blueprint, Response

from ..adapters.dynamodb_items import is_throttling
from ..bootstrap import Deps, get_deps
from ..domain.errors import AuthenticationError, ConflictError, NotFoundError, RateLimitedError, RetourError
from ..domain.return_request import ReturnRequest, normalize_rma
from .errors import status_for
from .forms import read_form
from .rendering import render
from .sessions import cookie_value
from .shopper_api import client_address

log = logging.getLogger("retour.pages")

warehouse_pages = Blueprint(__name__)

COOKIE = "retour_warehouse"
SESSION_PURPOSE = "warehouse-session"
CSRF_PURPOSE = "warehouse-csrf"
SESSION_TTL = timedelta(hours=8)
FORM = ["application/x-www-form-urlencoded", "multipart/form-data"]
_STAFF = "staff:"
_GUEST = "guest:"
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY"}


class _Visit:
    """The current request's staff session: its nonce and whether it is signed in."""

    def __init__(self) -> None:
        self.deps: Deps = get_deps()
        self.request = warehouse_pages.current_request
        self.now = self.deps.clock.now()
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
        flags = f"Path=/warehouse; Max-Age={int(ttl.total_seconds())}; HttpOnly; SameSite=Strict"
        secure = "" if self.deps.settings.is_local else "; Secure"
        self.new_cookie = f"{COOKIE}={token}; {flags}{secure}"

    def sign_in(self) -> None:
        self._start(_STAFF, SESSION_TTL)

    def sign_out(self) -> None:
        self.signed_in = False
        secure = "" if self.deps.settings.is_local else "; Secure"
        self.new_cookie = f"{COOKIE}=; Path=/warehouse; Max-Age=0; HttpOnly; SameSite=Strict{secure}"

    def csrf(self) -> str:
        return self.deps.tokens.issue(self.nonce, purpose=CSRF_PURPOSE, now=self.now, ttl=SESSION_TTL)

    def form(self) -> dict[str, str]:
        return read_form(self.request.raw_body)

    def check_csrf(self, form: dict[str, str]) -> bool:
        try:
            nonce = self.deps.tokens.verify(form.get("csrf", ""), purpose=CSRF_PURPOSE, now=self.now)
        except AuthenticationError:
            return False
        return hmac.compare_digest(nonce.encode(), self.nonce.encode())

    def page(self, template: str, *, status: int = 200, **context: Any) -> Response:
        context.setdefault("lines", [])
        context.setdefault("done_link", "")
        body = render(f"warehouse/{template}", store_name=self.deps.settings.store_name, csrf=self.csrf(),
                      signed_in=self.signed_in, **context)
        return self._respond(status, body, {"Content-Type": "text/html; charset=utf-8"})

    def redirect(self, location: str) -> Response:
        return self._respond(303, "", {"Location": location})

    def _respond(self, status: int, body: str, headers: dict[str, str | list[str]]) -> Response:
        headers.update(_HEADERS)
        if self.new_cookie:
            headers["Set-Cookie"] = self.new_cookie
        return Response(body=body, status_code=status, headers=headers)


def _problem(status: int) -> Response:
    """The page for an error no view answered itself (a form past the limits, a fault of ours)."""
    body = render("warehouse/problem.html", store_name=get_deps().settings.store_name, signed_in=False, csrf="",
                  status=status)
    return Response(body=body, status_code=status, headers={"Content-Type": "text/html; charset=utf-8", **_HEADERS})


def warehouse_view(path: str, **options: Any) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Register a warehouse page: any error becomes a warehouse page, never JSON."""

    def register(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def handler(*args: Any, **kwargs: Any) -> Response:
            try:
                return view(*args, **kwargs)
            except RetourError as error:
                return _problem(status_for(error))
            except Exception as error:
                if is_throttling(error):
                    # Nothing was written (one conditional request per change): scanning again is safe.
                    busy = _problem(503)
                    busy.headers["Retry-After"] = "2"
                    return busy
                log.exception("unhandled error on a warehouse page")
                return _problem(500)

        warehouse_pages.route(path, **options)(handler)
        return handler

    return register


def _lines(deps: Deps, request: ReturnRequest) -> list[dict[str, Any]]:
    from ..services.label_document import reason_label

    order = deps.orders.get(request.order_number)
    rows = []
    for line in request.lines:
        found = order.line(line.line_id) if order is not None else None
        # The words of the packing slip in the parcel (the warehouse page is in English).
        rows.append({"line_id": line.line_id, "quantity": line.quantity, "reason": reason_label(line.reason, "en"),
                     "title": found.title if found else line.line_id, "sku": found.sku if found else ""})
    return rows


@warehouse_view("/warehouse", methods=["GET"])
def get_warehouse() -> Response:
    """Sign-in form, or the scan form (with the return scanned, when `?rma=` is given)."""
    from ..services.read_return import read_return  # on use (see admin_api.py)

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
    from ..services.check_admin_key import check_admin_key

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
    from ..services.read_return import read_return
    from ..services.receive_return import receive_return

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
                          problem=error.code, typed=rma, done=None)
    return visit.page("scan.html", found=None, problem=None, typed="", done=received,
                      done_link=f"/warehouse?rma={quote(received.rma)}")
