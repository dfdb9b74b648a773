"""The shopper's return pages: find the order, choose, pick a resolution, review, confirm, follow.

Server-rendered and complete without JavaScript. Every POST answers with a redirect (or the
same form again with its errors), so a reload never sends anything twice. The chosen lines ride
in the signed session cookie and are judged and priced again by the use case on every step.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from chalice.app import Blueprint, Request, Response

from ..adapters.babel_formatting import format_datetime
from ..bootstrap import Deps, get_deps
from ..domain.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
    ValidationError,
)
from ..domain.quote import Quote, Selection
from ..domain.return_request import NotCancellableError, normalize_rma
from ..domain.store_credit import spendable
from ..locales import N_, catalog
from ..locales.names import reason_name
from ..services.cancel_return import cancel_return
from ..services.issue_label import label_url, parse_label_size
from ..services.limit_lookups import limit_lookups
from ..services.look_up_order import look_up_order
from ..services.read_return import read_return
from ..services.request_return import quote_return, request_return
from ..services.shopper_order import shopper_order
from ..services.status_links import LINK_PARAMETER, open_status_link
from .forms import read_form, whole_number
from .i18n import verdict_message
from .locale_negotiation import LANGUAGE_NAMES, negotiate, supported
from . import html
from .html import cookie_value
from .sessions import (
    LANG_COOKIE,
    Draft,
    ReturnGrant,
    Session,
    cleared_session_cookie,
    csrf_is_valid,
    csrf_token,
    fits_in_a_cookie,
    grant_cookie,
    grant_token,
    lang_cookie,
    new_session,
    read_grant,
    read_session,
    session_cookie,
    session_token,
)

if TYPE_CHECKING:
    from ..services.shopper_order import JudgedOrder

log = logging.getLogger("retour.pages")

shopper_pages = Blueprint(__name__)

FORM = ["application/x-www-form-urlencoded", "multipart/form-data"]
MAX_NOTE = 500
MAX_FIELD = 254

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
}
# Why it is too late to cancel (NotCancellableError.why), in the shopper's words.
TOO_LATE_TO_CANCEL = {
    "received": N_("The store has already received your parcel, so this return can't be cancelled."),
    "paid": N_("Your money is already on its way back, so this return can't be cancelled."),
    "closed": N_("This return is already closed, so there is nothing to cancel."),
    "cancelled": N_("This return is already cancelled."),
}
STEP_NAMES = (N_("Find order"), N_("Choose items"), N_("Refund"), N_("Review"))
ERROR_TITLES = {
    400: N_("Something in the form needs another look"),
    403: N_("This form can't be sent"),
    404: N_("Page not found"),
    409: N_("This can't be done now"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong on our side"),
}

_LINE_FIELD = re.compile(r"^lines\[(\d+)\]\.(\w+)$")


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

    def html(self, template: str, *, status: int = 200, **context: Any) -> Response:
        return html.page(render(self, template, **context), status=status, lang=self.lang,
                         logo_url=self.deps.settings.store_logo_url, cookies=self._cookies())

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
    values: dict[str, Any] = {
        "lang": page.lang,
        "store_name": settings.store_name,
        "logo_url": settings.store_logo_url,
        "csrf": csrf_token(page.deps.tokens, page.session, now=page.now),
        "languages": [
            {"code": code, "name": name, "href": f"{switch_path}?{urlencode({'lang': code})}",
             "current": code == page.lang}
            for code, name in LANGUAGE_NAMES.items()
        ],
        "event_label": lambda code: words.gettext(EVENT_LABELS[code]) if code in EVENT_LABELS else code,
        "steps": [words.gettext(name) for name in STEP_NAMES],
        "step": 0,
        "errors": [],
        "notice": None,
        "has_session_order": page.session.has_order,
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


def _ended(page: Page) -> Response:
    """Back to the start: the session is gone (expired, tampered with, or never there)."""
    page.save(new_session())
    page.cookies.append(cleared_session_cookie(secure=page.secure))
    return page.redirect("/?" + urlencode({"ended": "1"}))


def _csrf_ok(page: Page, form: Mapping[str, str]) -> bool:
    return csrf_is_valid(page.deps.tokens, page.session, form.get(html.CSRF_FIELD), now=page.now)


# --- start: order number and email ------------------------------------------------------------

@shopper_view(shopper_pages, "/", methods=["GET"])
def start(page: Page) -> Response:
    """The store's returns page: how it works and the form that finds the order."""
    query: Mapping[str, str] = page.request.query_params or {}
    notice = None
    if page.session_lost or query.get("ended"):
        notice = page._("Your session has ended, so we've taken you back to the start. Please find your order again.")
    return page.html("pages/home.html", step=1, notice=notice, values={}, next_rma=query.get("rma", ""))


