"""The shopper's answer to the store's counter-offer, from the status page's two buttons."""

from __future__ import annotations

from chalice.app import Response

from ...domain.return_request import OfferClosedError
from ...locales import N_
from ...services.answer_offer import ANSWERS, answer_offer
from ...services.read_return import read_return
from . import shopper_pages
from .page import FORM, Page, csrf_ok, ended, error_page, shopper_view
from .status import grant_for, return_of_session, status_page

OFFER_CLOSED = N_("This offer is no longer open, so your answer was not recorded. The page shows where your return stands now.")
NOT_RECORDED = N_("Your answer was not recorded")


@shopper_view(shopper_pages, "/returns/{rma}/offer", methods=["POST"], content_types=FORM)
def post_offer(page: Page, rma: str) -> Response:
    """Accept or decline (`decision`), once; an offer already closed: the status page, saying so, 409."""
    if grant_for(page, rma) is None and not page.session.has_order:
        return ended(page)
    form = page.form()
    if page.session_lost or not csrf_ok(page, form):
        return ended(page) if page.session_lost else error_page(page, 403)
    found = return_of_session(page, rma, by_link=True)
    if found is None:
        return ended(page)
    judged, request = found
    answer = form.get("decision", "")
    if answer not in ANSWERS:
        return error_page(page, 400)
    try:
        answer_offer(page.deps, request.rma, answer, order_number=judged.order.number)
    except OfferClosedError:
        current = read_return(page.deps, request.rma, order_number=judged.order.number)
        return status_page(page, judged, current, status=409, problem=page._(OFFER_CLOSED),
                           problem_title=page._(NOT_RECORDED))
    return page.redirect(f"/returns/{request.rma}")
