"""Store credit at Stripe Checkout: a single-use promotion code for the balance, made again for
what is left after every spend; a spend arriving by webhook is recorded once, whatever the order
and number of deliveries."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from tests.functional.conftest import ADMIN, put_policy
from tests.functional.test_refunds import (  # noqa: F401  (fixtures)
    Stripe,
    api,
    money_env,
    policy,
    sqs,
    stripe_state,
)
from tests.functional.test_store_credit_and_webhooks import credit, credited_shopper, signed


@pytest.fixture
def on_checkout() -> Iterator[None]:
    """The store sells through Stripe Checkout (RETOUR_STRIPE_CHECKOUT_CREDIT=1)."""
    deps = get_deps()
    deps._checkout_promotions = deps.payments  # type: ignore[assignment]
    yield
    deps._checkout_promotions = None


def promotion(stripe_state: Stripe, promotion_id: str) -> dict[str, Any]:
    found: dict[str, Any] = stripe_state.client.v1.promotion_codes.retrieve(promotion_id).to_dict()
    return found


def offered(stripe_state: Stripe, code: str) -> list[dict[str, Any]]:
    """The active promotion codes Stripe holds for this credit code, with their coupon's amount."""
    codes = stripe_state.client.v1.promotion_codes.list(params={"code": code, "active": True}).data
    result = []
    for found in codes:
        data = found.to_dict()
        coupon = stripe_state.client.v1.coupons.retrieve(data["promotion"]["coupon"])
        result.append({**data, "amount_off": coupon.amount_off, "currency": coupon.currency})
    return result


def checkout_completed(session_id: str, promotion_id: str, discount: int, *, kind: str = "checkout.session.completed",
                       breakdown: bool = False) -> dict[str, Any]:
    """A Checkout Session that took `discount` off with the promotion code (no order to import)."""
    totals: dict[str, Any] = {"amount_discount": discount, "amount_shipping": 0, "amount_tax": 0}
    if breakdown:
        totals["breakdown"] = {"discounts": [{"amount": discount, "discount": {"promotion_code": promotion_id}}]}
    return {
        "id": f"evt_{uuid.uuid4().hex[:16]}", "object": "event", "type": kind,
        "data": {"object": {
            "id": session_id, "object": "checkout.session", "currency": "jpy", "payment_status": "paid",
            "discounts": [{"promotion_code": promotion_id}], "total_details": totals,
        }},
    }


def test_credit_is_offered_at_checkout_as_a_single_use_code_for_the_balance(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any, on_checkout: None
) -> None:
    email, total = credited_shopper(api, stripe_endpoint, stripe_state, money_env, sqs)
    code = credit(api, email, "JPY").json_body["code"]
    [promo] = offered(stripe_state, code)
    assert (promo["code"], promo["max_redemptions"], promo["amount_off"], promo["currency"]) == (code, 1, total, "jpy")


def test_a_checkout_spend_is_recorded_once_and_the_rest_offered_again(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any, on_checkout: None
) -> None:
    email, total = credited_shopper(api, stripe_endpoint, stripe_state, money_env, sqs)
    code = credit(api, email, "JPY").json_body["code"]
    [first] = offered(stripe_state, code)
    session = f"cs_{uuid.uuid4().hex[:12]}"
    event = checkout_completed(session, first["id"], 1000)
    assert signed(api, event).status_code == 200
    # Stripe delivers again, then the async-payment event for the same session follows.
    assert signed(api, event).status_code == 200
    assert signed(api, checkout_completed(session, first["id"], 1000, kind="checkout.session.async_payment_succeeded",
                                          breakdown=True)).status_code == 200
    account = credit(api, email, "JPY").json_body
    assert account["balance"] == total - 1000
    assert [e["amount"] for e in account["entries"] if e["kind"] == "redeem"] == [-1000]
    assert promotion(stripe_state, first["id"])["active"] is False
    [again] = offered(stripe_state, code)
    assert again["id"] != first["id"] and again["amount_off"] == total - 1000


