"""Approval emails: each language rendered, text escaped (the catalog: tests/unit/test_catalogs.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.ses_approvals import render_approval_request, render_decision
from chalicelib.domain.money import Money
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ReturnRequest
from chalicelib.domain.approvals import ApprovalRequest, LineException
from tests.builders import a_line, an_order

NOW = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)
def an_approval(locale: str = "en") -> ApprovalRequest:
    order = an_order(locale=locale, currency="USD", lines=[a_line(currency="USD", title="Tee <b>x</b>")])
    selections = (Selection("L1", 1, "too_small", "<script>alert(1)</script>"),)
    request = ReturnRequest.request(
        rma="R-7Q4K-9M2P", order=order, selections=selections,
        quote=quote(order, selections, DEFAULT_POLICY, resolution="refund"), needs_approval=True, at=NOW,
    )
    line = LineException("L1", "Tee <b>x</b>", "TEE", 1, "too_small", "<script>alert(1)</script>",
                         Money(3600, "USD"), "window_passed", days_late=12)
    return ApprovalRequest(request=request, order=order, lines=(line,), earlier_returns=(),
                           links=(("approve", "https://r.example/merchant/approvals/T?action=approve"),),
                           expires_at=NOW + timedelta(hours=168), sent_at=NOW)


@pytest.mark.parametrize(("locale", "phrase"), [("en", "needs your decision"), ("ja", "ご判断"),
                                                 ("zh-Hans", "需要您的决定"), ("ko", "결정이 필요")])
def test_the_merchant_email_speaks_the_merchants_language(locale: str, phrase: str) -> None:
    subject, text, html = render_approval_request(an_approval(), locale=locale, store_name="Demo")
    assert phrase in subject
    for body in (text, html):
        assert "https://r.example/merchant/approvals/T?action=approve" in body
        assert "12" in body
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_a_declined_return_tells_the_shopper_the_merchants_note() -> None:
    approval = an_approval("ja")
    rejected = approval.request.reject(at=NOW, actor="admin", note="<i>worn</i>")
    subject, text, html = render_decision(rejected, approval.order, note="<i>worn</i>", counter_terms="",
                                          public_base_url="https://r.example", store_name="Demo")
    assert "R-7Q4K-9M2P" in subject
    assert "<i>worn</i>" in text and "&lt;i&gt;worn&lt;/i&gt;" in html


def test_the_approval_email_leads_to_the_label_and_the_status_page_through_the_signed_link() -> None:
    approval = an_approval("en")
    approved = approval.request.approve(at=NOW, actor="admin")
    signed = "https://r.example/returns/R-7Q4K-9M2P?link=v1.abc.def"
    _, text, html = render_decision(approved, approval.order, note="", counter_terms="",
                                    public_base_url="https://r.example", store_name="Demo", status_url=signed)
    assert f"Print your return label: {signed}" in text and f"Follow your return: {signed}" in text
    assert html.count(f'href="{signed}"') == 2
