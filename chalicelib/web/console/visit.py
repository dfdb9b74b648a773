"""What every console page shares: the signed-in staff member, their role's limits, language,
CSRF, rendering and the console's error pages.

The session cookie (`retour_console`, Path=/, HttpOnly, SameSite=Strict, Secure off the local
stage) is a signed pointer `{email}\\n{session id}` to a session item in DynamoDB
(adapters/dynamodb_console_sessions.py). A cookie whose item is gone (signed out, the member
removed or their role changed) or expired signs nobody in. The role is the session's, set at
sign-in from the member's Cognito group; changing it in the console ends the member's sessions.

Every view says which Permission it needs (domain/staff.py). A stranger is sent to
/console/sign-in (with `next`), a member whose role lacks it gets the 403 page that names what
their role allows. Every POST carries the session's CSRF token, checked before the view runs.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from chalice.app import Blueprint, Request, Response

from ...bootstrap import Deps, get_deps
from ...domain.errors import AuthenticationError
from ...domain.staff import ConsoleSession, Permission, Role, can, staff_actor
from ...locales import N_, catalog, locale_or_default
from .. import html
from ..forms import read_form
from ..html import cookie_value
from ..locale_negotiation import LANGUAGE_NAMES, from_accept_language, supported
from ..shopper_api import client_address

COOKIE = "retour_console"
SESSION_PURPOSE = "console-session"
CSRF_PURPOSE = "console-csrf"
# A guest's pre-session nonce (the sign-in forms' CSRF), in its own cookie scoped to the sign-in.
GUEST_COOKIE = "retour_console_guest"
GUEST_PURPOSE = "console-guest"
SESSION_TTL = timedelta(hours=8)
GUEST_TTL = timedelta(minutes=30)
FORM = ["application/x-www-form-urlencoded", "multipart/form-data"]
SIGN_IN_PATH = "/console/sign-in"

ROLE_NAMES = {
    Role.OWNER: N_("Owner"),
    Role.AGENT: N_("Agent"),
    Role.WAREHOUSE: N_("Warehouse"),
}
# What the 403 page says a role may do.
ROLE_LIMITS = {
    Role.OWNER: N_("Owners can do everything, including staff and the return policy."),
    Role.AGENT: N_("Agents decide returns, receive parcels, retry refunds and adjust store credit. "
                   "The return policy and staff are for owners."),
    Role.WAREHOUSE: N_("Warehouse staff receive parcels. Returns, money, the policy and reports are for "
                       "agents and owners."),
}
# The console's navigation: (path, words, the permission that shows it).
NAVIGATION = (
    ("/console", N_("Returns"), Permission.VIEW_RETURNS),
    ("/warehouse", N_("Receive"), Permission.RECEIVE),
    ("/console/store-credit", N_("Store credit"), Permission.ADJUST_CREDIT),
    ("/console/reports", N_("Reports"), Permission.VIEW_REPORTS),
    ("/console/policy", N_("Policy"), Permission.EDIT_POLICY),
    ("/console/staff", N_("Staff"), Permission.MANAGE_STAFF),
    ("/console/webhooks", N_("Webhooks"), Permission.MANAGE_WEBHOOKS),
)
PROBLEM_TITLES = {
    400: N_("Something in the form needs another look"),
    403: N_("This form can't be sent"),
    404: N_("Page not found"),
    409: N_("This can't be done now"),
    413: N_("That form is too large"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong on our side"),
    503: N_("Busy for a moment"),
}


@dataclass
class ConsoleVisit:
    """One console request: deps, clock, the staff member's session (or None), language, cookies."""

    request: Request
    deps: Deps
    now: datetime
    session: ConsoleSession | None
    lang: str
    guest_nonce: str = ""
    cookies: list[str] = field(default_factory=list)

    # --- who ---------------------------------------------------------------------------------

    @property
    def signed_in(self) -> bool:
        return self.session is not None

    @property
    def email(self) -> str:
        return self.session.email if self.session else ""

    @property
    def role(self) -> Role | None:
        return self.session.role if self.session else None

    @property
    def actor(self) -> str:
        """The timeline's name for whoever acts: `staff:<email>`."""
        return staff_actor(self.email)

    @property
    def address(self) -> str:
        """The client address the request came from (the timeline's "from where")."""
        return client_address(self.request.context)

    def may(self, permission: Permission) -> bool:
        return self.session is not None and can(self.session.role, permission)

    @property
    def secure(self) -> bool:
        return not self.deps.settings.is_local

    # --- words -------------------------------------------------------------------------------

    def _(self, message: str, **values: Any) -> str:
        text = catalog(self.lang).gettext(message)
        return text % values if values else text

    # --- forms -------------------------------------------------------------------------------

    def form(self) -> dict[str, str]:
        """The posted form, one value per name (web/forms.py sets the limits)."""
        return read_form(self.request.raw_body)

    @property
    def query(self) -> dict[str, str]:
        return dict(self.request.query_params or {})

    def csrf(self) -> str:
        bound = self.session.session_id if self.session else self.guest_nonce
        return html.csrf_token(self.deps.tokens, bound, purpose=CSRF_PURPOSE, now=self.now, ttl=SESSION_TTL)

    def csrf_ok(self, form: dict[str, str]) -> bool:
        bound = self.session.session_id if self.session else self.guest_nonce
        return html.csrf_is_valid(self.deps.tokens, bound, form.get(html.CSRF_FIELD), purpose=CSRF_PURPOSE,
                                  now=self.now)

    # --- sessions ----------------------------------------------------------------------------

    def sign_in(self, email: str, role: Role) -> ConsoleSession:
        """Open a stored session for `email` and set its cookie; any guest nonce is dropped."""
        session = ConsoleSession(session_id=secrets.token_urlsafe(24), email=email, role=role, locale=self.lang,
                                 created_at=self.now, expires_at=self.now + SESSION_TTL, address=self.address)
        self.deps.console_sessions.open(session)
        token = self.deps.tokens.issue(f"{email}\n{session.session_id}", purpose=SESSION_PURPOSE, now=self.now,
                                       ttl=SESSION_TTL)
        self.cookies.append(html.cookie(COOKIE, token, path="/", max_age=SESSION_TTL, same_site="Strict",
                                        secure=self.secure))
        self.cookies.append(html.cleared_cookie(GUEST_COOKIE, path="/", same_site="Strict", secure=self.secure))
        self.session = session
        return session

    def sign_out(self) -> None:
        if self.session is not None:
            self.deps.console_sessions.close(self.session.email, self.session.session_id)
        self.session = None
        self.cookies.append(html.cleared_cookie(COOKIE, path="/", same_site="Strict", secure=self.secure))

    def ensure_guest_nonce(self) -> None:
        """A pre-session nonce for the sign-in forms' CSRF (its own short-lived cookie)."""
        if self.guest_nonce:
            return
        self.guest_nonce = secrets.token_urlsafe(16)
        token = self.deps.tokens.issue(self.guest_nonce, purpose=GUEST_PURPOSE, now=self.now, ttl=GUEST_TTL)
        self.cookies.append(html.cookie(GUEST_COOKIE, token, path="/", max_age=GUEST_TTL, same_site="Strict",
                                        secure=self.secure))

    # --- answers -----------------------------------------------------------------------------

    def page(self, template: str, *, status: int = 200, photo_origin: str | None = None, **context: Any) -> Response:
        """A console page (templates/console/), with the navigation the role allows (and, for a
        page showing the shopper's photos, their bucket's origin in its CSP)."""
        return html.page(self.render(template, **context), status=status, lang=self.lang,
                         logo_url=self.deps.settings.store_logo_url, cookies=self.cookies, noindex=True,
                         photo_origin=photo_origin)

    def render(self, template: str, **context: Any) -> str:
        words = catalog(self.lang)
        here = _concrete_path(self.request)
        values: dict[str, Any] = {
            "store_name": self.deps.settings.store_name,
            "csrf": self.csrf(),
            "staff_email": self.email,
            "staff_role": words.gettext(ROLE_NAMES[self.role]) if self.role else "",
            "navigation": [
                {"href": href, "name": words.gettext(name), "current": _is_section(here, href)}
                for href, name, permission in NAVIGATION if self.may(permission)
            ],
            "languages": [{"code": code, "name": name, "current": code == self.lang}
                          for code, name in LANGUAGE_NAMES.items()],
            "here": here,
            "back": _back_here(self.request, here),
            "errors": {},
            "notice": None,
        }
        values.update(context)
        return html.render(f"console/{template}", self.lang, **values)

    def redirect(self, location: str) -> Response:
        return html.redirect(location, cookies=self.cookies)

    def forbidden(self) -> Response:
        """The 403 page: what the member's role allows, and where to go instead."""
        role = self.role or Role.WAREHOUSE
        home = "/console" if self.may(Permission.VIEW_RETURNS) else "/warehouse"
        return self.page("forbidden.html", status=403, limits=self._(ROLE_LIMITS[role]), home=home)

    def problem(self, status: int) -> Response:
        """A console error page for `status` (404, 409, 413, 500 ...), leading back to the member's
        section: the warehouse page from it (or for a role that has nothing else), else the console."""
        here = _concrete_path(self.request)
        in_warehouse = here == "/warehouse" or here.startswith("/warehouse/")
        back = "/warehouse" if in_warehouse or (self.signed_in and not self.may(Permission.VIEW_RETURNS)) else "/console"
        return self.page("problem.html", status=status, status_code=status, back=back,
                         title=self._(PROBLEM_TITLES.get(status, PROBLEM_TITLES[400])))


