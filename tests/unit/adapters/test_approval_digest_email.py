"""The merchant's daily digest of an order's later exception requests: each request with its own
links, in the merchant's language, shopper text escaped."""

from __future__ import annotations

import dataclasses

import pytest

from chalicelib.adapters.ses_approvals import render_approval_digest
from chalicelib.domain.approvals import ApprovalRequest
from tests.unit.adapters.test_ses_approvals import an_approval


def two_requests() -> tuple[ApprovalRequest, ApprovalRequest]:
    first = an_approval()
    second = dataclasses.replace(
        first, request=dataclasses.replace(first.request, rma="R-8X2L-4N7Q"),
        links=(("approve", "https://r.example/merchant/approvals/U?action=approve"),
               ("reject", "https://r.example/merchant/approvals/U?action=reject")),
    )
    return first, second


@pytest.mark.parametrize(("locale", "phrase"), [("en", "more return requests need your decision"),
                                                 ("ja", "ご判断"), ("zh-Hans", "等待您的决定"), ("ko", "결정을 기다리고")])
def test_the_digest_lists_each_request_with_its_own_links_in_the_merchants_language(locale: str, phrase: str) -> None:
    subject, text, html = render_approval_digest(two_requests(), locale=locale, store_name="Demo")
    assert phrase in subject and "2" in subject and "1001" in subject
    for body in (text, html):
        first_at, second_at = body.index("R-7Q4K-9M2P"), body.index("R-8X2L-4N7Q")
        assert first_at < second_at
        # Each request's own links sit in its own section.
        assert first_at < body.index("approvals/T?action=approve") < second_at
        assert second_at < body.index("approvals/U?action=approve") and "approvals/U?action=reject" in body
    # Each request has the approval email's own decision block (templates/emails/_decide.html).
    if locale == "en":
        assert html.count("<h3>Earlier returns of this shopper</h3>") == 2
        assert html.count("These links work once and expire on") == 2
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>x</b>" not in html and "Tee &lt;b&gt;x&lt;/b&gt;" in html
