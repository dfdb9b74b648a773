"""The local Stripe: loopback only, and demo payments that really succeed for the exact amount."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from devstack.payments import pay, stripe_client

API_KEY = "sk_test_local_fake_key_not_a_secret"


def test_the_local_stripe_listens_on_loopback_only(
    stripe_endpoint: str, listening_addresses: Callable[[int], set[str]]
) -> None:
    port = urlsplit(stripe_endpoint).port
    assert port is not None
    assert listening_addresses(port) == {"127.0.0.1"}


@pytest.mark.parametrize(("currency", "amount"), [("JPY", 12660), ("USD", 14246), ("KRW", 166900)])
def test_pay_makes_a_succeeded_payment_intent_for_the_exact_amount(
    stripe_endpoint: str, currency: str, amount: int
) -> None:
    payment_intent = pay(
        stripe_endpoint, API_KEY, amount=amount, currency=currency,
        description="Retour Demo Store order 1001", metadata={"order_number": "1001"},
    )
    assert payment_intent.startswith("pi_")
    intent = stripe_client(stripe_endpoint, API_KEY).v1.payment_intents.retrieve(payment_intent)
    assert intent.status == "succeeded"
    assert intent.amount == amount
    assert intent.currency == currency.lower()
    assert intent.metadata["order_number"] == "1001"


def test_the_gateway_reads_what_a_payment_intent_captured_and_knows_when_there_is_none(stripe_endpoint: str) -> None:
    from chalicelib.adapters.stripe_payments import StripePayments
    from chalicelib.domain.money import Money

    gateway = StripePayments(lambda: API_KEY, api_base=stripe_endpoint, min_interval_seconds=0)
    paid = pay(stripe_endpoint, API_KEY, amount=9150, currency="JPY", description="order 1001",
               metadata={"order_number": "1001"})
    assert gateway.captured(paid) == Money(9150, "JPY")
    # Authorised, not captured yet: nothing to refund from.
    client = stripe_client(stripe_endpoint, API_KEY)
    card = client.v1.payment_methods.create(params={
        "type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"},
    })
    held = client.v1.payment_intents.create(params={
        "amount": 5000, "currency": "usd", "payment_method": card.id, "confirm": True, "capture_method": "manual",
    })
    assert held.status == "requires_capture"
    assert gateway.captured(held.id) == Money(0, "USD")
    assert gateway.captured("pi_3NoSuchIntentAnywhere") is None