def _is_section(here: str, href: str) -> bool:
    """Whether the page at `here` belongs to the navigation entry `href` (a return is the inbox's)."""
    if href == "/console":
        return here == "/console" or here.startswith("/console/returns")
    return here == href or here.startswith(href + "/")


def _back_here(request: Request, here: str) -> str:
    """Where the language form leads back to: a GET with its query (the scanned RMA, the found
    shopper, the filters), so changing the language keeps the page as it was."""
    query = dict(request.query_params or {}) if request.method == "GET" else {}
    return here + "?" + urlencode(query) if query else here


def _concrete_path(request: Request) -> str:
    resource = str((request.context or {}).get("resourcePath", ""))
    for name, value in (request.uri_params or {}).items():
        resource = resource.replace("{" + name + "}", value)
    return resource


def open_visit(request: Request) -> ConsoleVisit:
    """The ConsoleVisit of `request`: its stored session, if the cookie points at a live one."""
    deps = get_deps()
    now = deps.clock.now()
    cookies = request.headers.get("cookie")
    session = None
    token = cookie_value(cookies, COOKIE)
    stale = False
    if token:
        try:
            email, session_id = deps.tokens.verify(token, purpose=SESSION_PURPOSE, now=now).split("\n", 1)
            session = deps.console_sessions.get(email, session_id, now=now)
        except (AuthenticationError, ValueError):
            session = None
        stale = session is None
    guest = ""
    guest_token = cookie_value(cookies, GUEST_COOKIE)
    if guest_token and session is None:
        try:
            guest = deps.tokens.verify(guest_token, purpose=GUEST_PURPOSE, now=now)
        except AuthenticationError:
            guest = ""
    query: dict[str, str] = dict(request.query_params or {})
    chosen = supported(query.get("lang"))
    lang = (chosen or (session.locale if session else None) or from_accept_language(request.headers.get("accept-language"))
            or locale_or_default(deps.settings.merchant_locale))
    visit = ConsoleVisit(request, deps, now, session, lang, guest_nonce=guest)
    if chosen and session is not None and chosen != session.locale:
        deps.console_sessions.set_locale(session.email, session.session_id, chosen)
    if stale:
        visit.cookies.append(html.cleared_cookie(COOKIE, path="/", same_site="Strict", secure=visit.secure))
    return visit