@shopper_view(shopper_pages, "/lookup", methods=["POST"], content_types=FORM)
def post_lookup(page: Page) -> Response:
    """Find the order; a match binds a new session to it, anything else gets one neutral answer."""
    if page.session_lost:
        return _ended(page)
    form = page.form()
    if not _csrf_ok(page, form):
        return error_page(page, 403)
    number = form.get("order_number", "").strip()[:MAX_FIELD]
    email = form.get("email", "").strip()[:MAX_FIELD]
    errors: list[dict[str, str]] = []
    if not number:
        errors.append({"field": "order_number", "message": page._("Enter your order number.")})
    if not email:
        errors.append({"field": "email", "message": page._("Enter the email address you used at checkout.")})
    elif "@" not in email:
        errors.append({"field": "email", "message": page._("Enter an email address like name@example.com.")})
    values = {"order_number": number, "email": email}
    if errors:
        return page.html("pages/home.html", status=400, step=1, errors=errors, values=values,
                         next_rma=form.get("rma", ""))
    limited = _rate_limited(page, number)
    if limited is not None:
        return limited
    try:
        found = look_up_order(page.deps, number, email)
    except NotFoundError:
        # One message for an unknown number and a wrong email, on the form, nothing else.
        message = page._("We couldn't find an order with that number and email. Check both and try again.")
        return page.html("pages/home.html", status=404, step=1, values=values, next_rma=form.get("rma", ""),
                         errors=[{"field": "order_number", "message": message}], pair_error=True)
    page.save(new_session(found.order.number, found.order.locale))
    rma = form.get("rma", "")
    if rma and re.fullmatch(r"[A-Za-z0-9-]{1,20}", rma):
        return page.redirect(f"/returns/{rma}")
    return page.redirect("/return/items")


def _rate_limited(page: Page, order_number: str) -> Response | None:
    """The friendly 429 page when this client or this order number looked up too often."""
    address = ((page.request.context or {}).get("identity") or {}).get("sourceIp") or "unknown"
    try:
        limit_lookups(page.deps, client_address=str(address), order_number=order_number)
    except RateLimitedError as error:
        response = error_page(page, 429)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    return None


# --- choose items -----------------------------------------------------------------------------

def _bound_post(page: Page) -> tuple[JudgedOrder, dict[str, str]] | Response:
    """A POST's order and form when its session holds an order and its CSRF token is right;
    otherwise the answer that ends the request (back to the start, or 403)."""
    judged = _bound_order(page)
    if judged is None:
        return _ended(page)
    form = page.form()
    if not _csrf_ok(page, form):
        return error_page(page, 403)
    return judged, form


def _bound_order(page: Page) -> JudgedOrder | None:
    if page.session_lost or not page.session.has_order:
        return None
    return shopper_order(page.deps, page.session.order_number)


def _line_rows(page: Page, judged: JudgedOrder, chosen: Mapping[str, Selection],
               errors: Mapping[int, dict[str, str]]) -> list[dict[str, Any]]:
    rows = []
    for index, line in enumerate(judged.order.lines):
        verdict = judged.verdict(line.id)
        assert verdict is not None
        selection = chosen.get(line.id)
        rows.append({
            "index": index, "line": line, "verdict": verdict,
            "message": verdict_message(verdict, page.lang),
            "selection": selection, "errors": errors.get(index, {}),
            "paid": line.paid,
        })
    return rows


@shopper_view(shopper_pages, "/return/items", methods=["GET"])
def items(page: Page) -> Response:
    """Every line of the order with its verdict; the returnable ones with quantity, reason, note."""
    judged = _bound_order(page)
    if judged is None:
        return _ended(page)
    chosen = {s.line_id: s for s in page.session.draft.selections}
    return _items_page(page, judged, chosen, {}, [], status=200)


