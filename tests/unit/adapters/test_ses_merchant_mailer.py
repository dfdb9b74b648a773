"""The merchant's refund emails: rendered by Jinja in the merchant's language, untrusted text escaped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.adapters.ses_merchant_mailer import render_refund_problem
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ReturnRequest
from tests.builders import a_line, an_order

NOW = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)
SCRIPT = "<script>alert(1)</script>"


def a_return() -> ReturnRequest:
    order = an_order(currency="USD", lines=[a_line(currency="USD")])
    selections = (Selection("L1", 1, "too_small", ""),)
    return ReturnRequest.request(rma="R-7Q4K-9M2P", order=order, selections=selections,
                                 quote=quote(order, selections, DEFAULT_POLICY, resolution="refund"),
                                 needs_approval=False, at=NOW)


@pytest.mark.parametrize(
    ("locale", "failed", "held"),
    [("en", "Refund failed for return R-7Q4K-9M2P", "Refund held for return R-7Q4K-9M2P: the charge is disputed"),
     ("ja", "返品 R-7Q4K-9M2P の返金に失敗しました", "返品 R-7Q4K-9M2P の返金を保留中：支払いに異議が申し立てられています"),
     ("zh-Hans", "退货 R-7Q4K-9M2P 退款失败", "退货 R-7Q4K-9M2P 的退款已暂停：该笔付款存在争议"),
     ("ko", "반품 R-7Q4K-9M2P 환불에 실패했습니다", "반품 R-7Q4K-9M2P 환불 보류: 결제에 이의가 제기되었습니다")],
)
def test_the_refund_emails_speak_the_merchants_language(locale: str, failed: str, held: str) -> None:
    subject, text, html = render_refund_problem(a_return(), held=False, reason="card_declined", locale=locale,
                                                store_name="Demo")
    assert subject == failed
    assert "card_declined" in text and "/api/v1/admin/returns/R-7Q4K-9M2P/retry-refund" in text
    assert f'<html lang="{locale}">' in html and "card_declined" in html
    subject, text, _ = render_refund_problem(a_return(), held=True, reason="fraudulent", locale=locale,
                                             store_name="Demo")
    assert subject == held
    assert "fraudulent" in text and "retry-refund" not in text


def test_the_amount_is_written_as_money_in_the_merchants_language() -> None:
    _, text, _ = render_refund_problem(a_return(), held=False, reason="x", locale="en", store_name="Demo")
    assert "$" in text and "minor units" not in text


@pytest.mark.parametrize("held", [False, True])
def test_a_reason_from_stripe_or_a_dispute_arrives_escaped_in_the_html_part(held: bool) -> None:
    _, text, html = render_refund_problem(a_return(), held=held, reason=SCRIPT, locale="en",
                                          store_name="Demo <b>Store</b>")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>Store</b>" not in html and "&lt;b&gt;Store&lt;/b&gt;" in html
    assert SCRIPT in text  # the text part is plain text: nothing to escape


def test_a_japanese_merchant_reads_the_money_the_date_and_stripes_reason_in_japanese() -> None:
    order = an_order(locale="en", currency="JPY", lines=[a_line(currency="JPY")])
    selections = (Selection("L1", 1, "too_small", ""),)
    request = ReturnRequest.request(rma="R-7Q4K-9M2P", order=order, selections=selections,
                                    quote=quote(order, selections, DEFAULT_POLICY, resolution="refund"),
                                    needs_approval=False, at=NOW)
    _, text, html = render_refund_problem(request, held=False, reason="lost_or_stolen_card", locale="ja",
                                          store_name="Demo")
    for part in (text, html):
        assert "¥3,600" in part  # Babel's money, in the merchant's language, whatever the shopper's
        assert "2026年12月20日" in part  # Babel's long date
        assert "カードが紛失または盗難の届け出をされています。 (lost_or_stolen_card)" in part
        assert "の返金に失敗しました" in part


def test_a_reason_stripe_did_not_document_is_shown_as_it_came() -> None:
    _, text, _ = render_refund_problem(a_return(), held=False, reason="something_new", locale="ko", store_name="Demo")
    assert "something_new" in text
