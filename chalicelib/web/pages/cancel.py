"""Cancelling a return (templates/pages/cancel.html): ask first, then cancel while that is possible."""

from __future__ import annotations

from urllib.parse import urlencode

from chalice.app import Response

from ...domain.return_request import NotCancellableError
from ...locales import N_
from ...services.cancel_return import cancel_return
from ...services.read_return import read_return
from . import shopper_pages
from .page import FORM, Page, shopper_view
from .review import summary_rows
from .status import posted_to_return, return_of_session, status_page

# Why it is too late to cancel (NotCancellableError.why), in the shopper's words.
TOO_LATE_TO_CANCEL = {
    "received": N_("The store has already received your parcel, so this return can't be cancelled."),
    "paid": N_("Your money is already on its way back, so this return can't be cancelled."),
    "closed": N_("This return is already closed, so there is nothing to cancel."),
    "cancelled": N_("This return is already cancelled."),
    # The replacement order is made, so the store may have shipped it already.
    "exchange_made": N_("Your replacement order is already made, so this exchange can't be cancelled. "
                        "Please send back the items you are exchanging."),
}


@shopper_view(shopper_pages, "/returns/{rma}/cancel", methods=["GET"])
def cancel(page: Page, rma: str) -> Response:
    """Are you sure? What cancelling means, and the button that does it (opening it changes nothing)."""
    found = return_of_session(page, rma, by_link=True)
    if found is None:
        return page.redirect("/?" + urlencode({"rma": rma}))
    judged, request = found
    if not request.can_be_cancelled:
        return page.redirect(f"/returns/{request.rma}")
    return page.html("pages/cancel.html", order=judged.order, ret=request,
                     rows=summary_rows(page, judged, request.quote))


@shopper_view(shopper_pages, "/returns/{rma}/cancel", methods=["POST"], content_types=FORM)
def post_cancel(page: Page, rma: str) -> Response:
    """The status page's button asks first (one mis-tap cancels nothing); the confirmation's button
    (`confirm=yes`) cancels. Too late: the status page again, saying why, with a 409."""
    posted = posted_to_return(page, rma)
    if isinstance(posted, Response):
        return posted
    form, judged, request = posted
    if form.get("confirm") != "yes":
        return page.redirect(f"/returns/{request.rma}/cancel")
    try:
        cancel_return(page.deps, request.rma, order_number=judged.order.number)
    except NotCancellableError as error:
        current = read_return(page.deps, request.rma, order_number=judged.order.number)
        return status_page(page, judged, current, status=409,
                           problem=page._(TOO_LATE_TO_CANCEL.get(error.why, TOO_LATE_TO_CANCEL["closed"])))
    return page.redirect(f"/returns/{request.rma}")
