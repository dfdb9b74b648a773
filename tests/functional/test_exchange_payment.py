"""Paying a dearer exchange's price difference against the local Stripe and the
local AWS: the pay page makes one PaymentIntent, Stripe's word (never the query) moves the return
once whichever of the page and the webhook comes first, a payment that is not the return's own is
refused, a cancelled paid exchange is refunded exactly once, and an unpaid one expires and frees
its stock."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import stripe
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.domain.errors import ConflictError
from chalicelib.domain.money import Money
from chalicelib.services.expire_returns import expire_unpaid
from chalicelib.services.pay_difference import confirm_payment, refund_difference, resume_difference_refunds
from devstack.payments import confirm_with_card, stripe_client
from devstack.refund_worker import drain
from tests.functional.conftest import ADMIN, days_later, put_policy
from tests.functional.test_exchange_requests import ask, stock, stocked, swap
from tests.functional.test_refunds import API_KEY, WEBHOOK_SECRET, api, money_env, sqs  # noqa: F401  (fixtures)
from tests.functional.test_shopper_pages import Browser, text


@pytest.fixture(autouse=True)
def any_price(api: Client) -> None:  # noqa: F811
    # Every order here is the same shopper's: no 90-day cap sends the later ones to the store.
    put_policy(api, exchanges="any_price", max_returns_per_customer_90d=None)


def dearer(api: Client, product_id: str) -> str:  # noqa: F811
    """A return of order `product_id`'s M tee for the XL (500 yen dearer): waiting for its payment."""
    stocked(api, product_id)
    created = ask(api, product_id, swap(f"{product_id}-XL"))
    assert created.status_code == 201, created.json_body
    assert created.json_body["status"] == "awaiting_payment"
    rma: str = created.json_body["rma"]
    return rma


def shopper(api: Client, rma: str, **kwargs: Any) -> Browser:  # noqa: F811
    """A browser that opened the return's status link (as from its email), reading in English
    (the demo order is Japanese; ?lang= is remembered by the language cookie)."""
    request = get_deps().returns.get(rma)
    assert request is not None
    browser = Browser(api, **kwargs)
    url = urlsplit(get_deps().status_url(request))
    assert browser.get(f"{url.path}?{url.query}&lang=en").status_code in (200, 303)
    return browser


def pay_on_stripe(stripe_endpoint: str, payment_intent: str) -> None:
    """What Stripe.js does with the shopper's card."""
    confirm_with_card(stripe_endpoint, API_KEY, payment_intent)
    assert intent_of(stripe_endpoint, payment_intent)["status"] == "succeeded"


def returned(rma: str) -> Any:
    found = get_deps().returns.get(rma)
    assert found is not None
    return found


def kinds(rma: str, kind: str) -> int:
    return sum(1 for event in returned(rma).events if event.kind == kind)


def webhook(api: Client, event_id: str, intent: dict[str, Any]) -> Any:  # noqa: F811
    payload = json.dumps({"id": event_id, "type": "payment_intent.succeeded", "data": {"object": intent}})
    header = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)
    response = api.http.post("/webhooks/stripe", body=payload,
                             headers={"Content-Type": "application/json", "Stripe-Signature": header})
    assert response.status_code == 200, response.body
    return response.json_body


def intent_of(stripe_endpoint: str, payment_intent: str) -> dict[str, Any]:
    data: dict[str, Any] = stripe_client(stripe_endpoint, API_KEY).v1.payment_intents.retrieve(payment_intent).to_dict()
    return data


def opened(browser: Browser, rma: str) -> str:
    """Open the pay page; the PaymentIntent it made (as stored on the return)."""
    page = browser.get(f"/returns/{rma}/pay")
    assert page.status_code == 200, text(page)
    payment_intent: str = returned(rma).payment.payment_intent
    assert payment_intent.startswith("pi_")
    return payment_intent


