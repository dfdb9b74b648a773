"""PaymentGateway on Stripe: keyed refunds, the refunds of a PaymentIntent and what it captured.

The client never retries by itself (max_network_retries=0): our saga retries with the same
idempotency key, and the resume job looks for the refund before making one, because Stripe
forgets keys after 24 hours.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import stripe
from stripe.params import PromotionCodeCreateParams

from ..domain.money import Money
from ..domain.refunds import GatewayRefund, PaymentGatewayUnavailableError, RefundDeclinedError
from ..services.owe_difference import DIFFERENCE_PURPOSE
from ..services.ports.money import DifferenceIntent

# Stripe allows 25 requests/s per endpoint by default; at most 5 workers (the refund worker's
# reserved concurrency) each pacing at 4/s stay at or under 20/s together.
DEFAULT_MIN_INTERVAL_SECONDS = 0.25
# A refund answer usually takes well under a second; the worker's Lambda timeout is 30 s.
DEFAULT_TIMEOUT_SECONDS = 10.0


class StripePayments:
    """Refunds through `stripe.StripeClient`; `http_client` is injectable (fault injection)."""

    def __init__(
        self,
        api_key: Callable[[], str],
        *,
        api_base: str | None = None,
        http_client: Any | None = None,
        min_interval_seconds: float = DEFAULT_MIN_INTERVAL_SECONDS,
    ) -> None:
        self._api_key = api_key
        self._api_base = api_base
        self._http_client = http_client
        self._client: stripe.StripeClient | None = None
        self._min_interval = min_interval_seconds
        self._pace_lock = threading.Lock()
        self._next_call = 0.0

    def _stripe(self) -> stripe.StripeClient:
        if self._client is None:
            options: dict[str, Any] = {"max_network_retries": 0}
            if self._api_base:
                options["base_addresses"] = {"api": self._api_base.rstrip("/")}
            options["http_client"] = self._http_client or stripe.RequestsClient(timeout=DEFAULT_TIMEOUT_SECONDS)
            self._client = stripe.StripeClient(self._api_key(), **options)
        return self._client

    def _pace(self) -> None:
        """Space this process's Stripe calls `min_interval` apart (rate limit, see above)."""
        with self._pace_lock:
            now = time.monotonic()
            wait = self._next_call - now
            self._next_call = max(now, self._next_call) + self._min_interval
        if wait > 0:
            time.sleep(wait)

    def refund(
        self, *, payment_intent: str, amount: Money, idempotency_key: str, rma: str, attempt: int
    ) -> GatewayRefund:
        client = self._stripe()
        self._pace()
        try:
            refund = client.v1.refunds.create(
                params={
                    "payment_intent": payment_intent,
                    "amount": amount.minor,
                    "metadata": {"rma": rma, "attempt": str(attempt)},
                },
                options={"idempotency_key": idempotency_key},
            )
        except (stripe.CardError, stripe.InvalidRequestError) as error:
            # 400/402: Stripe looked at it and said no (already refunded, above the charge,
            # disputed ...); no money moved.
            reason = error.code or (error.user_message or str(error))[:200]
            raise RefundDeclinedError(f"Stripe refused the refund: {reason}", reason=str(reason)) from error
        except stripe.StripeError as error:
            # Timeouts, connection errors, 5xx, 429, idempotency clashes: unknown outcome.
            raise PaymentGatewayUnavailableError(f"Stripe did not answer definitely: {type(error).__name__}") from error
        return _gateway_refund(refund, amount.currency)

    def create_credit_promotion(self, *, code: str, amount: Money, idempotency_key: str,
                                metadata: dict[str, str], expires_at: datetime | None = None) -> str:
        """CheckoutPromotions: a Coupon for `amount` (used once) and its single-use promotion code."""
        client = self._stripe()
        # Our own coupon id: a repeat after a lost answer finds the coupon it made.
        coupon_id = f"retour-{idempotency_key}"
        self._pace()
        try:
            try:
                client.v1.coupons.create(
                    params={"id": coupon_id, "amount_off": amount.minor, "currency": amount.currency.lower(),
                            "duration": "once", "metadata": metadata},
                    options={"idempotency_key": f"{idempotency_key}-coupon"},
                )
            except (stripe.InvalidRequestError, stripe.APIError) as error:
                # Stripe says 400 resource_already_exists; a 409 reaches the SDK as an APIError.
                if error.code != "resource_already_exists" and error.http_status != 409:
                    raise
                existing = client.v1.coupons.retrieve(coupon_id)
                if existing.amount_off != amount.minor:
                    raise
            self._pace()
            params: PromotionCodeCreateParams = {
                "promotion": {"type": "coupon", "coupon": coupon_id}, "code": code, "max_redemptions": 1,
                "metadata": metadata,
            }
            if expires_at is not None:
                params["expires_at"] = int(expires_at.timestamp())
            promotion = client.v1.promotion_codes.create(
                params=params,
                options={"idempotency_key": f"{idempotency_key}-promotion"},
            )
        except stripe.StripeError as error:
            raise PaymentGatewayUnavailableError(
                f"Stripe did not make the promotion code: {type(error).__name__}") from error
        return str(promotion.id)

    def deactivate_promotion(self, promotion_id: str) -> None:
        client = self._stripe()
        self._pace()
        try:
            # Keyed as every call to Stripe is: a retry after a lost answer is the same update.
            client.v1.promotion_codes.update(promotion_id, params={"active": False},
                                             options={"idempotency_key": f"credit-deactivate-{promotion_id}"})
        except stripe.StripeError as error:
            raise PaymentGatewayUnavailableError(
                f"Stripe did not deactivate the promotion code: {type(error).__name__}") from error

    def active_promotions(self, code: str) -> list[str]:
        client = self._stripe()
        self._pace()
        try:
            found = client.v1.promotion_codes.list(params={"code": code, "active": True, "limit": 100})
        except stripe.StripeError as error:
            raise PaymentGatewayUnavailableError(
                f"Stripe did not list the promotion codes: {type(error).__name__}") from error
        return [str(promotion.id) for promotion in found.data]

    def credit_code_of(self, promotion_id: str) -> str | None:
        client = self._stripe()
        self._pace()
        try:
            promotion = client.v1.promotion_codes.retrieve(promotion_id)
        except stripe.InvalidRequestError:
            return None  # not a promotion code of this Stripe account
        except stripe.StripeError as error:
            raise PaymentGatewayUnavailableError(
                f"Stripe did not read the promotion code: {type(error).__name__}") from error
        metadata = promotion.to_dict().get("metadata") or {}
        credit_code = metadata.get("retour_credit_code")
        return str(credit_code) if credit_code else None

    def refunds_of(self, payment_intent: str) -> list[GatewayRefund]:
        client = self._stripe()
        found: list[GatewayRefund] = []
        params: dict[str, Any] = {"payment_intent": payment_intent, "limit": 100}
        while True:
            self._pace()
            try:
                page = client.v1.refunds.list(params=params)  # type: ignore[arg-type]
            except stripe.StripeError as error:
                raise PaymentGatewayUnavailableError(f"Stripe did not list refunds: {type(error).__name__}") from error
            found.extend(_gateway_refund(refund, None) for refund in page.data)
            if not page.has_more or not page.data:
                return found
            params["starting_after"] = page.data[-1].id

    def order_number_of(self, payment_intent: str) -> str | None:
        intent = self._payment_intent(payment_intent)
        number = (intent.get("metadata") or {}).get("order_number") if intent is not None else None
        return str(number) if number else None

    def captured(self, payment_intent: str) -> Money | None:
        intent = self._payment_intent(payment_intent)
        return _captured(intent) if intent is not None else None

    def _payment_intent(self, payment_intent: str) -> dict[str, Any] | None:
        """The PaymentIntent as plain data; None when Stripe does not know it."""
        client = self._stripe()
        self._pace()
        try:
            intent = client.v1.payment_intents.retrieve(payment_intent)
        except stripe.InvalidRequestError:
            # A definite answer (404: no such PaymentIntent on this account): nothing to find,
            # and a webhook must not fail on it, or Stripe would deliver the event for days.
            return None
        except stripe.StripeError as error:
            raise PaymentGatewayUnavailableError(f"Stripe did not answer: {type(error).__name__}") from error
        data: dict[str, Any] = intent.to_dict()
        return data