def _items_page(page: Page, judged: JudgedOrder, chosen: Mapping[str, Selection],
                line_errors: Mapping[int, dict[str, str]], errors: list[dict[str, str]], *, status: int) -> Response:
    reasons = [{"code": r.code, "requires_note": r.requires_note} for r in judged.policy.reasons]
    needing = [reason_name(r.code, page.lang) for r in judged.policy.reasons if r.requires_note]
    return page.html(
        "pages/items.html", status=status, step=2, order=judged.order,
        note_reasons=page._(", ").join(needing),
        rows=_line_rows(page, judged, chosen, line_errors), reasons=reasons, errors=errors,
        any_choosable=any(v.can_be_chosen for v in judged.verdicts),
    )


@shopper_view(shopper_pages, "/return/items", methods=["POST"], content_types=FORM)
def post_items(page: Page) -> Response:
    """Check the chosen lines with the use case; keep them in the session, or show what is wrong."""
    bound = _bound_post(page)
    if isinstance(bound, Response):
        return bound
    judged, form = bound
    selections: list[Selection] = []
    indexes: list[int] = []
    line_errors: dict[int, dict[str, str]] = {}
    submitted: dict[str, Selection] = {}
    for index, line in enumerate(judged.order.lines):
        if form.get(f"return-{index}") != "1":
            continue
        # Not a number (or "²"): 0, which the use case refuses beside the field like any wrong count.
        quantity = whole_number(form.get(f"quantity-{index}", ""), max_digits=5) or 0
        reason = form.get(f"reason-{index}", "")[:64]
        note = form.get(f"note-{index}", "").strip()
        selection = Selection(line.id, quantity, reason, note[:MAX_NOTE])
        submitted[line.id] = Selection(line.id, quantity, reason, note)
        if len(note) > MAX_NOTE:
            line_errors.setdefault(index, {})["note"] = page._(
                "Keep the note under %(max)s characters.", max=MAX_NOTE)
        selections.append(selection)
        indexes.append(index)
    errors: list[dict[str, str]] = []
    if not selections:
        errors.append({"field": "lines", "message": page._("Choose at least one item to return.")})
    else:
        resolution = _offered(judged)[0]
        try:
            quote_return(page.deps, order_number=judged.order.number, selections=selections,
                         resolution=resolution)
        except ValidationError as error:
            _line_problems(page, judged, error, indexes, line_errors, errors)
    draft = Draft(tuple(selections), page.session.draft.resolution)
    if not line_errors and not errors and not fits_in_a_cookie(page.deps.tokens, page.session.with_draft(draft), now=page.now):
        for index in indexes:
            line_errors.setdefault(index, {})["note"] = page._("Please shorten your notes a little.")
    if line_errors or errors:
        for index, problems in sorted(line_errors.items()):
            for name, message in problems.items():
                errors.append({"field": f"{name}-{index}", "message": message})
        return _items_page(page, judged, submitted, line_errors, errors, status=400)
    page.save(page.session.with_draft(draft))
    return page.redirect("/return/resolution")


def _line_problems(page: Page, judged: JudgedOrder, error: ValidationError, indexes: list[int],
                   line_errors: dict[int, dict[str, str]], errors: list[dict[str, str]]) -> None:
    """The use case's field names (`lines[0].quantity`) as messages beside the shopper's fields."""
    for name in error.fields or ("lines",):
        match = _LINE_FIELD.match(name)
        if match is None or int(match.group(1)) >= len(indexes):
            if name != "resolution":
                errors.append({"field": "lines", "message": page._("Choose at least one item to return.")})
            continue
        index = indexes[int(match.group(1))]
        line = judged.order.lines[index]
        verdict = judged.verdict(line.id)
        available = verdict.quantity_available if verdict is not None else 0
        kind = match.group(2)
        if kind == "quantity":
            message = page._("Choose how many to return, from 1 to %(max)s.", max=max(available, 1))
        elif kind == "reason":
            message = page._("Choose a reason for returning this item.")
        elif kind == "note":
            message = page._("This reason needs a short note: tell us what happened.")
        else:
            kind = "return"
            message = page._("This item can't be returned.")
        line_errors.setdefault(index, {}).setdefault(kind, message)


def _offered(judged: JudgedOrder) -> list[str]:
    offered = [r for r in ("refund", "store_credit") if judged.policy.resolutions.offers(r)]
    return offered or ["refund"]


# --- resolution -------------------------------------------------------------------------------

@shopper_view(shopper_pages, "/return/resolution", methods=["GET"])
def resolution(page: Page) -> Response:
    """Refund or store credit, each with exactly what it pays back."""
    judged = _bound_order(page)
    if judged is None:
        return _ended(page)
    draft = page.session.draft
    if not draft.selections:
        return page.redirect("/return/items")
    return _resolution_page(page, judged, draft, draft.resolution, [], status=200)


