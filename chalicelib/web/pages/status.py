"""After the confirm: the confirmation (templates/pages/confirmation.html), the status page
(status.html) and the label, for the session's order or through an email's status link."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from chalice.app import Response

from ...adapters.babel_formatting import format_date, format_zoned_datetime
from ...domain.errors import AuthenticationError, ConflictError, NotFoundError
from ...domain.return_photos import photo_lines, photos_open
from ...domain.return_request import normalize_rma
from ...domain.send_by import send_by_date
from ...domain.store_credit import next_to_expire, spendable
from ...locales import N_
from ...services.fulfil_exchange import exchange_summary
from ...services.issue_label import label_url, parse_label_size
from ...services.read_return import read_return
from ...services.return_photos import shopper_photos
from ...services.shopper_order import shopper_order
from ...services.status_links import LINK_PARAMETER, open_status_link
from ..sessions import ReturnGrant, grant_cookie, grant_token
from . import shopper_pages
from .page import EVENT_LABELS, Page, bound_order, csrf_ok, ended, error_page, shopper_view
from .review import MADE_ALREADY, summary_rows

if TYPE_CHECKING:
    from ...services.shopper_order import JudgedOrder

log = logging.getLogger("retour.pages")


def return_of_session(page: Page, rma: str, *, by_link: bool = False) -> tuple[JudgedOrder, Any] | None:
    """The order and return `rma` this browser may see: through its session's order, or (`by_link`,
    the status page, label and cancel only) through the grant of a status link for this return."""
    grant = grant_for(page, rma) if by_link else None
    if grant is not None:
        return (shopper_order(page.deps, grant.order_number),
                read_return(page.deps, grant.rma, order_number=grant.order_number))
    judged = bound_order(page)
    if judged is None:
        return None
    return judged, read_return(page.deps, rma, order_number=judged.order.number)


def posted_to_return(page: Page, rma: str) -> tuple[dict[str, str], JudgedOrder, Any] | Response:
    """A POST from a return's own page (cancel, answer an offer): its form, order and return once
    the shopper may act on it (a status link's grant or the order's session, and the form's CSRF
    token); otherwise the page that says why."""
    if grant_for(page, rma) is None and not page.session.has_order:
        return ended(page)
    form = page.form()
    if page.session_lost or not csrf_ok(page, form):
        return ended(page) if page.session_lost else error_page(page, 403)
    # Another order's RMA is the same page as a missing one; the canonical RMA from here on.
    found = return_of_session(page, rma, by_link=True)
    if found is None:
        return ended(page)
    judged, request = found
    return form, judged, request


def grant_for(page: Page, rma: str) -> ReturnGrant | None:
    """The browser's status-link grant when it is for return `rma` (the browser sends it only
    to that return's pages; the check holds whatever the client sends)."""
    grant = page.grant
    if grant is None or not hmac.compare_digest(grant.rma, normalize_rma(rma) or ""):
        return None
    return grant


@shopper_view(shopper_pages, "/returns/{rma}/confirmation", methods=["GET"])
def confirmation(page: Page, rma: str) -> Response:
    """The RMA, what happens next, and the way to the status page."""
    found = return_of_session(page, rma)
    if found is None:
        return page.redirect("/?" + urlencode({"rma": rma}))
    judged, request = found
    # photos: a damaged or not-as-described item may take photos; say so here, where the
    # shopper is, and lead to the status page's upload form.
    takes_photos = photos_open(request) and bool(photo_lines(request, judged.policy))
    return page.html("pages/confirmation.html", order=judged.order, ret=request,
                     rows=summary_rows(page, judged, request.quote), takes_photos=takes_photos,
                     exchange_trigger=judged.policy.exchange_trigger)


@shopper_view(shopper_pages, "/returns/{rma}", methods=["GET"])
def status(page: Page, rma: str) -> Response:
    """A return's status and timeline, for the shopper whose session holds its order.

    `?link=`: the signed link of an email (services/status_links.py) grants this one return
    (its status, label and cancel) and comes back here without the token.
    """
    query: Mapping[str, str] = page.request.query_params or {}
    if LINK_PARAMETER in query:
        return _follow_link(page, rma, query[LINK_PARAMETER])
    found = return_of_session(page, rma, by_link=True)
    if found is None:
        return page.redirect("/?" + urlencode({"rma": rma}))
    judged, request = found
    notice = None
    if query.get(MADE_ALREADY) and request.rma == page.session.confirmed:
        notice = page._("You've already sent this return, so nothing new was made. Here it is.")
    return status_page(page, judged, request, notice=notice)


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
    grant = ReturnGrant(request.rma, order.number, request.locale)
    page.cookies.append(grant_cookie(grant_token(page.deps.tokens, grant, now=page.now), request.rma,
                                     secure=page.secure))
    return page.redirect(f"/returns/{request.rma}")


def _link_refused(page: Page, rma: str, *, expired: bool) -> Response:
    """The lookup form, saying why the link did not open the return; it leads back to it."""
    if grant_for(page, rma) is not None:
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


