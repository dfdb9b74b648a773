"""Step 4, review and confirm (templates/pages/review.html): everything at once, then the return."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from urllib.parse import urlencode

from chalice.app import Response

from ...domain.errors import RateLimitedError, ValidationError
from ...domain.exchange import OutOfStockError
from ...domain.quote import Quote
from ...domain.return_request import AWAITING_PAYMENT
from ...locales import N_
from ...services.exchange_swaps import Swap, exchange_swaps
from ...services.request_return import quote_return, request_return
from ..sessions import Draft
from . import shopper_pages
from .page import FORM, STEP_NAMES, Page, bound_order, bound_post, ended, error_page, shopper_view, switching_language
from .choose_items import out_of_stock_page, variant_text
from .resolution import offered

if TYPE_CHECKING:
    from ...services.shopper_order import JudgedOrder

# The status page's query flag: "you have already sent this return; here it is".
MADE_ALREADY = "made"


def review_rows(judged: JudgedOrder, priced: Quote, swaps: Mapping[str, Swap] | None = None) -> list[dict[str, Any]]:
    """The quoted lines as the summary shows them (review, confirmation, status, cancel); an
    exchange's lines with the variant sent back and the replacement, each with its value."""
    rows = []
    for quoted in priced.lines:
        line = judged.order.line(quoted.line_id)
        swap = (swaps or {}).get(quoted.line_id)
        exchange = None
        if swap is not None and quoted.replacement is not None and quoted.difference is not None:
            exchange = {"sent_back": variant_text(swap.sent_back, swap.sent_back_sku),
                        "sent_back_value": quoted.replacement - quoted.difference,
                        "replacement": variant_text(swap.replacement, swap.replacement_sku),
                        "replacement_value": quoted.replacement}
        rows.append({"line": line, "quoted": quoted, "exchange": exchange,
                     "needs_approval": (v := judged.verdict(quoted.line_id)) is not None and v.status == "needs_approval"})
    return rows


def summary_rows(page: Page, judged: JudgedOrder, priced: Quote) -> list[dict[str, Any]]:
    """`review_rows` with an exchange's variants named from the catalog."""
    return review_rows(judged, priced, exchange_swaps(page.deps, judged.order, priced))


def resolution_ready(judged: JudgedOrder, draft: Draft) -> bool:
    """Whether the draft's resolution fits its lines: "exchange" when every line is exchanged (and
    the store offers exchanges), else a money choice the store offers with no line exchanged."""
    exchanged = [s for s in draft.selections if s.exchange_for]
    if draft.resolution == "exchange":
        return judged.policy.exchanges != "off" and len(exchanged) == len(draft.selections) > 0
    return not exchanged and draft.resolution in offered(judged)


@shopper_view(shopper_pages, "/return/review", methods=["GET"])
def review(page: Page) -> Response:
    """Everything at once: items, reasons, the money line by line, and the confirm button."""
    judged = bound_order(page)
    if judged is None:
        return ended(page)
    draft = page.session.draft
    if not draft.selections:
        return made_already(page) or page.redirect("/return/items")
    if not resolution_ready(judged, draft):
        # A draft with exchanges goes back to the items (the only step that sets them).
        exchanged = any(s.exchange_for for s in draft.selections)
        return page.redirect("/return/items" if exchanged else "/return/resolution")
    return _review_page(page, judged, draft, [], status=200)


def _review_page(page: Page, judged: JudgedOrder, draft: Draft, errors: list[dict[str, str]], *, status: int) -> Response:
    try:
        priced = quote_return(page.deps, order_number=judged.order.number, selections=draft.selections,
                              resolution=draft.resolution)
    except ValidationError:
        return page.redirect("/return/items")
    except OutOfStockError as error:
        # A chosen variant ran out since the items step: choose again there, told what is left.
        return out_of_stock_page(page, judged, draft, error)
    rows = summary_rows(page, judged, priced)
    context: dict[str, Any] = {"order": judged.order, "quote": priced, "rows": rows, "errors": errors,
                               "needs_approval": any(r["needs_approval"] for r in rows)}
    if priced.is_exchange:
        # An exchange's third step is the exchange itself, not the money step it skipped.
        context["steps"] = [page._(name) for name in (*STEP_NAMES[:2], N_("Exchange"), STEP_NAMES[3])]
    return page.html("pages/review.html", status=status, step=4, **context)


@shopper_view(shopper_pages, "/return/confirm", methods=["POST"], content_types=FORM)
def post_confirm(page: Page) -> Response:
    """Request the return (the use case judges, prices and stores it in one go)."""
    bound = bound_post(page)
    if isinstance(bound, Response):
        return bound
    judged, form = bound
    draft = page.session.draft
    if switching_language(form):
        # The language menu, not the confirm button: nothing is requested, the review is shown again.
        return page.redirect("/return/review")
    if not draft.selections:
        # The back button, or a second tab, confirming a draft this session already made.
        return made_already(page) or page.redirect("/return/items")
    try:
        created = request_return(page.deps, order_number=judged.order.number, selections=draft.selections,
                                 resolution=draft.resolution, idempotency_key=_confirm_key(page, draft),
                                 # The language the shopper reads now: the return's emails and label speak it.
                                 locale=page.lang)
    except ValidationError:
        # Something changed since the review (another return, a new policy): choose again.
        return page.redirect("/return/items")
    except OutOfStockError as error:
        # Another shopper took the last unit of a chosen variant: nothing was made; choose again.
        return out_of_stock_page(page, judged, draft, error)
    except RateLimitedError as error:
        # The order's returns for the day are used up (a create / cancel loop): come back tomorrow.
        limited = error_page(page, 429, page._(
            "This order has had several return requests today, so we can't take another "
            "one until tomorrow. Your earlier requests are unchanged."))
        limited.headers["Retry-After"] = str(error.retry_after)
        return limited
    page.save(page.session.confirmed_as(created.rma))
    if created.status == AWAITING_PAYMENT:
        # A dearer exchange: the price difference is paid first (web/pages/pay.py).
        return page.redirect(f"/returns/{created.rma}/pay")
    return page.redirect(f"/returns/{created.rma}/confirmation")


def made_already(page: Page) -> Response | None:
    """To the return this session confirmed last, saying so, when its draft is already spent."""
    if not page.session.confirmed:
        return None
    return page.redirect(f"/returns/{page.session.confirmed}?{urlencode({MADE_ALREADY: '1'})}")


def _confirm_key(page: Page, draft: Draft) -> str:
    """One key per session and draft: a double click posts the old cookie twice, and must not
    make two returns. The session's random nonce keeps the key (and so the RMA) unguessable."""
    content = json.dumps(draft.to_json(), sort_keys=True, ensure_ascii=False)
    return "page:" + hashlib.sha256(f"{page.session.nonce}\n{content}".encode()).hexdigest()