def _resolution_page(page: Page, judged: JudgedOrder, draft: Draft, chosen: str,
                     errors: list[dict[str, str]], *, status: int) -> Response:
    options = []
    for code in _offered(judged):
        try:
            priced = quote_return(page.deps, order_number=judged.order.number,
                                  selections=draft.selections, resolution=code)
        except ValidationError:
            # The order changed since the items were chosen: choose again.
            return page.redirect("/return/items")
        options.append({"code": code, "quote": priced})
    bonus = judged.policy.resolutions.store_credit_bonus_percent
    return page.html("pages/resolution.html", status=status, step=3, options=options, chosen=chosen,
                     bonus_percent=bonus, errors=errors, order=judged.order)


@shopper_view(shopper_pages, "/return/resolution", methods=["POST"], content_types=FORM)
def post_resolution(page: Page) -> Response:
    """Keep the chosen resolution; then the review."""
    bound = _bound_post(page)
    if isinstance(bound, Response):
        return bound
    judged, form = bound
    draft = page.session.draft
    if not draft.selections:
        return page.redirect("/return/items")
    chosen = form.get("resolution", "")
    if chosen not in _offered(judged):
        errors = [{"field": "resolution", "message": page._("Choose how you'd like to get your money back.")}]
        return _resolution_page(page, judged, draft, "", errors, status=400)
    page.save(page.session.with_draft(Draft(draft.selections, chosen)))
    return page.redirect("/return/review")


# --- review and confirm -----------------------------------------------------------------------

def _review_rows(judged: JudgedOrder, priced: Quote) -> list[dict[str, Any]]:
    rows = []
    for quoted in priced.lines:
        line = judged.order.line(quoted.line_id)
        rows.append({"line": line, "quoted": quoted,
                     "needs_approval": (v := judged.verdict(quoted.line_id)) is not None and v.status == "needs_approval"})
    return rows


@shopper_view(shopper_pages, "/return/review", methods=["GET"])
def review(page: Page) -> Response:
    """Everything at once: items, reasons, the money line by line, and the confirm button."""
    judged = _bound_order(page)
    if judged is None:
        return _ended(page)
    draft = page.session.draft
    if not draft.selections:
        return page.redirect("/return/items")
    if draft.resolution not in _offered(judged):
        return page.redirect("/return/resolution")
    return _review_page(page, judged, draft, [], status=200)


def _review_page(page: Page, judged: JudgedOrder, draft: Draft, errors: list[dict[str, str]], *, status: int) -> Response:
    try:
        priced = quote_return(page.deps, order_number=judged.order.number, selections=draft.selections,
                              resolution=draft.resolution)
    except ValidationError:
        return page.redirect("/return/items")
    rows = _review_rows(judged, priced)
    return page.html("pages/review.html", status=status, step=4, order=judged.order, quote=priced,
                     rows=rows, errors=errors, needs_approval=any(r["needs_approval"] for r in rows))


@shopper_view(shopper_pages, "/return/confirm", methods=["POST"], content_types=FORM)
def post_confirm(page: Page) -> Response:
    """Request the return (the use case judges, prices and stores it in one go)."""
    bound = _bound_post(page)
    if isinstance(bound, Response):
        return bound
    judged, form = bound
    draft = page.session.draft
    if not draft.selections:
        return page.redirect("/return/items")
    try:
        created = request_return(page.deps, order_number=judged.order.number, selections=draft.selections,
                                 resolution=draft.resolution, idempotency_key=_confirm_key(page, draft))
    except ValidationError:
        # Something changed since the review (another return, a new policy): choose again.
        return page.redirect("/return/items")
    except RateLimitedError as error:
        # The order's returns for the day are used up (a create / cancel loop): come back tomorrow.
        limited = error_page(page, 429, page._(
            "This order has had several return requests today, so we can't take another "
            "one until tomorrow. Your earlier requests are unchanged."))
        limited.headers["Retry-After"] = str(error.retry_after)
        return limited
    page.save(page.session.with_draft(Draft()))
    return page.redirect(f"/returns/{created.rma}/confirmation")


