"""The original shipping line in the shopper's and the merchant's emails."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from chalicelib.adapters.ses_approvals import render_approval_request
from chalicelib.adapters.ses_mailer import render_confirmation
from chalicelib.domain.approvals import ApprovalRequest, LineException
from chalicelib.domain.money import Money
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ReturnRequest
from tests.builders import a_line, an_order

NOW = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)
POLICY = replace(DEFAULT_POLICY, original_shipping_refund=("whole_order",))


def a_whole_return(*, needs_approval: bool = False) -> tuple[ReturnRequest, object]:
    """Both tees of a USD order back: $66.00 and tax $6.00, plus the $5.95 shipping."""
    order = an_order(locale="en", currency="USD", shipping_total=595, lines=[a_line(currency="USD")])
    selections = (Selection("L1", 2, "too_small"),)
    priced = quote(order, selections, POLICY, resolution="refund", at=NOW)
    return ReturnRequest.request(rma="R-7Q4K-9M2P", order=order, selections=selections, quote=priced,
                                 needs_approval=needs_approval, at=NOW), order


def test_the_shoppers_confirmation_lists_the_original_shipping_and_counts_it_in_the_total() -> None:
    request, order = a_whole_return()

    _, text, html = render_confirmation(request, order, public_base_url="https://r.example",  # type: ignore[arg-type]
                                        store_name="Demo")

    assert "Original shipping: +$5.95" in text
    assert "Original shipping</td><td align=\"right\">+$5.95" in html
    assert "$77.95" in text and "$77.95" in html


def test_a_return_without_it_shows_no_shipping_line() -> None:
    order = an_order(locale="en", currency="USD", lines=[a_line(currency="USD")])
    selections = (Selection("L1", 1, "too_small"),)
    request = ReturnRequest.request(rma="R-7Q4K-9M2P", order=order, selections=selections,
                                    quote=quote(order, selections, POLICY, resolution="refund", at=NOW),
                                    needs_approval=False, at=NOW)

    _, text, html = render_confirmation(request, order, public_base_url="https://r.example", store_name="Demo")

    assert "Original shipping" not in text and "Original shipping" not in html


def test_the_merchants_approval_email_shows_it_too() -> None:
    request, order = a_whole_return(needs_approval=True)
    line = LineException("L1", "Tee", "TEE", 2, "too_small", "", Money(7200, "USD"), "window_passed", days_late=3)
    approval = ApprovalRequest(request=request, order=order, lines=(line,), earlier_returns=(),  # type: ignore[arg-type]
                               links=(("approve", "https://r.example/merchant/approvals/T?action=approve"),),
                               expires_at=NOW + timedelta(hours=168), sent_at=NOW)

    _, text, html = render_approval_request(approval, locale="en", store_name="Demo")

    assert "Original shipping: +$5.95" in text
    assert "+$5.95" in html and "Original shipping" in html