def status_page(page: Page, judged: JudgedOrder, request: Any, *, status: int = 200,
                problem: str | None = None, notice: str | None = None,
                problem_title: str | None = None) -> Response:
    zone = judged.policy.zone
    # What the shopper can spend now, beside the credit this return issued (credit past its date
    # is not, even before the daily job writes it off).
    credit_balance = credit_code = expiring = None
    if request.status == "credited":
        now = page.deps.clock.now()
        account = page.deps.store_credit.account(request.customer_email, request.quote.currency)
        credit_balance, credit_code = spendable(account, now=now), account.code
        expiring = next_to_expire(account, now=now)
    # A status link opens this return only: a new return starts from the lookup.
    holds_order = page.session.has_order and page.session.order_number == judged.order.number
    rows = summary_rows(page, judged, request.quote)
    if request.status != "pending_approval":
        # Decided: "Needs the store's approval" on a line would be stale (judging today would say so).
        rows = [{**row, "needs_approval": False} for row in rows]
    # photos: each photo line's pictures and upload form (web/pages/photos.py answers S3's redirect).
    photos = shopper_photos(page.deps, request, judged.policy, base_url=page.deps.public_base_url)
    query: Mapping[str, str] = page.request.query_params or {}
    photos_addable = photos_open(request)
    if not photos_addable:
        # Decided, received or closed: no "photos help the store decide" and no empty item
        # headings; only the photos sent, and the line an upload just came back for (its
        # "can no longer be added" message).
        photos = {line_id: line for line_id, line in photos.items()
                  if line.links or line_id == query.get("line", "")}
    return page.html("pages/status.html", status=status, order=judged.order, ret=request,
                     photos=photos, photos_addable=photos_addable, photo_outcome=photo_outcome(page, query, judged) if photos else None,
                     photo_origin=page.deps.photo_origin() if photos else None,
                     credit_balance=credit_balance, credit_code=credit_code, expiring=expiring,
                     day=lambda value: format_date(value.astimezone(zone).date(), page.lang),
                     problem=problem, problem_title=problem_title, notice=notice,
                     switch_path=f"/returns/{request.rma}",
                     new_return_href="/return/items" if holds_order else "/",
                     moment=lambda value: format_zoned_datetime(value, page.lang, zone),
                     time_zone=judged.policy.time_zone, send_by=_send_by(page, judged, request),
                     rows=rows,
                     # An exchange: what is swapped for what, and its replacement order once made.
                     exchange=exchange_summary(page.deps.catalog, request, judged.order, judged.policy),
                     # Newest first, by the order the timeline was written (not by time: two
                     # entries of the same second keep their order).
                     events=[e for e in reversed(request.shopper_events) if e.kind in EVENT_LABELS])


def _send_by(page: Page, judged: JudgedOrder, request: Any) -> str | None:
    """"Send by" date of an approved, unsent return in the shopper's words; None without one."""
    day = send_by_date(request, judged.policy)
    return format_date(day, page.lang) if day is not None else None


@shopper_view(shopper_pages, "/returns/{rma}/label", methods=["GET"])
def label(page: Page, rma: str) -> Response:
    """The printable label and packing slip (`?size=4x6|a4|letter`): a short-lived link to the PDF.

    `?link=`: the API lookup's signed label link for this return (services/status_links.py).
    """
    query: Mapping[str, str] = page.request.query_params or {}
    grant = grant_for(page, rma)
    if grant is not None:
        order_number = grant.order_number
    elif LINK_PARAMETER in query:
        try:
            order_number = open_status_link(page.deps.tokens, query[LINK_PARAMETER], rma=rma, now=page.now)
        except AuthenticationError as error:
            log.info("a label link was refused", extra={"reason": error.code})
            return _link_refused(page, rma, expired=error.code == "token_expired")
    else:
        judged = bound_order(page)
        if judged is None:
            return page.redirect("/?" + urlencode({"rma": rma}))
        order_number = judged.order.number
    size = parse_label_size(query.get("size"))
    try:
        url = label_url(page.deps, rma, order_number=order_number, size=size)
    except ConflictError as error:
        why = _NO_LABEL.get(error.code)
        if why is None:
            raise
        return error_page(page, 409, page._(why))
    return page.redirect(url)


def photo_outcome(page: Page, query: Mapping[str, str], judged: JudgedOrder) -> dict[str, str] | None:
    """The result of the latest upload (web/pages/photos.py sends it in the query), for its line."""
    outcome, line_id = query.get("photo", ""), query.get("line", "")
    line = judged.order.line(line_id)
    if outcome not in PHOTO_OUTCOMES or line is None:
        return None
    return {"line": line_id, "ok": "yes" if outcome == "added" else "",
            "message": page._(PHOTO_OUTCOMES[outcome], item=line.title)}


# photos: what happened to an upload, in the shopper's words.
PHOTO_OUTCOMES: dict[str, str] = {
    "added": N_("Your photo of %(item)s was added. The store sees it with your return."),
    "not_an_image": N_("The file for %(item)s is not a photo we can use, so it was deleted. Choose a JPEG, PNG, WebP or HEIC image."),
    "too_large": N_("The photo for %(item)s is larger than 10 MB, so it was deleted. Choose a smaller one."),
    "limit": N_("%(item)s already has 3 photos, so the new one was deleted."),
    "closed": N_("Your return has moved on, so photos of %(item)s can no longer be added. The new one was deleted."),
    "missing": N_("No photo of %(item)s arrived. Choose a photo, then select Upload photo."),
}


# Why a return has no label (services/issue_label.py VOID_LABELS), in the shopper's words.
_NO_LABEL: dict[str, str] = {
    "return_cancelled": N_("This return was cancelled, so its label can no longer be used."),
    "return_expired": N_("This return expired, so its label can no longer be used."),
    "return_rejected": N_("The store declined this return, so it has no label."),
    "label_not_ready": N_("Don't send anything yet: the store is reviewing your return. We'll email you its decision, with your label if it's approved."),
}