def _confirm_key(page: Page, draft: Draft) -> str:
    """One key per session and draft: a double click posts the old cookie twice, and must not
    make two returns. The session's random nonce keeps the key (and so the RMA) unguessable."""
    content = json.dumps(draft.to_json(), sort_keys=True, ensure_ascii=False)
    return "page:" + hashlib.sha256(f"{page.session.nonce}\n{content}".encode()).hexdigest()


# --- confirmation and status ------------------------------------------------------------------

def _return_of_session(page: Page, rma: str, *, by_link: bool = False) -> tuple[JudgedOrder, Any] | None:
    """The order and return `rma` this browser may see: through its session's order, or (`by_link`,
    the status page, label and cancel only) through the grant of a status link for this return."""
    grant = _grant_for(page, rma) if by_link else None
    if grant is not None:
        return (shopper_order(page.deps, grant.order_number),
                read_return(page.deps, grant.rma, order_number=grant.order_number))
    judged = _bound_order(page)
    if judged is None:
        return None
    return judged, read_return(page.deps, rma, order_number=judged.order.number)


def _grant_for(page: Page, rma: str) -> ReturnGrant | None:
    """The browser's status-link grant when it is for return `rma` (the browser sends it only
    to that return's pages; the check holds whatever the client sends)."""
    grant = page.grant
    if grant is None or not hmac.compare_digest(grant.rma, normalize_rma(rma) or ""):
        return None
    return grant


@shopper_view(shopper_pages, "/returns/{rma}/confirmation", methods=["GET"])
def confirmation(page: Page, rma: str) -> Response:
    """The RMA, what happens next, and the way to the status page."""
    found = _return_of_session(page, rma)
    if found is None:
        return page.redirect("/?" + urlencode({"rma": rma}))
    judged, request = found
    return page.html("pages/confirmation.html", order=judged.order, ret=request,
                     rows=_review_rows(judged, request.quote))


@shopper_view(shopper_pages, "/returns/{rma}", methods=["GET"])
def status(page: Page, rma: str) -> Response:
    """A return's status and timeline, for the shopper whose session holds its order.

    `?link=`: the signed link of an email (services/status_links.py) grants this one return
    (its status, label and cancel) and comes back here without the token.
    """
    query: Mapping[str, str] = page.request.query_params or {}
    if LINK_PARAMETER in query:
        return _follow_link(page, rma, query[LINK_PARAMETER])
    found = _return_of_session(page, rma, by_link=True)
    if found is None:
        return page.redirect("/?" + urlencode({"rma": rma}))
    judged, request = found
    return _status_page(page, judged, request)


def _follow_link(page: Page, rma: str, token: str) -> Response:
    """Grant the return a link names and redirect to it; a bad link gets the lookup form.

    The token never reaches a log line, and after the redirect it is no longer in the address
    bar (nor in a Referer: every page says no-referrer).
    """
    try:
        order_number = open_status_link(page.deps.tokens, token, rma=rma, now=page.now)
        order = page.deps.orders.get(order_number)
        if order is None:
            raise NotFoundError("the link's order is gone", code="order_not_found")
        request = read_return(page.deps, rma, order_number=order.number)
    except (AuthenticationError, NotFoundError) as error:
        log.info("a status link was refused", extra={"reason": error.code})
        return _link_refused(page, rma, expired=error.code == "token_expired")
    # A grant of this return only, beside whatever session the browser holds (kept as it is: it
    # may be another order's, with a draft); it opens no other return and starts none.
    grant = ReturnGrant(request.rma, order.number, order.locale)
    page.cookies.append(grant_cookie(grant_token(page.deps.tokens, grant, now=page.now), request.rma,
                                     secure=page.secure))
    return page.redirect(f"/returns/{request.rma}")


def _link_refused(page: Page, rma: str, *, expired: bool) -> Response:
    """The lookup form, saying why the link did not open the return; it leads back to it."""
    if _grant_for(page, rma) is not None:
        # An earlier link already opened this return here: the page itself.
        return page.redirect(f"/returns/{normalize_rma(rma)}")
    if page.session.has_order and not page.session_lost:
        # This browser holds the order already (an old email opened again): the page itself.
        try:
            request = read_return(page.deps, rma, order_number=page.session.order_number)
        except NotFoundError:
            pass
        else:
            return page.redirect(f"/returns/{request.rma}")
    notice = (page._("This link to your return has expired. Find your order below to see your return.")
              if expired else
              page._("This link to your return is incomplete or no longer valid. Find your order below to see your return."))
    canonical = normalize_rma(rma)
    return page.html("pages/home.html", status=410 if expired else 403, step=1, notice=notice, values={},
                     next_rma=canonical or "", switch_path=f"/returns/{canonical}" if canonical else "/")


