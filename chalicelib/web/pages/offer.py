"""The shopper's answer to the store's counter-offer, from the status page's two buttons."""

from __future__ import annotations

from chalice.app import Response

from ...domain.return_request import OfferClosedError
from ...locales import N_
from ...services.answer_offer import ANSWERS, answer_offer
from ...services.read_return import read_return
from . import shopper_pages
from .page import FORM, Page, error_page, shopper_view
from .status import posted_to_return, status_page

OFFER_CLOSED = N_("This offer is no longer open, so your answer was not recorded. The page shows where your return stands now.")
NOT_RECORDED = N_("Your answer was not recorded")


@shopper_view(shopper_pages, "/returns/{rma}/offer", methods=["POST"], content_types=FORM)
def post_offer(page: Page, rma: str) -> Response:
    """Accept or decline (`decision`), once; an offer already closed: the status page, saying so, 409."""
    posted = posted_to_return(page, rma)
    if isinstance(posted, Response):
        return posted
    form, judged, request = posted
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
