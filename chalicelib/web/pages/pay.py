"""Paying a dearer exchange's price difference (templates/pages/pay.html, templates/assets/pay.js).

Reached as the status page is (the order's session, or a status link's grant for this return).
The card goes to Stripe.js, never to us: the page makes (or reuses) the return's PaymentIntent and
hands Stripe.js its client secret; the script confirms it and comes back to `/pay/done`, which asks
Stripe what happened (never the query string) and moves the return once. Without JavaScript the
page says paying needs it, and what is left: cancel the return, and ask again for something else.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from chalice.app import Response

from ...adapters.babel_formatting import format_zoned_datetime
from ...domain.errors import ConflictError
from ...domain.refunds import PaymentGatewayUnavailableError
from ...domain.return_request import AWAITING_PAYMENT, ReturnRequest
from ...locales import N_
from ...services.fulfil_exchange import exchange_summary
from ...services.pay_difference import PaymentNotAwaitedError, confirm_payment, open_payment
from . import shopper_pages
from .page import Page, shopper_view
from .status import return_of_session, status_page

PAYMENT_UNAVAILABLE = N_("We couldn't reach the payment service, so you can't pay right now. Nothing was charged. "
                         "Please try again in a few minutes.")
NOT_THIS_PAYMENT = N_("That payment is not the one for return %(rma)s, so nothing was changed.")
NOT_PAID_YET = N_("Your payment for return %(rma)s has not gone through, and nothing was charged. "
                  "Please check your card details and try again.")

NOT_RECORDED = N_("Your payment was not recorded")


@shopper_view(shopper_pages, "/returns/{rma}/pay", methods=["GET"])
def pay(page: Page, rma: str) -> Response:
    """What is sent back, the replacement, both values and the difference; the card form (Stripe.js)."""
    found = return_of_session(page, rma, by_link=True)
    if found is None:
        return page.redirect(f"/returns/{rma}")
    judged, request = found
    if request.status != AWAITING_PAYMENT or request.payment is None:
        return page.redirect(f"/returns/{request.rma}")
    return _pay_page(page, judged, request)


def _pay_page(page: Page, judged: Any, request: ReturnRequest, *, status: int = 200,
              problem: str | None = None) -> Response:
    settings = page.deps.settings
    client_secret = ""
    if settings.stripe_publishable_key:
        try:
            opened = open_payment(page.deps, request.rma, order_number=judged.order.number)
        except PaymentNotAwaitedError:
            return page.redirect(f"/returns/{request.rma}")
        except PaymentGatewayUnavailableError:
            problem, status = problem or page._(PAYMENT_UNAVAILABLE), 503
        else:
            request, client_secret = opened.request, opened.client_secret
    else:
        problem, status = problem or page._(PAYMENT_UNAVAILABLE), 503
    payment = request.payment
    assert payment is not None
    policy = judged.policy
    pay_by = request.status_changed_at + timedelta(hours=policy.approval_expiry_hours)
    return page.html(
        "pages/pay.html", status=status,
        payment_origins=settings.stripe_page_origins if client_secret else (),
        ret=request, order=judged.order, rows=_rows(page, judged, request), amounts=request.quote,
        to_pay=payment.amount, pay_by=format_zoned_datetime(pay_by, page.lang, policy.zone),
        stripe_js_url=settings.stripe_js_url, publishable_key=settings.stripe_publishable_key or "",
        client_secret=client_secret, problem=problem,
    )


def _rows(page: Page, judged: Any, request: ReturnRequest) -> list[dict[str, Any]]:
    """Each exchanged line: the variant sent back and its value, the replacement and its price
    (named as the status page names them: the catalog's options, else the SKU)."""
    summary = exchange_summary(page.deps.catalog, request, judged.order, judged.policy)
    named = {line.line_id: line for line in summary.lines} if summary is not None else {}
    rows = []
    for quoted in request.quote.lines:
        if quoted.replacement is None or quoted.difference is None:
            continue  # not an exchanged line
        line = named.get(quoted.line_id)
        sold = judged.order.line(quoted.line_id)
        rows.append({
            "title": line.title if line is not None else (sold.title if sold is not None else quoted.line_id),
            "returned": line.returned if line is not None else "",
            "replacement_name": line.replacement if line is not None else "",
            "quantity": quoted.quantity,
            "sent_back": quoted.replacement - quoted.difference,
            "replacement": quoted.replacement,
        })
    return rows


@shopper_view(shopper_pages, "/returns/{rma}/pay/done", methods=["GET"])
def pay_done(page: Page, rma: str) -> Response:
    """Stripe.js comes back here: Stripe is asked whether this return's payment succeeded; if so
    the return moves (once, whoever asks first: this page or the webhook), then its status page."""
    found = return_of_session(page, rma, by_link=True)
    if found is None:
        return page.redirect(f"/returns/{rma}")
    judged, request = found
    query: Mapping[str, str] = page.request.query_params or {}
    payment_intent = query.get("payment_intent", "")
    payment = request.payment
    if payment is None or not payment_intent:
        return page.redirect(f"/returns/{request.rma}")
    if payment_intent != payment.payment_intent:
        # Someone else's PaymentIntent (or a typo): Stripe is not even asked.
        return _refused(page, judged, request, page._(NOT_THIS_PAYMENT, rma=request.rma))
    try:
        confirm_payment(page.deps, request.rma, payment_intent)
    except PaymentNotAwaitedError:
        if request.status == AWAITING_PAYMENT:
            return _pay_page(page, judged, request, status=409, problem=page._(NOT_PAID_YET, rma=request.rma))
        return page.redirect(f"/returns/{request.rma}")
    except ConflictError:
        return _refused(page, judged, request, page._(NOT_THIS_PAYMENT, rma=request.rma))
    except PaymentGatewayUnavailableError:
        # The webhook will record it if it went through; the status page shows where it stands.
        return _pay_page(page, judged, request, status=503, problem=page._(PAYMENT_UNAVAILABLE))
    return page.redirect(f"/returns/{request.rma}")


def _refused(page: Page, judged: Any, request: ReturnRequest, message: str) -> Response:
    if request.status == AWAITING_PAYMENT:
        return _pay_page(page, judged, request, status=409, problem=message)
    return status_page(page, judged, request, status=409, problem=message, problem_title=page._(NOT_RECORDED))
