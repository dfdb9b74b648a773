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
