"""Store credit (issue, redeem once per key, never below zero) and Stripe webhooks (signed, applied once)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import stripe
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.domain.money import Money
from devstack.payments import pay
from devstack.refund_worker import drain
from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN
from tests.functional.test_refunds import (  # noqa: F401  (fixtures)
    API_KEY,
    ONE_TEE,
    WEBHOOK_SECRET,
    Stripe,
    api,
    money_env,
    paid_order,
    policy,
    receive,
    request_return,
    sqs,
    status_of,
    stripe_state,
)


def credit(api: Client, email: str, currency: str) -> Any:
    return api.http.get(f"/api/v1/admin/store-credit/{email}?currency={currency}", headers=ADMIN)


def redeem(api: Client, email: str, amount: int, key: str, currency: str = "JPY") -> Any:
    body = {"email": email, "currency": currency, "amount": amount, "idempotency_key": key}
    return api.http.post("/api/v1/admin/store-credit/redeem", headers=ADMIN, body=json.dumps(body))


def credited_shopper(api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any) -> tuple[str, int]:
    email = f"shopper-{uuid.uuid4().hex[:8]}@example.jp"
    order = paid_order(api, stripe_endpoint, stripe_state, email=email)
    rma = request_return(api, order, ONE_TEE, resolution="store_credit")
    assert receive(api, rma).json_body["status"] == "credited"
    drain(get_deps(), sqs, money_env)
    done = status_of(rma)
    assert done.status == "credited"
    return email, done.quote.total.minor


def test_a_store_credit_return_is_credited_with_its_bonus_in_one_step(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    email, total = credited_shopper(api, stripe_endpoint, stripe_state, money_env, sqs)
    assert total == 3600 + 360  # 10 % bonus of the default policy
    account = credit(api, email, "JPY").json_body
    assert account["balance"] == total
    assert [(e["kind"], e["amount"]) for e in account["entries"]] == [("issue", total)]
    assert stripe_state.refunds(stripe_state.payment_intents[-1]) == []


def test_one_idempotency_key_twice_spends_once(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    email, total = credited_shopper(api, stripe_endpoint, stripe_state, money_env, sqs)
    first = redeem(api, email, 1000, "checkout-abc-123")
    again = redeem(api, email, 1000, "checkout-abc-123")
    assert first.status_code == again.status_code == 200, first.json_body
    assert first.json_body == again.json_body and first.json_body["balance"] == total - 1000
    assert credit(api, email, "JPY").json_body["balance"] == total - 1000
    other = redeem(api, email, 999, "checkout-abc-123")
    assert other.status_code == 409 and other.json_body["error"]["code"] == "idempotency_key_reused"


def test_twenty_concurrent_redeems_never_overdraw_and_the_ledger_sums_to_the_balance(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    email, total = credited_shopper(api, stripe_endpoint, stripe_state, money_env, sqs)
    deps = get_deps()
    barrier = threading.Barrier(20)
    outcomes: list[str] = []

    def spend(k: int) -> None:
        barrier.wait()
        try:
            deps.store_credit.redeem(email, Money(500, "JPY"), idempotency_key=f"order-{k:04d}-spend", now=deps.clock.now())
            outcomes.append("spent")
        except Exception as error:  # noqa: BLE001 - the test counts refusals by their code
            outcomes.append(getattr(error, "code", repr(error)))

    threads = [threading.Thread(target=spend, args=(k,)) for k in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("spent") == total // 500
    assert set(outcomes) <= {"spent", "insufficient_credit"}
    account = credit(api, email, "JPY").json_body
    assert account["balance"] == total - 500 * (total // 500) >= 0
    assert sum(e["amount"] for e in account["entries"]) == account["balance"]


def test_a_redeem_above_the_balance_is_refused_and_spends_nothing(api: Client) -> None:
    response = redeem(api, "nobody@example.com", 1, "checkout-nothing-1", currency="USD")
    assert response.status_code == 409 and response.json_body["error"]["code"] == "insufficient_credit"
    assert credit(api, "nobody@example.com", "USD").json_body["balance"] == 0


# --- webhooks --------------------------------------------------------------------------------


def signed(api: Client, event: dict[str, Any], *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> Any:
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
    return api.http.post("/webhooks/stripe", body=payload,
                         headers={"Content-Type": "application/json", "Stripe-Signature": header})


def imported_order(api: Client, stripe_endpoint: str, stripe_state: Stripe, **overrides: Any) -> dict[str, Any]:
    """An order another storefront took payment for: its PaymentIntent carries no metadata at all."""
    number = f"8{uuid.uuid4().int % 10**7:07d}"
    document = an_order_document(number=number, placed_at=days_ago(7), delivered_at=days_ago(5), **overrides)
    total = sum(
        line["unit_price"] * line["quantity"] - line["discount"] + line["tax"] for line in document["lines"]
    ) + document["shipping_total"]
    method = stripe_state.client.v1.payment_methods.create(params={
        "type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"},
    })
    intent = stripe_state.client.v1.payment_intents.create(params={
        "amount": total, "currency": document["currency"].lower(), "payment_method": method.id, "confirm": True,
    })
    assert intent.status == "succeeded" and not (intent.to_dict().get("metadata") or {})
    stripe_state.payment_intents.append(intent.id)
    document["payment"] = {"provider": "stripe", "payment_intent": intent.id}
    response = api.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(document))
    assert response.status_code == 201, response.json_body
    document["total"] = total
    return document


def charge_refunded(
    order: dict[str, Any], refund_id: str, amount: int, *, metadata: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4().hex[:16]}", "object": "event", "type": "charge.refunded",
        "data": {"object": {
            "id": "ch_test", "object": "charge",
            "metadata": {"order_number": order["number"]} if metadata is None else metadata,
            "payment_intent": order["payment"]["payment_intent"],
            "refunds": {"data": [{"id": refund_id, "amount": amount, "status": "succeeded", "metadata": {}}]},
        }},
    }


def test_a_duplicated_charge_refunded_event_lowers_the_ceiling_once(
    api: Client, stripe_endpoint: str, stripe_state: Stripe
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    event = charge_refunded(order, "re_dashboard_1", 1000)
    for _ in range(2):
        response = signed(api, event)
        assert response.status_code == 200, response.json_body
    ledger = get_deps().payment_ledger.get(order["number"])
    assert ledger is not None and ledger.remaining_refundable.minor == order["total"] - 1000
    # The same refund in a new event (Stripe sends it again with the next refund) counts once too.
    assert signed(api, charge_refunded(order, "re_dashboard_1", 1000)).status_code == 200
    ledger = get_deps().payment_ledger.get(order["number"])
    assert ledger is not None and ledger.remaining_refundable.minor == order["total"] - 1000


def test_a_dashboard_refund_of_an_imported_order_without_metadata_lowers_its_ceiling_exactly(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    order = imported_order(api, stripe_endpoint, stripe_state)
    payment_intent = order["payment"]["payment_intent"]
    first = request_return(api, order, ONE_TEE)
    second = request_return(api, order, ONE_TEE)
    # The merchant refunds most of the order in the Stripe dashboard: no RMA, no order number.
    outside = stripe_state.client.v1.refunds.create(params={"payment_intent": payment_intent,
                                                            "amount": order["total"] - 5000})
    response = signed(api, charge_refunded(order, outside.id, outside.amount, metadata={}))
    assert response.status_code == 200 and response.json_body["outcome"] == "outside_refunds_recorded:1"
    ledger = get_deps().payment_ledger.get(order["number"])
    assert ledger is not None and ledger.remaining_refundable == Money(5000, "JPY")
    # What is left pays one tee back (3,600 yen), not two.
    for rma in (first, second):
        assert receive(api, rma).status_code == 202
    drain(get_deps(), sqs, money_env)
    assert status_of(first).status == "refunded"
    capped = status_of(second)
    assert capped.status == "refund_failed" and capped.refund.failure_reason == "exceeds_refundable"
    assert sorted(r.amount for r in stripe_state.refunds(payment_intent)) == [3600, order["total"] - 5000]
    ledger = get_deps().payment_ledger.get(order["number"])
    assert ledger is not None and ledger.remaining_refundable == Money(5000 - 3600, "JPY")


def test_when_metadata_names_another_order_the_order_the_payment_intent_paid_is_the_one_lowered(
    api: Client, stripe_endpoint: str, stripe_state: Stripe
) -> None:
    paid = imported_order(api, stripe_endpoint, stripe_state)
    other = paid_order(api, stripe_endpoint, stripe_state)
    # A storefront's own numbering in the metadata happens to be another order of ours.
    event = charge_refunded(paid, "re_dashboard_mixup", 1000, metadata={"order_number": other["number"]})
    assert signed(api, event).status_code == 200
    ledger = get_deps().payment_ledger.get(paid["number"])
    assert ledger is not None and ledger.remaining_refundable.minor == paid["total"] - 1000
    assert get_deps().payment_ledger.get(other["number"]) is None


def test_a_refund_on_a_payment_intent_no_order_of_ours_names_is_acknowledged_and_changes_nothing(
    api: Client, stripe_endpoint: str, stripe_state: Stripe
) -> None:
    stranger = {"number": "no-such-order", "payment": {"payment_intent": "pi_nobody_we_know"}}
    response = signed(api, charge_refunded(stranger, "re_stranger", 1000, metadata={}))
    # 2xx, or Stripe would deliver it again for days.
    assert response.status_code == 200 and response.json_body["outcome"] == "ignored"
    assert get_deps().payment_ledger.get("no-such-order") is None


def test_a_webhook_with_a_bad_signature_changes_nothing(
    api: Client, stripe_endpoint: str, stripe_state: Stripe
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    event = charge_refunded(order, "re_forged", 5000)
    assert signed(api, event, secret="whsec_someone_else").status_code == 400
    tampered = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(tampered, WEBHOOK_SECRET)
    response = api.http.post("/webhooks/stripe", body=tampered.replace("5000", "9000"),
                             headers={"Content-Type": "application/json", "Stripe-Signature": header})
    assert response.status_code == 400
    future = signed(api, event, timestamp=int(time.time()) + 3600)
    assert future.status_code == 400
    assert get_deps().payment_ledger.get(order["number"]) is None
    # Not recorded as seen either: the genuine delivery still applies.
    assert signed(api, event).status_code == 200


def test_a_refund_stripe_later_reports_failed_moves_the_return_to_refund_failed(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    receive(api, rma)
    drain(get_deps(), sqs, money_env)
    done = status_of(rma)
    assert done.status == "refunded"
    event = {
        "id": f"evt_{uuid.uuid4().hex[:16]}", "object": "event", "type": "refund.updated",
        "data": {"object": {"id": done.refund.refund_id, "object": "refund", "status": "failed",
                            "failure_reason": "lost_or_stolen_card", "amount": 3600,
                            "metadata": {"rma": rma, "attempt": "1"}}},
    }
    assert signed(api, event).status_code == 200
    assert signed(api, event).json_body["outcome"] == "duplicate"
    failed = status_of(rma)
    assert failed.status == "refund_failed" and failed.refund.failure_reason == "lost_or_stolen_card"
    ledger = get_deps().payment_ledger.get(order["number"])
    assert ledger is not None and ledger.remaining_refundable.minor == order["total"]


def test_a_completed_checkout_session_imports_the_order(api: Client, stripe_endpoint: str) -> None:
    number = f"CS{uuid.uuid4().hex[:8]}"
    # Two mugs (2 x 1200 + 160 tax) and 500 shipping, paid in full on the local Stripe.
    intent = pay(stripe_endpoint, API_KEY, amount=3060, currency="USD", description=f"order {number}",
                 metadata={"order_number": number})
    event = {
        "id": f"evt_{uuid.uuid4().hex[:16]}", "object": "event", "type": "checkout.session.completed",
        "data": {"object": {
            "id": "cs_test_1", "object": "checkout.session", "currency": "usd", "created": int(time.time()),
            "payment_intent": intent, "metadata": {"order_number": number, "locale": "en"},
            "customer_details": {"email": "kim@example.com", "name": "Kim Lee",
                                 "address": {"line1": "1 Main St", "city": "Reno", "state": "NV",
                                             "postal_code": "89501", "country": "US"}},
            "shipping_cost": {"amount_total": 500},
            "line_items": {"data": [{"id": "li_1", "description": "Mug", "quantity": 2, "amount_tax": 160,
                                     "amount_discount": 0, "price": {"id": "price_mug", "unit_amount": 1200}}]},
        }},
    }
    assert signed(api, event).status_code == 200
    stored = api.http.get(f"/api/v1/admin/orders/{number}", headers=ADMIN)
    assert stored.status_code == 200, stored.json_body
    assert stored.json_body["payment"]["payment_intent"] == intent
    assert stored.json_body["email"] == "kim@example.com" and stored.json_body["lines"][0]["quantity"] == 2