def test_the_pay_page_shows_both_values_and_makes_one_payment_intent_for_the_difference(
    api: Client, stripe_endpoint: str,  # noqa: F811
) -> None:
    rma = dearer(api, "paypage")
    browser = shopper(api, rma)
    page = browser.get(f"/returns/{rma}/pay")
    assert page.status_code == 200
    body = text(page)
    assert "Pay the price difference" in body
    assert "You send back: Size M (qty 1)" in body and "Replacement: Size XL" in body and "¥3,300" in body and "¥3,800" in body and "Pay ¥500" in body
    # Without JavaScript the shopper still has a way out.
    assert "needs JavaScript" in body and f'href="/returns/{rma}/cancel"' in body
    # Stripe.js from the local Stripe, our own script, and the Stripe origin on this page only.
    assert f'src="{stripe_endpoint}/js.stripe.com/v3/"' in body and 'src="/assets/pay.js"' in body
    csp = page.headers["Content-Security-Policy"]
    assert f"script-src 'self' {stripe_endpoint}" in csp and f"connect-src 'self' {stripe_endpoint}" in csp
    assert stripe_endpoint not in browser.get(f"/returns/{rma}").headers["Content-Security-Policy"]
    payment_intent = returned(rma).payment.payment_intent
    secret = re.search(r'data-secret="([^"]+)"', body)
    assert secret and secret.group(1).startswith(f"{payment_intent}_secret_")
    # Stripe holds exactly the difference, for this return, captured automatically.
    intent = intent_of(stripe_endpoint, payment_intent)
    assert (intent["amount"], intent["currency"], intent["metadata"]["rma"], intent["capture_method"]) == (
        500, "jpy", rma, "automatic")
    # A second visit (a reload, another tab) reuses it.
    assert browser.get(f"/returns/{rma}/pay").status_code == 200
    assert returned(rma).payment.payment_intent == payment_intent
    # A stranger without the link or the order's session sees nothing of it.
    assert Browser(api).get(f"/returns/{rma}/pay").status_code == 303
    assert returned(rma).status == "awaiting_payment"


def test_paying_moves_the_return_once_and_the_webhook_after_changes_nothing(
    api: Client, stripe_endpoint: str,  # noqa: F811
) -> None:
    rma = dearer(api, "paidpage")
    browser = shopper(api, rma)
    payment_intent = opened(browser, rma)
    # Back from Stripe.js before paying (a shopper's back button): nothing moves.
    early = browser.get(f"/returns/{rma}/pay/done?payment_intent={payment_intent}")
    assert early.status_code == 409 and returned(rma).status == "awaiting_payment"
    pay_on_stripe(stripe_endpoint, payment_intent)
    done = browser.get(f"/returns/{rma}/pay/done?payment_intent={payment_intent}")
    assert done.status_code == 303 and done.headers["Location"] == f"/returns/{rma}"
    paid = returned(rma)
    assert (paid.status, paid.payment.status) == ("approved", "succeeded")
    assert kinds(rma, "payment_received") == 1
    # The approved exchange has its label, as any approved return.
    assert "/label?size=" in text(browser.get(f"/returns/{rma}"))
    # The webhook arriving after, twice (two deliveries), and the page reloaded: no second move.
    intent = intent_of(stripe_endpoint, payment_intent)
    webhook(api, f"evt_{payment_intent}_1", intent)
    webhook(api, f"evt_{payment_intent}_2", intent)
    assert browser.get(f"/returns/{rma}/pay/done?payment_intent={payment_intent}").status_code == 303
    assert kinds(rma, "payment_received") == 1 and returned(rma).status == "approved"
    # The pay page of a paid return is its status page.
    assert browser.get(f"/returns/{rma}/pay").headers["Location"] == f"/returns/{rma}"


def test_the_webhook_first_moves_it_and_the_shoppers_return_after_changes_nothing(
    api: Client, stripe_endpoint: str,  # noqa: F811
) -> None:
    rma = dearer(api, "paidhook")
    browser = shopper(api, rma)
    payment_intent = opened(browser, rma)
    pay_on_stripe(stripe_endpoint, payment_intent)
    assert webhook(api, f"evt_{payment_intent}", intent_of(stripe_endpoint, payment_intent))["outcome"] == "difference_paid"
    assert returned(rma).status == "approved"
    assert browser.get(f"/returns/{rma}/pay/done?payment_intent={payment_intent}").status_code == 303
    assert kinds(rma, "payment_received") == 1


