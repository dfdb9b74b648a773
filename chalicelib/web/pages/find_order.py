"""Step 1, find the order (templates/pages/home.html): order number and email."""

from __future__ import annotations

import re
from collections.abc import Mapping

from chalice.app import Response

from ...domain.errors import NotFoundError, RateLimitedError, ValidationError
from ...domain.order import is_plausible_email, normalize_email
from ...services.limit_lookups import limit_lookups
from ...services.look_up_order import look_up_order
from ..sessions import new_session
from . import shopper_pages
from .page import FORM, Page, csrf_ok, ended, error_page, shopper_view, switching_language

MAX_FIELD = 254


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
        return ended(page)
    form = page.form()
    if not csrf_ok(page, form):
        return error_page(page, 403)
    number = form.get("order_number", "").strip()[:MAX_FIELD]
    email = form.get("email", "").strip()[:MAX_FIELD]
    if switching_language(form):
        # The language menu sent the form: the same form in the new language, as typed so far.
        return page.html("pages/home.html", step=1, values={"order_number": number, "email": email},
                         next_rma=form.get("rma", ""))
    errors: list[dict[str, str]] = []
    if not number:
        errors.append({"field": "order_number", "message": page._("Enter your order number.")})
    if not email:
        errors.append({"field": "email", "message": page._("Enter the email address you used at checkout.")})
    elif not is_plausible_email(normalize_email(email)):
        # A typo in the address is the shopper's to fix, and says nothing about any order.
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
    except ValidationError:
        message = page._("Enter an email address like name@example.com.")
        return page.html("pages/home.html", status=400, step=1, values=values, next_rma=form.get("rma", ""),
                         errors=[{"field": "email", "message": message}])
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

