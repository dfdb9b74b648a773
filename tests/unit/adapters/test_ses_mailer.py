"""Shopper emails: every language rendered, untrusted text escaped (the catalog: tests/unit/test_catalogs.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes

import pytest

from chalicelib.adapters.ses_mailer import (
    followed_link,
    mime_message,
    render_cancellation,
    render_confirmation,
    render_expiry,
    render_money_back,
)
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ReturnRequest
from tests.builders import a_line, an_order

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def a_return(locale: str, *, needs_approval: bool = False, currency: str = "JPY") -> tuple[ReturnRequest, object]:
    order = an_order(locale=locale, currency=currency,
                     lines=[a_line(currency=currency, title="Tee <script>alert(1)</script>")])
    selections = (Selection("L1", 1, "too_small"),)
    priced = quote(order, selections, DEFAULT_POLICY, resolution="store_credit")
    request = ReturnRequest.request(
        rma="R-7Q4K-9M2P", order=order, selections=selections, quote=priced,
        needs_approval=needs_approval, at=NOW,
    )
    return request, order


@pytest.mark.parametrize(
    ("locale", "subject", "phrase"),
    [("en", "Your return R-7Q4K-9M2P is approved", "Next steps"),
     ("ja", "返品 R-7Q4K-9M2P を承認しました", "今後の流れ"),
     ("zh-Hans", "您的退货 R-7Q4K-9M2P 已获批准", "后续步骤"),
     ("ko", "반품 R-7Q4K-9M2P 건이 승인되었습니다", "다음 단계")],
)
def test_the_confirmation_speaks_the_orders_language(locale: str, subject: str, phrase: str) -> None:
    request, order = a_return(locale)
    rendered_subject, text, html = render_confirmation(
        request, order, public_base_url="https://returns.example/", store_name="Demo",  # type: ignore[arg-type]
    )
    assert rendered_subject == subject
    for body in (text, html):
        assert phrase in body
        assert "R-7Q4K-9M2P" in body
        assert "https://returns.example/returns/R-7Q4K-9M2P" in body
    # ¥3,300 + ¥300 tax + 10 % store-credit bonus (¥360).
    assert "¥3,960" in text and "¥360" in text
    assert f'lang="{locale}"' in html


def test_a_pending_request_says_not_to_ship_yet() -> None:
    request, order = a_return("en", needs_approval=True)
    subject, text, _ = render_confirmation(request, order, public_base_url="http://x", store_name="Demo")  # type: ignore[arg-type]
    assert subject == "We received your return request R-7Q4K-9M2P"
    assert "Don't send anything yet: the store is reviewing your return." in text


def test_untrusted_text_is_escaped_in_html_and_plain_in_text() -> None:
    request, order = a_return("en", currency="USD")
    _, text, html = render_confirmation(request, order, public_base_url="http://x", store_name="Demo")  # type: ignore[arg-type]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Tee <script>alert(1)</script> × 1" in text
    assert "$39.60" in text


@pytest.mark.parametrize(
    ("locale", "subject", "phrase"),
    [("en", "Your return R-7Q4K-9M2P is cancelled", "Please don't send anything for this return."),
     ("ja", "返品 R-7Q4K-9M2P をキャンセルしました", "この返品の商品は発送しないでください。"),
     ("zh-Hans", "您的退货 R-7Q4K-9M2P 已取消", "请不要为此退货寄出任何物品。"),
     ("ko", "반품 R-7Q4K-9M2P 건이 취소되었습니다", "이 반품과 관련해 아무것도 보내지 마세요.")],
)
def test_the_cancellation_speaks_the_orders_language_and_voids_the_label(locale: str, subject: str, phrase: str) -> None:
    request, order = a_return(locale)
    cancelled = request.cancel(at=NOW)
    rendered_subject, text, html = render_cancellation(
        cancelled, order, public_base_url="https://returns.example/", store_name="Demo",  # type: ignore[arg-type]
    )
    assert rendered_subject == subject
    for body in (text, html):
        assert phrase in body
        assert "https://returns.example/returns/R-7Q4K-9M2P" in body
    # Approved before it was cancelled: the label it had must be thrown away.
    label_words = {"en": "throw it away", "ja": "破棄", "zh-Hans": "丢弃", "ko": "폐기"}[locale]
    assert label_words in text
    assert f'lang="{locale}"' in html


def test_a_request_cancelled_before_any_decision_mentions_no_label() -> None:
    request, order = a_return("en", needs_approval=True)
    _, text, html = render_cancellation(request.cancel(at=NOW), order, public_base_url="http://x", store_name="Demo")  # type: ignore[arg-type]
    assert "label" not in text and "label" not in html
    assert "As you asked, we have cancelled your return R-7Q4K-9M2P for order 1001." in text


@pytest.mark.parametrize(
    ("locale", "subject", "why", "label_void", "start_again"),
    [("en", "Your return R-7Q4K-9M2P has expired", "did not reach us within 30 days", "label no longer works",
      "start a new return"),
     ("ja", "返品 R-7Q4K-9M2P の期限が切れました", "承認から30日以内にお荷物が当店に届かなかった", "ラベルはもう使えません",
      "新しい返品を申し込めます"),
     ("zh-Hans", "您的退货 R-7Q4K-9M2P 已过期", "退货获批后 30 天内，我们未收到您的包裹", "退货标签已失效", "发起新的退货"),
     ("ko", "반품 R-7Q4K-9M2P 건이 만료되었습니다", "승인 후 30일 이내에 소포가 저희에게 도착하지 않았습니다",
      "라벨은 더 이상 사용할 수 없으니", "새 반품을 신청할 수 있습니다")],
)
def test_the_expiry_says_why_in_the_orders_language_voids_the_label_and_offers_a_new_return(
    locale: str, subject: str, why: str, label_void: str, start_again: str,
) -> None:
    request, order = a_return(locale)
    expired = request.expire(at=NOW, actor="system:return_expiry", ship_within_days=30)
    signed = "https://returns.example/returns/R-7Q4K-9M2P?link=v1.abc.def"
    rendered_subject, text, html = render_expiry(
        expired, order, ship_within_days=30, public_base_url="https://returns.example/",  # type: ignore[arg-type]
        store_name="Demo", status_url=signed,
    )
    assert rendered_subject == subject
    for body in (text, html):
        for words in (why, label_void, start_again, "1001", "R-7Q4K-9M2P"):
            assert words in body, (locale, words)
    assert signed in text and f'href="{signed}"' in html
    assert f'lang="{locale}"' in html


def test_an_expiry_after_a_single_day_says_day_not_days() -> None:
    request, order = a_return("en")
    _, text, _ = render_expiry(request.expire(at=NOW, actor="system:return_expiry"), order,  # type: ignore[arg-type]
                               ship_within_days=1, public_base_url="http://x", store_name="Demo")
    assert "did not reach us within 1 day of the return's approval." in text


def test_every_shopper_email_follows_the_signed_link_when_one_is_given() -> None:
    request, order = a_return("en")
    signed = "https://returns.example/returns/R-7Q4K-9M2P?link=v1.abc.def"
    rendered = [
        render_confirmation(request, order, public_base_url="https://returns.example", store_name="Demo",  # type: ignore[arg-type]
                            status_url=signed),
        render_cancellation(request.cancel(at=NOW), order, public_base_url="https://returns.example",  # type: ignore[arg-type]
                            store_name="Demo", status_url=signed),
        render_money_back(request, amount=request.quote.total, balance=None, public_base_url="https://returns.example",
                          store_name="Demo", status_url=signed),
    ]
    for _, text, html in rendered:
        assert signed in text and f'href="{signed}"' in html


def test_a_link_that_cannot_be_signed_falls_back_to_the_plain_address() -> None:
    request, _ = a_return("en")

    def no_key(_: object) -> str:
        raise RuntimeError("no token signing key is configured for this stage")

    assert followed_link(no_key, request, public_base_url="https://returns.example/") == \
        "https://returns.example/returns/R-7Q4K-9M2P"
    assert followed_link(lambda r: "https://x/returns/R?link=t", request, public_base_url="https://returns.example") == \
        "https://x/returns/R?link=t"


def test_the_message_carries_both_parts_in_utf8() -> None:
    raw = mime_message(sender="returns@retour.local", sender_name="山田商店", to="aiko@example.jp",
                       subject="返品 R-7Q4K-9M2P", text="テキスト", html="<p>エイチティーエムエル</p>")
    message = message_from_bytes(raw)
    assert message.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in message.walk()][1:]
    assert kinds == ["text/plain", "text/html"]
    assert raw.isascii()  # headers and bodies encoded for any mail server


def test_the_credit_email_dates_the_expiry_as_the_store_counts_days() -> None:
    """Credit that lapses at 20:00 UTC on 31 December lapses on 1 January in Tokyo: the email
    says the day the status page says, not the UTC one."""
    from zoneinfo import ZoneInfo

    from chalicelib.domain.money import Money
    from chalicelib.domain.store_credit import CreditEntry, CreditLot, EntryKind

    request, _ = a_return("en")
    issue = CreditEntry(id="e1", kind=EntryKind.ISSUE, amount=Money(5000, "JPY"), at=NOW,
                        expires_at=datetime(2026, 12, 31, 20, 0, tzinfo=UTC))
    lot = CreditLot(issue=issue, remaining=Money(5000, "JPY"), expired=False)
    days = {}
    for zone in (ZoneInfo("Asia/Tokyo"), ZoneInfo("UTC")):
        _, text, _ = render_money_back(request, amount=Money(5000, "JPY"), balance=Money(5000, "JPY"),
                                       public_base_url="https://returns.example", store_name="Demo",
                                       credit_code="7K2M-Q9XD-4HRT-B0NW", expiring=lot, zone=zone)
        days[zone.key] = text
    assert "expires on 1 January 2027" in days["Asia/Tokyo"]
    assert "expires on 31 December 2026" in days["UTC"]