def test_someone_elses_payment_or_another_amount_is_refused_and_changes_nothing(
    api: Client, stripe_endpoint: str,  # noqa: F811
) -> None:
    mine, theirs = dearer(api, "mine"), dearer(api, "theirs")
    my_browser = shopper(api, mine)
    their_intent = opened(shopper(api, theirs), theirs)
    opened(my_browser, mine)
    pay_on_stripe(stripe_endpoint, their_intent)
    # Their paid PaymentIntent brought to my return's page.
    refused = my_browser.get(f"/returns/{mine}/pay/done?payment_intent={their_intent}")
    assert refused.status_code == 409 and "not the one for return" in text(refused)
    with pytest.raises(ConflictError) as error:
        confirm_payment(get_deps(), mine, their_intent)
    assert error.value.code == "payment_mismatch"
    assert returned(mine).status == "awaiting_payment"
    # A PaymentIntent made elsewhere naming my return, paid for less than the difference.
    client = stripe_client(stripe_endpoint, API_KEY)
    forged = client.v1.payment_intents.create(params={
        "amount": 400, "currency": "jpy", "metadata": {"rma": mine, "purpose": "exchange_difference"}})
    pay_on_stripe(stripe_endpoint, forged.id)
    outcome = webhook(api, f"evt_{forged.id}", intent_of(stripe_endpoint, forged.id))["outcome"]
    assert outcome == "ignored:payment_mismatch"
    assert my_browser.get(f"/returns/{mine}/pay/done?payment_intent={forged.id}").status_code == 409
    assert returned(mine).status == "awaiting_payment" and kinds(mine, "payment_received") == 0


def test_a_paid_exchange_cancelled_is_refunded_the_difference_exactly_once(
    api: Client, stripe_endpoint: str, money_env: str, sqs: Any,  # noqa: F811
) -> None:
    rma = dearer(api, "cancelpaid")
    browser = shopper(api, rma)
    payment_intent = opened(browser, rma)
    pay_on_stripe(stripe_endpoint, payment_intent)
    assert browser.get(f"/returns/{rma}/pay/done?payment_intent={payment_intent}").status_code == 303
    csrf = browser.csrf_of(f"/returns/{rma}/cancel")
    assert browser.post(f"/returns/{rma}/cancel", {"confirm": "yes", "csrf": csrf}).status_code == 303
    assert returned(rma).status == "cancelled"
    drain(get_deps(), sqs, money_env)
    refunds = stripe_client(stripe_endpoint, API_KEY).v1.refunds.list(params={"payment_intent": payment_intent}).data
    assert [(r.amount, r.currency, r.metadata["rma"]) for r in refunds] == [(500, "jpy", rma)]
    settled = returned(rma)
    assert (settled.payment.status, settled.payment.refund_id) == ("refunded", refunds[0].id)
    assert kinds(rma, "difference_refunded") == 1
    assert "was refunded to your card" in text(browser.get(f"/returns/{rma}"))
    # The job delivered again, the worker run again, the resume job: nothing more leaves.
    get_deps().refund_queue.enqueue(rma, trigger="difference")
    drain(get_deps(), sqs, money_env)
    refund_difference(get_deps(), rma)
    assert rma not in resume_difference_refunds(get_deps())
    again = stripe_client(stripe_endpoint, API_KEY).v1.refunds.list(params={"payment_intent": payment_intent}).data
    assert len(again) == 1 and kinds(rma, "difference_refunded") == 1


def test_a_difference_left_owing_is_paid_back_by_the_resume_job(
    api: Client, stripe_endpoint: str, money_env: str, sqs: Any,  # noqa: F811
) -> None:
    rma = dearer(api, "lostjob")
    payment_intent = opened(shopper(api, rma), rma)
    pay_on_stripe(stripe_endpoint, payment_intent)
    confirm_payment(get_deps(), rma, payment_intent)
    deps = get_deps()
    request = returned(rma)
    # Cancelled by a path that lost its queue message (saved directly, nothing queued).
    deps.returns.save(request.cancel(at=deps.clock.now()), new_events=1, now=deps.clock.now())
    assert resume_difference_refunds(deps) == [rma]
    refunds = stripe_client(stripe_endpoint, API_KEY).v1.refunds.list(params={"payment_intent": payment_intent}).data
    assert [r.amount for r in refunds] == [500]
    assert resume_difference_refunds(deps) == []


