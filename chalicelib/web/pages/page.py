"""What every shopper page shares: the request's Page (session, language, cookies to send), the
view decorator, rendering, the error pages, and the session's bound order."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from chalice.app import Blueprint, Request, Response

from ...bootstrap import Deps, get_deps
from ...domain.errors import AuthenticationError
from ...locales import N_, catalog
from ...services.shopper_order import shopper_order
from .. import html
from ..forms import read_form
from ..html import cookie_value
from ..locale_negotiation import LANGUAGE_NAMES, negotiate, supported
from ..sessions import (
    LANG_COOKIE,
    ReturnGrant,
    Session,
    cleared_session_cookie,
    csrf_is_valid,
    csrf_token,
    lang_cookie,
    new_session,
    read_grant,
    read_session,
    session_cookie,
    session_token,
)

if TYPE_CHECKING:
    from ...services.shopper_order import JudgedOrder

FORM = ["application/x-www-form-urlencoded", "multipart/form-data"]

# The timeline's words for the shopper; events not named here (a job resuming a refund) are the
# store's own business and stay off the shopper's page.
EVENT_LABELS = {
    "requested": N_("Return requested"),
    "approved": N_("Approved by the store"),
    "rejected": N_("Declined by the store"),
    "received": N_("Parcel received by the store"),
    "refund_started": N_("Refund started"),
    "refund_held": N_("Refund on hold"),
    "refunded": N_("Refund sent to your original payment method"),
    "credited": N_("Store credit added to your account"),
    "cancelled": N_("Return cancelled"),
    "expired": N_("Return expired"),
    "refund_failed": N_("Refund delayed"),
    "offered": N_("The store made you an offer"),
    "offer_accepted": N_("You accepted the store's offer"),
    "offer_declined": N_("You declined the store's offer"),
    "ship_reminder_sent": N_("Reminder sent: please send your parcel"),
    # Exchanges (issue 19).
    "payment_received": N_("Price difference paid"),
    "exchange_created": N_("Replacement order made"),
    "exchange_unavailable": N_("Replacement out of stock: paid back instead"),
    "exchanged": N_("Exchange complete"),
    "difference_refunded": N_("Price difference refunded"),
}
STEP_NAMES = (N_("Find order"), N_("Choose items"), N_("Refund"), N_("Review"))
# The steps whose page is one form (template: the form's action, its id STEP_FORM_ID). Their
# language menu is a set of buttons of that form named SWITCH_FIELD: the step's POST keeps what
# was sent (in the draft, or on the form) and shows the same step in the chosen language, with
# no JavaScript. Other pages keep the menu of links.
STEP_FORMS = {"pages/home.html": "/lookup", "pages/items.html": "/return/items",
              "pages/resolution.html": "/return/resolution", "pages/review.html": "/return/confirm"}
STEP_FORM_ID = "step-form"
SWITCH_FIELD = "switch_lang"
ERROR_TITLES = {
    400: N_("Something in the form needs another look"),
    403: N_("This form can't be sent"),
    404: N_("Page not found"),
    409: N_("This can't be done now"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong on our side"),
}


@dataclass
class Page:
    """One request's view of the shopper: deps, clock, session, language and cookies to send."""

    request: Request
    deps: Deps
    now: datetime
    session: Session
    lang: str
    session_lost: bool = False
    # The one return an email's status link opened in this browser (web/sessions.py), if any.
    grant: ReturnGrant | None = None
    cookies: list[str] = field(default_factory=list)

    @property
    def secure(self) -> bool:
        return not self.deps.settings.is_local

    def _(self, message: str, **values: Any) -> str:
        text = catalog(self.lang).gettext(message)
        return text % values if values else text

    def form(self) -> dict[str, str]:
        """The posted form, one value per name (the last wins); web/forms.py sets the limits."""
        return read_form(self.request.raw_body)

    def save(self, session: Session) -> None:
        self.session = session

    def html(self, template: str, *, status: int = 200, photo_origin: str | None = None,
             payment_origins: tuple[str, ...] = (), **context: Any) -> Response:
        return html.page(render(self, template, **context), status=status, lang=self.lang,
                         logo_url=self.deps.settings.store_logo_url, cookies=self._cookies(),
                         photo_origin=photo_origin, payment_origins=payment_origins)

    def redirect(self, location: str) -> Response:
        return html.redirect(location, cookies=self._cookies())

    def _cookies(self) -> list[str]:
        cookies = list(self.cookies)
        if self.session.issued:
            token = session_token(self.deps.tokens, self.session, now=self.now)
            cookies.append(session_cookie(token, secure=self.secure))
        return cookies


def open_page(blueprint: Blueprint) -> Page:
    """The Page of the current request: its session (a new one when none), its language."""
    return page_of(blueprint.current_request)


def page_of(request: Request) -> Page:
    """The Page of `request`: its session (a new one when none), its language."""
    deps = get_deps()
    now = deps.clock.now()
    cookie_header = request.headers.get("cookie")
    lost = False
    try:
        session = read_session(deps.tokens, cookie_header, now=now)
    except AuthenticationError:
        # Forged or expired: start afresh, and say so where it matters.
        session, lost = new_session(), True
    grant = read_grant(deps.tokens, cookie_header, now=now)
    query: Mapping[str, str] = request.query_params or {}
    asked = query.get("lang")
    order_locale = session.order_locale if session.has_order else (grant.order_locale if grant else "")
    lang = negotiate(
        query=asked, cookie=cookie_value(cookie_header, LANG_COOKIE),
        accept_language=request.headers.get("accept-language"), order_locale=order_locale,
    )
    page = Page(request, deps, now, session, lang, session_lost=lost, grant=grant)
    if supported(asked) is not None:
        page.cookies.append(lang_cookie(lang, secure=page.secure))
    if lost:
        page.cookies.append(cleared_session_cookie(secure=page.secure))
    return page


