"""Step 3, the resolution (templates/pages/resolution.html): refund or store credit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Response

from ...domain.errors import ValidationError
from ...services.request_return import quote_return
from ..sessions import Draft
from . import shopper_pages
from .page import FORM, Page, bound_order, bound_post, ended, shopper_view, switching_language

if TYPE_CHECKING:
    from ...services.shopper_order import JudgedOrder


def offered(judged: JudgedOrder) -> list[str]:
    """The resolutions the order's policy offers, in the order the pages show them."""
    offered = [r for r in ("refund", "store_credit") if judged.policy.resolutions.offers(r)]
    return offered or ["refund"]


@shopper_view(shopper_pages, "/return/resolution", methods=["GET"])
def resolution(page: Page) -> Response:
    """Refund or store credit, each with exactly what it pays back."""
    judged = bound_order(page)
    if judged is None:
        return ended(page)
    draft = page.session.draft
    if not draft.selections:
        return page.redirect("/return/items")
    if any(s.exchange_for for s in draft.selections):
        # An exchange has no money to choose (the items step set its resolution): the review.
        return page.redirect("/return/review")
    return _resolution_page(page, judged, draft, draft.resolution, [], status=200)


def _resolution_page(page: Page, judged: JudgedOrder, draft: Draft, chosen: str,
                     errors: list[dict[str, str]], *, status: int) -> Response:
    options = []
    for code in offered(judged):
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
    bound = bound_post(page)
    if isinstance(bound, Response):
        return bound
    judged, form = bound
    draft = page.session.draft
    if not draft.selections:
        return page.redirect("/return/items")
    if any(s.exchange_for for s in draft.selections):
        return page.redirect("/return/review")
    chosen = form.get("resolution", "")
    if switching_language(form):
        # The language menu sent the step: keep a choice already made, show the step in the new language.
        if chosen in offered(judged):
            page.save(page.session.with_draft(Draft(draft.selections, chosen)))
        return page.redirect("/return/resolution")
    if chosen not in offered(judged):
        errors = [{"field": "resolution", "message": page._("Choose how you'd like to get your money back.")}]
        return _resolution_page(page, judged, draft, "", errors, status=400)
    page.save(page.session.with_draft(Draft(draft.selections, chosen)))
    return page.redirect("/return/review")