def test_an_unpaid_exchange_expires_frees_its_stock_and_can_no_longer_be_paid(
    api: Client, stripe_endpoint: str, aws_endpoint: str,  # noqa: F811
) -> None:
    from chalicelib.adapters.local_ses_outbox import sent_emails

    rma = dearer(api, "unpaid")
    browser = shopper(api, rma)
    payment_intent = opened(browser, rma)
    assert stock(api, "unpaid")["unpaid-XL"] == (1, 1, 0)
    hours = get_deps().policies.current().approval_expiry_hours

    def emails() -> list[Any]:
        return [m for m in sent_emails(aws_endpoint) if rma in m.subject + m.text]

    before = emails()
    assert rma not in expire_unpaid(get_deps())  # too young
    with days_later(hours / 24 + 0.01):
        assert rma in expire_unpaid(get_deps())
    expired = returned(rma)
    assert expired.status == "expired" and not expired.owes_difference_refund
    assert stock(api, "unpaid")["unpaid-XL"] == (1, 0, 1)
    # The card form can no longer take money for it.
    assert intent_of(stripe_endpoint, payment_intent)["status"] == "canceled"
    # The shopper is told why, by email (in the return's Japanese) and on the status page: the
    # difference was not paid and nothing was charged; no parcel was due, so no word of a label.
    told = [m for m in emails() if m.to == expired.customer_email][: len(emails()) - len(before)]
    assert len(told) == 1
    assert "差額のお支払いが期限までに確認できなかった" in told[0].text and "お支払いは発生していません" in told[0].text
    assert "ラベル" not in told[0].text
    page = text(browser.get(f"/returns/{rma}"))
    assert "The price difference wasn't paid in time, so this exchange is closed" in page
    assert "Pay the price difference" not in page and "parcel didn't reach" not in page
    with days_later(hours / 24 + 0.02):
        assert expire_unpaid(get_deps()) == []
    assert len(emails()) == len(before) + 1  # no second email


def test_an_exchange_paid_at_the_last_moment_is_kept_not_expired(
    api: Client, stripe_endpoint: str,  # noqa: F811
) -> None:
    rma = dearer(api, "lastminute")
    payment_intent = opened(shopper(api, rma), rma)
    pay_on_stripe(stripe_endpoint, payment_intent)  # its webhook and the shopper's return both lost
    hours = get_deps().policies.current().approval_expiry_hours
    with days_later(hours / 24 + 0.01):
        assert rma not in expire_unpaid(get_deps())
    assert returned(rma).status == "approved"
    assert returned(rma).payment.amount == Money(500, "JPY")


def test_the_pay_page_speaks_the_shoppers_language(api: Client) -> None:  # noqa: F811
    """The pay page in Japanese, from the message catalog."""
    rma = dearer(api, "payja")
    page = shopper(api, rma).get(f"/returns/{rma}/pay?lang=ja")
    assert page.status_code == 200
    assert "差額のお支払い" in text(page)


def test_paying_makes_the_replacement_order_when_the_store_ships_on_approval(
    api: Client, stripe_endpoint: str,  # noqa: F811
) -> None:
    put_policy(api, exchanges="any_price", exchange_trigger="on_approval", max_returns_per_customer_90d=None)
    rma = dearer(api, "shipfirst")
    browser = shopper(api, rma)
    payment_intent = opened(browser, rma)
    assert returned(rma).exchange_order is None
    pay_on_stripe(stripe_endpoint, payment_intent)
    assert browser.get(f"/returns/{rma}/pay/done?payment_intent={payment_intent}").status_code == 303
    made = returned(rma)
    assert made.status == "approved" and made.exchange_order is not None
    assert [(line.sku, line.quantity) for line in made.exchange_order.lines] == [("shipfirst-XL", 1)]
    # The promised unit left the shelf with the order: taken from stock, no longer reserved.
    assert stock(api, "shipfirst")["shipfirst-XL"] == (0, 0, 0)


def test_a_paid_exchange_that_needs_the_store_waits_for_it_and_only_then_the_merchant_is_emailed(
    api: Client, stripe_endpoint: str, aws_endpoint: str,  # noqa: F811
) -> None:
    from chalicelib.adapters.local_ses_outbox import sent_emails

    # The shopper's earlier returns reach the 90-day cap: this one is for the store to decide.
    put_policy(api, exchanges="any_price", max_returns_per_customer_90d=1)
    dearer(api, "capfirst")
    rma = dearer(api, "needsok")
    assert returned(rma).payment.then == "pending_approval"
    merchant = get_deps().policies.current().merchant_email

    def to_merchant() -> list[Any]:
        return [m for m in sent_emails(aws_endpoint) if m.to == merchant and rma in m.subject + m.text]

    assert to_merchant() == []  # nothing to decide before it is paid
    browser = shopper(api, rma)
    payment_intent = opened(browser, rma)
    pay_on_stripe(stripe_endpoint, payment_intent)
    assert browser.get(f"/returns/{rma}/pay/done?payment_intent={payment_intent}").status_code == 303
    assert returned(rma).status == "pending_approval"
    assert len(to_merchant()) == 1