def test_events_out_of_order_record_the_spend_once(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any, on_checkout: None
) -> None:
    email, total = credited_shopper(api, stripe_endpoint, stripe_state, money_env, sqs)
    code = credit(api, email, "JPY").json_body["code"]
    [first] = offered(stripe_state, code)
    # The promotion code's own update arrives first: it records nothing.
    updated = {"id": f"evt_{uuid.uuid4().hex[:16]}", "object": "event", "type": "promotion_code.updated",
               "data": {"object": {**first, "times_redeemed": 1, "active": False}}}
    assert signed(api, updated).status_code == 200
    assert credit(api, email, "JPY").json_body["balance"] == total
    # The storefront spends some by code meanwhile: the code is made again...
    spent = api.http.post("/api/v1/admin/store-credit/redeem", headers=ADMIN, body=json.dumps(
        {"code": code, "currency": "JPY", "amount": 500, "idempotency_key": f"order-{uuid.uuid4().hex}"}))
    assert spent.status_code == 200, spent.json_body
    [second] = offered(stripe_state, code)
    assert second["amount_off"] == total - 500
    # ...and the Checkout spend with the first code arrives late, twice: recorded once.
    session = f"cs_{uuid.uuid4().hex[:12]}"
    assert signed(api, checkout_completed(session, first["id"], 1200)).status_code == 200
    assert signed(api, checkout_completed(session, first["id"], 1200)).status_code == 200
    account = credit(api, email, "JPY").json_body
    assert account["balance"] == total - 500 - 1200
    [third] = offered(stripe_state, code)
    assert third["amount_off"] == total - 1700 and promotion(stripe_state, second["id"])["active"] is False
    # A refund of that checkout's charge later gives no credit back and records nothing more.
    refunded = {"id": f"evt_{uuid.uuid4().hex[:16]}", "object": "event", "type": "charge.refunded",
                "data": {"object": {"id": f"ch_{uuid.uuid4().hex[:12]}", "object": "charge",
                                    "payment_intent": f"pi_{uuid.uuid4().hex[:12]}", "refunds": {"data": []}}}}
    assert signed(api, refunded).status_code == 200
    assert credit(api, email, "JPY").json_body["balance"] == total - 1700


def test_spending_it_all_at_checkout_leaves_no_code_usable(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any, on_checkout: None
) -> None:
    email, total = credited_shopper(api, stripe_endpoint, stripe_state, money_env, sqs)
    code = credit(api, email, "JPY").json_body["code"]
    [first] = offered(stripe_state, code)
    assert signed(api, checkout_completed(f"cs_{uuid.uuid4().hex[:12]}", first["id"], total)).status_code == 200
    assert credit(api, email, "JPY").json_body["balance"] == 0
    assert offered(stripe_state, code) == []


def test_a_checkout_with_another_promotion_code_records_nothing(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any, on_checkout: None
) -> None:
    email, total = credited_shopper(api, stripe_endpoint, stripe_state, money_env, sqs)
    assert signed(api, checkout_completed(f"cs_{uuid.uuid4().hex[:12]}", "promo_summer_sale", 800)).status_code == 200
    assert credit(api, email, "JPY").json_body["balance"] == total


def test_a_checkout_spend_above_what_is_left_takes_the_rest_so_it_is_not_spent_again(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any, on_checkout: None
) -> None:
    email, total = credited_shopper(api, stripe_endpoint, stripe_state, money_env, sqs)
    code = credit(api, email, "JPY").json_body["code"]
    [first] = offered(stripe_state, code)
    # The storefront spends some by code in the instant Stripe grants the whole first code.
    spent = api.http.post("/api/v1/admin/store-credit/redeem", headers=ADMIN, body=json.dumps(
        {"code": code, "currency": "JPY", "amount": 500, "idempotency_key": f"order-{uuid.uuid4().hex}"}))
    assert spent.status_code == 200, spent.json_body
    session = f"cs_{uuid.uuid4().hex[:12]}"
    assert signed(api, checkout_completed(session, first["id"], total)).status_code == 200
    # The same session's second event comes later: nothing more is taken.
    assert signed(api, checkout_completed(session, first["id"], total, kind="checkout.session.async_payment_succeeded",
                                          breakdown=True)).status_code == 200
    account = credit(api, email, "JPY").json_body
    # The shopper had the whole balance already: none of it may be spent a second time.
    assert account["balance"] == 0
    assert sorted(e["amount"] for e in account["entries"] if e["kind"] == "redeem") == [-(total - 500), -500]
    assert offered(stripe_state, code) == []


def test_credit_with_an_expiry_is_usable_at_checkout_only_until_that_date(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any, on_checkout: None
) -> None:
    stored = put_policy(api, store_credit_expiry_days=30)
    assert stored["store_credit_expiry_days"] == 30
    email, total = credited_shopper(api, stripe_endpoint, stripe_state, money_env, sqs)
    code = credit(api, email, "JPY").json_body["code"]
    [promo] = offered(stripe_state, code)
    [issue] = [e for e in get_deps().store_credit.account(email, "JPY").entries if e.kind == "issue"]
    assert issue.expires_at is not None
    # Stripe stops taking the code when the credit expires, not when the daily job writes it off.
    assert promo["expires_at"] == int(issue.expires_at.timestamp())