def _bare_visit(request: Request) -> ConsoleVisit:
    """A visit without reading the session (its store failed): enough for an error page."""
    deps = get_deps()
    lang = from_accept_language(request.headers.get("accept-language")) or locale_or_default(deps.settings.merchant_locale)
    return ConsoleVisit(request, deps, deps.clock.now(), None, lang)


def sign_in_location(request: Request) -> str:
    """/console/sign-in, with `next` set to where the stranger was going (a GET's own path)."""
    target = _concrete_path(request)
    if request.method == "GET" and target and target != SIGN_IN_PATH:
        query: dict[str, str] = dict(request.query_params or {})
        if query:
            target += "?" + urlencode(dict(query))
        return f"{SIGN_IN_PATH}?{urlencode({'next': target})}"
    return SIGN_IN_PATH


def safe_next(target: str | None) -> str:
    """A `next` to send a member to after signing in: only a path of ours, never another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        if target.startswith(("/console", "/warehouse")):
            return target
    return "/console"


def console_view(blueprint: Blueprint, path: str, *, permission: Permission | None,
                 **options: Any) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Register a console page on `blueprint`.

    `permission` None: a page for strangers (the sign-in steps). Otherwise: a stranger is
    redirected to the sign-in, a member without `permission` gets the 403 page, and a POST whose
    CSRF token is not this session's gets a 403 page before the view runs. Any error becomes a
    console page, never JSON.
    """

    def register(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def handler(**params: str) -> Response:
            request = blueprint.current_request
            opened: list[ConsoleVisit] = []

            def answer() -> Response:
                # Opened inside the error handling: a session read DynamoDB throttles is a 503 page.
                visit = open_visit(request)
                opened.append(visit)
                if permission is not None:
                    if not visit.signed_in:
                        return visit.redirect(sign_in_location(visit.request))
                    if not visit.may(permission):
                        return visit.forbidden()
                    if visit.request.method == "POST" and not visit.csrf_ok(visit.form()):
                        return visit.problem(403)
                return view(visit, **params)

            def problem(status: int) -> Response:
                return (opened[0] if opened else _bare_visit(request)).problem(status)

            return html.answering_errors("console", answer, problem)

        blueprint.route(path, **options)(handler)
        return handler

    return register


def quoted(rma: str) -> str:
    """An RMA (or any path segment) quoted for a console link."""
    return quote(rma, safe="")