def test_a_difference_stripe_refuses_to_pay_back_is_shown_told_once_and_a_hand_refund_is_recorded(
    api: Client, stripe_endpoint: str, aws_endpoint: str,  # noqa: F811
) -> None:
    from chalicelib.adapters.local_ses_outbox import sent_emails
    from tests.fakes import ShiftedClock
    from tests.functional.conftest import console_cookie
    from tests.functional.test_refunds import faulty_deps

    rma = dearer(api, "refusedback")
    payment_intent = opened(shopper(api, rma), rma)
    pay_on_stripe(stripe_endpoint, payment_intent)
    confirm_payment(get_deps(), rma, payment_intent)
    deps = get_deps()
    deps.returns.save(returned(rma).cancel(at=deps.clock.now()), new_events=1, now=deps.clock.now())
    merchant = deps.policies.current().merchant_email

    def to_merchant() -> list[Any]:
        return [m for m in sent_emails(aws_endpoint) if m.to == merchant and rma in m.subject]

    def refunds() -> list[Any]:
        return list(stripe_client(stripe_endpoint, API_KEY).v1.refunds.list(
            params={"payment_intent": payment_intent}).data)

    # Stripe refuses: nothing goes back, the store is told why, in its email and its console.
    refusing = faulty_deps(stripe_endpoint, "refused")
    refund_difference(refusing, rma)
    assert refunds() == [] and returned(rma).owes_difference_refund
    told = to_merchant()
    assert len(told) == 1 and "Stripe refused to pay back the price difference" in told[0].text
    assert payment_intent in told[0].text and "charge_disputed" in told[0].text
    page = api.http.get(f"/console/returns/{rma}", headers=console_cookie("agent")).body.decode()
    assert "Stripe refused to pay back" in page and payment_intent in page
    # The next claim (the first one's two minutes passed) is refused too: no second email.
    refund_difference(dataclasses.replace(refusing, clock=ShiftedClock(timedelta(minutes=3))), rma)
    assert refunds() == [] and len(to_merchant()) == 1
    # The store refunds it in Stripe's dashboard (no metadata): the next claim records that
    # refund instead of making a second one.
    by_hand = stripe_client(stripe_endpoint, API_KEY).v1.refunds.create(params={"payment_intent": payment_intent})
    done = refund_difference(dataclasses.replace(get_deps(), clock=ShiftedClock(timedelta(minutes=6))), rma)
    assert done is not None and done.payment.status == "refunded" and done.payment.refund_id == by_hand.id
    assert [r.id for r in refunds()] == [by_hand.id]
    assert "Paid back to the shopper" in api.http.get(
        f"/console/returns/{rma}", headers=console_cookie("agent")).body.decode()


def test_a_paid_difference_owed_after_the_stock_ran_out_is_found_by_the_resume_job(
    api: Client, stripe_endpoint: str,  # noqa: F811
) -> None:
    """The exchange falls through at the parcel (the store's shelf emptied), its refund job is
    lost: the resume job still finds the debt, though the return is neither cancelled, rejected
    nor expired."""
    from tests.functional.test_exchange_requests import a_tee

    put_policy(api, exchanges="any_price", exchange_out_of_stock="store_credit", max_returns_per_customer_90d=None)
    rma = dearer(api, "shelfgone")
    payment_intent = opened(shopper(api, rma), rma)
    pay_on_stripe(stripe_endpoint, payment_intent)
    confirm_payment(get_deps(), rma, payment_intent)
    assert get_deps().listings.owing_differences().count(rma) == 0  # nothing owed while it goes on
    assert api.http.put("/api/v1/admin/products/shelfgone", headers=ADMIN,
                        body=json.dumps(a_tee("shelfgone", xl_stock=0))).status_code == 200
    received = api.http.post(f"/api/v1/admin/returns/{rma}/receive", headers=ADMIN)
    assert received.status_code == 202, received.json_body
    fell = returned(rma)
    assert fell.exchange_fell_through and fell.owes_difference_refund and fell.status not in (
        "cancelled", "rejected", "expired")
    assert rma in get_deps().listings.owing_differences()
    # No worker ran (its job lost): the scheduled job pays it back, once.
    assert rma in resume_difference_refunds(get_deps())
    refunds = stripe_client(stripe_endpoint, API_KEY).v1.refunds.list(params={"payment_intent": payment_intent}).data
    assert [r.amount for r in refunds] == [500]
    assert rma not in get_deps().listings.owing_differences()
    assert resume_difference_refunds(get_deps()) == []
