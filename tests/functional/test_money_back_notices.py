"""The shopper hears that their money is back: an email in the order's language, and the status page."""

from __future__ import annotations

import html
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from chalice.test import Client

from chalicelib.adapters.babel_formatting import format_date, format_money
from chalicelib.bootstrap import get_deps
from chalicelib.domain.money import Money
from chalicelib.services.refund_return import resume_refund
from devstack.refund_worker import drain
from tests.functional.conftest import ADMIN, put_policy
from tests.functional.test_merchant_approvals import sent, subject, text_of
from tests.functional.test_refunds import (  # noqa: F401  (fixtures)
    ONE_TEE,
    Stripe,
    api,
    faulty_deps,
    money_env,
    paid_order,
    policy,
    receive,
    request_return,
    sqs,
    status_of,
    stripe_state,
)
from tests.functional.test_shopper_pages import Browser

# (order locale, words of the refund email, words of the credit email)
LANGUAGES = [
    ("en", "Please allow 5–10 days", "Your store credit balance"),
    ("ja", "5〜10日", "ストアクレジット残高"),
    ("zh-Hans", "5–10 天", "店铺积分余额"),
    ("ko", "5~10일", "스토어 크레딧 잔액"),
]


def emails_to(aws_endpoint: str, rma: str, to: str) -> list[Any]:
    return [m for m in sent(aws_endpoint) if rma in subject(m) and m["To"] == to]


def shopper_order(api: Client, stripe_endpoint: str, stripe_state: Stripe, locale: str) -> dict[str, Any]:
    return paid_order(api, stripe_endpoint, stripe_state, locale=locale,
                      email=f"shopper-{uuid.uuid4().hex[:8]}@example.com")


def status_page(api: Client, order: dict[str, Any], rma: str) -> str:
    shopper = Browser(api)
    response = shopper.post("/lookup", {"order_number": order["number"], "email": order["email"]})
    assert response.status_code == 303, response.body
    page = shopper.get(f"/returns/{rma}?lang=en")
    assert page.status_code == 200
    return html.unescape(page.body.decode())


@pytest.mark.parametrize(("locale", "refund_words", "credit_words"), LANGUAGES)
def test_a_refunded_shopper_is_emailed_the_amount_in_their_language(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any, aws_endpoint: str,
    locale: str, refund_words: str, credit_words: str,
) -> None:
    order = shopper_order(api, stripe_endpoint, stripe_state, locale)
    rma = request_return(api, order, ONE_TEE)
    assert receive(api, rma).status_code == 202
    assert not [m for m in emails_to(aws_endpoint, rma, order["email"]) if refund_words in text_of(m)]
    drain(get_deps(), sqs, money_env)
    assert status_of(rma).status == "refunded"
    [message] = [m for m in emails_to(aws_endpoint, rma, order["email"]) if refund_words in text_of(m)]
    assert format_money(Money(3600, "JPY"), locale) in text_of(message)
    # Delivering the job again pays nothing and mails nothing more.
    get_deps().refund_queue.enqueue(rma, trigger="receipt")
    drain(get_deps(), sqs, money_env)
    assert len(emails_to(aws_endpoint, rma, order["email"])) == 2  # the confirmation and this one


@pytest.mark.parametrize(("locale", "refund_words", "credit_words"), LANGUAGES)
def test_a_credited_shopper_is_emailed_the_credit_with_its_bonus_and_the_balance(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any, aws_endpoint: str,
    locale: str, refund_words: str, credit_words: str,
) -> None:
    order = shopper_order(api, stripe_endpoint, stripe_state, locale)
    rma = request_return(api, order, ONE_TEE, resolution="store_credit")
    assert receive(api, rma).json_body["status"] == "credited"
    [message] = [m for m in emails_to(aws_endpoint, rma, order["email"]) if credit_words in text_of(m)]
    body = text_of(message)
    assert format_money(Money(3600 + 360, "JPY"), locale) in body
    assert body.count(format_money(Money(3960, "JPY"), locale)) == 2  # the credit, and the balance


def test_the_status_page_shows_the_refund_on_its_way_then_the_refunded_amount(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    order = shopper_order(api, stripe_endpoint, stripe_state, "en")
    rma = request_return(api, order, ONE_TEE)
    assert receive(api, rma).status_code == 202
    drain(faulty_deps(stripe_endpoint, "timeout"), sqs, money_env)
    assert status_of(rma).status == "refunding"
    assert "Your refund of ¥3,600 is on its way. Please allow 5–10 days" in status_page(api, order, rma)
    refunded = status_of(rma)
    assert resume_refund(get_deps(), refunded.rma) is not None
    page = status_page(api, order, rma)
    assert "Refunded to your original payment: ¥3,600" in page
    # The timeline in the shopper's words; the job that resumed the refund is not theirs to see.
    for words in ("Return requested", "Parcel received by the store", "Refund started",
                  "Refund sent to your original payment method"):
        assert words in page
    assert "refund_started" not in page and "refund_resumed" not in page and "Refund checked" not in page


def test_the_status_page_shows_the_store_credit_issued_and_the_balance(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    order = shopper_order(api, stripe_endpoint, stripe_state, "en")
    first = request_return(api, order, ONE_TEE, resolution="store_credit")
    second = request_return(api, order, ONE_TEE, resolution="store_credit")
    assert receive(api, first).json_body["status"] == "credited"
    assert receive(api, second).json_body["status"] == "credited"
    page = status_page(api, order, first)
    assert "Store credit issued: ¥3,960" in page
    assert "Your store credit balance: ¥7,920" in page


def test_a_credited_shopper_sees_their_credit_code_and_when_it_expires_on_the_page_and_in_the_email(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any, aws_endpoint: str
) -> None:
    stored = put_policy(api, store_credit_expiry_days=30)
    assert stored["store_credit_expiry_days"] == 30
    try:
        order = shopper_order(api, stripe_endpoint, stripe_state, "en")
        rma = request_return(api, order, ONE_TEE, resolution="store_credit")
        assert receive(api, rma).json_body["status"] == "credited"
    finally:
        put_policy(api, store_credit_expiry_days=None)
    account = api.http.get(f"/api/v1/admin/store-credit/{order['email']}?currency=JPY", headers=ADMIN).json_body
    code = account["code"]
    # The day in the store's time zone.
    expires = (datetime.now(UTC) + timedelta(days=30)).astimezone(ZoneInfo(stored["time_zone"])).date()
    page = status_page(api, order, rma)
    assert "Your store credit code" in page and code in page
    assert f"¥3,960 of it expires on {format_date(expires, 'en')}." in page
    [message] = [m for m in emails_to(aws_endpoint, rma, order["email"]) if "store credit" in text_of(m)]
    body = text_of(message)
    assert f"Your store credit code: {code}" in body
    assert f"¥3,960 of it expires on {format_date(expires, 'en')}." in body