# Exchanges (issue 19): an exchange's price difference ----------------------------------------------



class StripeDifferencePayments:
    """DifferencePayments on the same Stripe client (and pacing) as the refunds."""

    def __init__(self, payments: StripePayments) -> None:
        self._payments = payments

    def difference_intent(self, *, rma: str, amount: Money, idempotency_key: str) -> DifferenceIntent:
        client = self._payments._stripe()
        self._payments._pace()
        try:
            intent = client.v1.payment_intents.create(
                params={
                    "amount": amount.minor, "currency": amount.currency.lower(),
                    "capture_method": "automatic",
                    "metadata": {"rma": rma, "purpose": DIFFERENCE_PURPOSE},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise PaymentGatewayUnavailableError(
                f"Stripe did not make the PaymentIntent: {type(error).__name__}") from error
        return _difference_intent(intent.to_dict())

    def difference_intent_of(self, payment_intent: str) -> DifferenceIntent | None:
        intent = self._payments._payment_intent(payment_intent)
        return _difference_intent(intent) if intent is not None else None

    def cancel_difference_intent(self, payment_intent: str) -> DifferenceIntent | None:
        client = self._payments._stripe()
        self._payments._pace()
        try:
            intent = client.v1.payment_intents.cancel(
                payment_intent, options={"idempotency_key": f"exchange-difference-cancel-{payment_intent}"})
        except stripe.InvalidRequestError:
            # Stripe refuses to cancel a PaymentIntent that succeeded (or is gone): say which.
            return self.difference_intent_of(payment_intent)
        except stripe.StripeError as error:
            raise PaymentGatewayUnavailableError(
                f"Stripe did not cancel the PaymentIntent: {type(error).__name__}") from error
        return _difference_intent(intent.to_dict())

    def refund_difference(self, *, payment_intent: str, amount: Money, idempotency_key: str,
                          rma: str) -> GatewayRefund:
        client = self._payments._stripe()
        self._payments._pace()
        try:
            refund = client.v1.refunds.create(
                params={"payment_intent": payment_intent, "amount": amount.minor,
                        "metadata": {"rma": rma, "purpose": DIFFERENCE_PURPOSE}},
                options={"idempotency_key": idempotency_key},
            )
        except (stripe.CardError, stripe.InvalidRequestError) as error:
            reason = error.code or (error.user_message or str(error))[:200]
            raise RefundDeclinedError(f"Stripe refused the refund: {reason}", reason=str(reason)) from error
        except stripe.StripeError as error:
            raise PaymentGatewayUnavailableError(f"Stripe did not answer definitely: {type(error).__name__}") from error
        return _gateway_refund(refund, amount.currency)


def _difference_intent(intent: dict[str, Any]) -> DifferenceIntent:
    currency = str(intent["currency"]).upper()
    status = str(intent.get("status") or "")
    metadata = intent.get("metadata") or {}
    rma = metadata.get("rma") if metadata.get("purpose") == DIFFERENCE_PURPOSE else None
    received = _captured(intent) if status == "succeeded" else Money(0, currency)
    return DifferenceIntent(
        id=str(intent["id"]), status=status, amount=Money(int(intent["amount"]), currency), received=received,
        rma=str(rma) if rma else None, client_secret=str(intent.get("client_secret") or ""),
    )


def _captured(intent: dict[str, Any]) -> Money:
    """`amount_received`, or (localstripe, which lacks it) the latest charge's captured amount."""
    received = intent.get("amount_received")
    if received is None:
        charge = intent.get("latest_charge")
        received = 0
        if isinstance(charge, dict) and charge.get("captured") and charge.get("status") == "succeeded":
            received = charge.get("amount_captured") or charge.get("amount") or 0
    return Money(int(received), str(intent["currency"]).upper())


def _gateway_refund(refund: Any, currency: str | None) -> GatewayRefund:
    # stripe 16's objects are not dicts: read them as the plain data they hold.
    data: dict[str, Any] = refund.to_dict()
    metadata = dict(data.get("metadata") or {})
    attempt = metadata.get("attempt")
    return GatewayRefund(
        id=str(data["id"]),
        amount=Money(int(data["amount"]), (currency or str(data["currency"])).upper()),
        status=str(data.get("status") or "succeeded"),
        rma=metadata.get("rma"),
        attempt=int(attempt) if attempt and str(attempt).isdigit() else None,
        failure_reason=data.get("failure_reason"),
    )
