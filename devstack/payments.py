"""Pay for a demo order on the local Stripe, the way a storefront's checkout would."""

from __future__ import annotations

import stripe


def stripe_client(stripe_api_base: str, api_key: str) -> stripe.StripeClient:
    """A Stripe client that talks only to `stripe_api_base`."""
    # No retries: localstripe ignores idempotency keys, so a retried create would pay twice.
    return stripe.StripeClient(
        api_key, base_addresses={"api": stripe_api_base.rstrip("/")}, max_network_retries=0
    )


def pay(
    stripe_api_base: str,
    api_key: str,
    *,
    amount: int,
    currency: str,
    description: str,
    metadata: dict[str, str],
) -> str:
    """Create and confirm a card PaymentIntent for `amount` minor units; return its id."""
    client = stripe_client(stripe_api_base, api_key)
    # Stripe's test Visa: always authorised, never asks for 3-D Secure.
    payment_method = client.v1.payment_methods.create(params={
        "type": "card",
        "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"},
    })
    # localstripe refuses a PaymentIntent `description`, so it travels in the metadata.
    intent = client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": currency.lower(),
            "payment_method": payment_method.id,
            "confirm": True,
            "metadata": {**metadata, "description": description},
        }
    )
    if intent.status != "succeeded":
        raise RuntimeError(f"PaymentIntent {intent.id} is {intent.status}, not succeeded")
    return intent.id


def confirm_with_card(stripe_api_base: str, api_key: str, payment_intent: str) -> None:
    """What Stripe.js does with the shopper's card on a pay page: attach Stripe's test Visa to
    `payment_intent` and confirm it. (localstripe refuses `confirm` with a payment_method, so
    it is attached first.)"""
    client = stripe_client(stripe_api_base, api_key)
    method = client.v1.payment_methods.create(params={
        "type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"},
    })
    client.v1.payment_intents.update(payment_intent, params={"payment_method": method.id})
    confirmed = client.v1.payment_intents.confirm(payment_intent)
    if confirmed.status != "succeeded":
        raise RuntimeError(f"PaymentIntent {payment_intent} is {confirmed.status}, not succeeded")