def shopper_view(blueprint: Blueprint, path: str, **options: Any) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Register a page view: it gets a Page; an unexpected error becomes a page, not JSON."""

    def register(view: Callable[..., Response]) -> Callable[..., Response]:
        def handler(**params: str) -> Response:
            page = open_page(blueprint)
            return html.answering_errors("shopper", lambda: view(page, **params) if params else view(page),
                                         lambda status: error_page(page, status))

        handler.__name__ = view.__name__
        handler.__doc__ = view.__doc__
        blueprint.route(path, **options)(handler)
        return handler

    return register


def render(page: Page, template: str, **context: Any) -> str:
    """A page template with the store, the language switcher and the CSRF token (the language's
    environment brings the names and the money and date formats)."""
    words = catalog(page.lang)
    settings = page.deps.settings
    path = page.request.context.get("resourcePath", "/") if page.request.context else "/"
    switch_path = context.pop("switch_path", None) or _concrete_path(page.request, path)
    # A step's form (STEP_FORMS): the language buttons send it, so what is on it is kept.
    switch_action = STEP_FORMS.get(template)
    values: dict[str, Any] = {
        "lang": page.lang,
        "store_name": settings.store_name,
        "logo_url": settings.store_logo_url,
        "csrf": csrf_token(page.deps.tokens, page.session, now=page.now),
        "languages": [
            {"code": code, "name": name, "href": f"{switch_path}?{urlencode({'lang': code})}",
             "action": f"{switch_action}?{urlencode({'lang': code})}" if switch_action else "",
             "current": code == page.lang}
            for code, name in LANGUAGE_NAMES.items()
        ],
        "event_label": lambda code: words.gettext(EVENT_LABELS[code]) if code in EVENT_LABELS else code,
        "steps": [words.gettext(name) for name in STEP_NAMES],
        "step": 0,
        "errors": [],
        "notice": None,
        "has_session_order": page.session.has_order,
        "switch_form": STEP_FORM_ID if switch_action else "",
    }
    values.update(context)
    values["field_errors"] = {error["field"]: error["message"] for error in values["errors"]}
    return html.render(template, page.lang, **values)


def _concrete_path(request: Request, resource_path: str) -> str:
    """The request's own path (route parameters filled in), for the language switcher's links."""
    params = request.uri_params or {}
    for name, value in params.items():
        resource_path = resource_path.replace("{" + name + "}", value)
    # The POST targets answer with the form of their step; switching language shows that step.
    return {"/lookup": "/", "/return/confirm": "/return/review"}.get(resource_path, resource_path)


def error_page(page: Page, status: int, message: str | None = None) -> Response:
    """A whole-page error in the shopper's language (403, 404, 429, 500 ...)."""
    # A 503 (DynamoDB busy past the SDK's retries) reads like a 500: try again in a moment.
    title = page._(ERROR_TITLES.get(min(status, 500), ERROR_TITLES[400]))
    default = {
        403: page._("This form has expired or was sent from another page. Go back, reload the page and try again."),
        404: page._("We couldn't find that page. It may have moved, or the link may be incomplete."),
        409: page._("Your return has moved on, so nothing was changed. Open it again to see where it stands."),
        429: page._("You've tried several times in a short while. Please wait a few minutes, then try again."),
        500: page._("Please try again in a moment. Nothing was changed."),
    }.get(min(status, 500), page._("Please check what you entered and try again."))
    return page.html("pages/problem.html", status=status, title=title, message=message or default,
                     switch_path="/")


def refusal_page(request: Request, status: int) -> Response:
    """Chalice's own refusal of a page request (a 415 for a body that is no form, a 405) as a page."""
    return error_page(page_of(request), status)


def ended(page: Page) -> Response:
    """Back to the start: the session is gone (expired, tampered with, or never there)."""
    page.save(new_session())
    page.cookies.append(cleared_session_cookie(secure=page.secure))
    return page.redirect("/?" + urlencode({"ended": "1"}))


def csrf_ok(page: Page, form: Mapping[str, str]) -> bool:
    """Whether the posted form carries this session's CSRF token."""
    return csrf_is_valid(page.deps.tokens, page.session, form.get(html.CSRF_FIELD), now=page.now)


def switching_language(form: Mapping[str, str]) -> bool:
    """Whether a step's form was sent by a button of the language menu (the page's language is
    already the chosen one: the button's formaction carries ?lang=)."""
    return supported(form.get(SWITCH_FIELD)) is not None


def bound_post(page: Page) -> tuple[JudgedOrder, dict[str, str]] | Response:
    """A POST's order and form when its session holds an order and its CSRF token is right;
    otherwise the answer that ends the request (back to the start, or 403)."""
    judged = bound_order(page)
    if judged is None:
        return ended(page)
    form = page.form()
    if not csrf_ok(page, form):
        return error_page(page, 403)
    return judged, form


def bound_order(page: Page) -> JudgedOrder | None:
    """The order this session is bound to, judged today; None when it holds none or was lost."""
    if page.session_lost or not page.session.has_order:
        return None
    return shopper_order(page.deps, page.session.order_number)