def _status_page(page: Page, judged: JudgedOrder, request: Any, *, status: int = 200,
                 problem: str | None = None) -> Response:
    zone = judged.policy.zone
    # What the shopper can spend now, beside the credit this return issued (credit past its date
    # is not, even before the daily job writes it off).
    credit_balance = (spendable(page.deps.store_credit.account(request.customer_email, request.quote.currency),
                                now=page.deps.clock.now())
                      if request.status == "credited" else None)
    # A status link opens this return only: a new return starts from the lookup.
    holds_order = page.session.has_order and page.session.order_number == judged.order.number
    return page.html("pages/status.html", status=status, order=judged.order, ret=request,
                     credit_balance=credit_balance, problem=problem, switch_path=f"/returns/{request.rma}",
                     new_return_href="/return/items" if holds_order else "/",
                     moment=lambda value: format_datetime(value, page.lang, zone),
                     rows=_review_rows(judged, request.quote),
                     events=sorted((e for e in request.events if e.kind in EVENT_LABELS),
                                   key=lambda e: e.at, reverse=True))


@shopper_view(shopper_pages, "/returns/{rma}/label", methods=["GET"])
def label(page: Page, rma: str) -> Response:
    """The printable label and packing slip (`?size=4x6|a4|letter`): a short-lived link to the PDF."""
    grant = _grant_for(page, rma)
    if grant is not None:
        order_number = grant.order_number
    else:
        judged = _bound_order(page)
        if judged is None:
            return page.redirect("/?" + urlencode({"rma": rma}))
        order_number = judged.order.number
    query: Mapping[str, str] = page.request.query_params or {}
    size = parse_label_size(query.get("size"))
    try:
        url = label_url(page.deps, rma, order_number=order_number, size=size)
    except ConflictError as error:
        why = _NO_LABEL.get(error.code)
        if why is None:
            raise
        return error_page(page, 409, page._(why))
    return page.redirect(url)


# Why a return has no label (services/issue_label.py VOID_LABELS), in the shopper's words.
_NO_LABEL: dict[str, str] = {
    "return_cancelled": N_("This return was cancelled, so its label can no longer be used."),
    "return_expired": N_("This return expired, so its label can no longer be used."),
    "return_rejected": N_("The store declined this return, so it has no label."),
}


# --- cancel -----------------------------------------------------------------------------------

@shopper_view(shopper_pages, "/returns/{rma}/cancel", methods=["GET"])
def cancel(page: Page, rma: str) -> Response:
    """Are you sure? What cancelling means, and the button that does it (opening it changes nothing)."""
    found = _return_of_session(page, rma, by_link=True)
    if found is None:
        return page.redirect("/?" + urlencode({"rma": rma}))
    judged, request = found
    if not request.can_be_cancelled:
        return page.redirect(f"/returns/{request.rma}")
    return page.html("pages/cancel.html", order=judged.order, ret=request,
                     rows=_review_rows(judged, request.quote))


@shopper_view(shopper_pages, "/returns/{rma}/cancel", methods=["POST"], content_types=FORM)
def post_cancel(page: Page, rma: str) -> Response:
    """The status page's button asks first (one mis-tap cancels nothing); the confirmation's button
    (`confirm=yes`) cancels. Too late: the status page again, saying why, with a 409."""
    if _grant_for(page, rma) is None and not page.session.has_order:
        return _ended(page)
    form = page.form()
    if page.session_lost or not _csrf_ok(page, form):
        return _ended(page) if page.session_lost else error_page(page, 403)
    # Another order's RMA is the same 404 page as a missing one; the canonical RMA from here on.
    found = _return_of_session(page, rma, by_link=True)
    if found is None:
        return _ended(page)
    judged, request = found
    if form.get("confirm") != "yes":
        return page.redirect(f"/returns/{request.rma}/cancel")
    try:
        cancel_return(page.deps, request.rma, order_number=judged.order.number)
    except NotCancellableError as error:
        current = read_return(page.deps, request.rma, order_number=judged.order.number)
        return _status_page(page, judged, current, status=409,
                            problem=page._(TOO_LATE_TO_CANCEL.get(error.why, TOO_LATE_TO_CANCEL["closed"])))
    return page.redirect(f"/returns/{request.rma}")
