"""A Stripe double for the refund saga's model test: Stripe's rules, and every way it misbehaves.

It keeps what Stripe keeps for one PaymentIntent (its refunds, their statuses, idempotency keys)
and enforces Stripe's own rules, which localstripe does not: a refund never goes above what was
captured minus what is already refunded, and one idempotency key always answers the same refund.
The test decides how the next call goes (answered, declined, timed out before or after Stripe
acted), when a pending refund settles, and when, how often and in which order the events that
Stripe emits for each change reach our webhook.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.domain.money import Money
from chalicelib.domain.refunds import GatewayRefund, PaymentGatewayUnavailableError, RefundDeclinedError

# Stripe makes every refund `pending` (as it does for many payment methods); the test settles it
# later as succeeded or failed, which Stripe reports only through events.
ANSWERED = "answered"  # Stripe makes the refund and the answer arrives
DECLINED = "declined"  # a definite no (400): nothing made
LOST_BEFORE = "lost_before"  # the call times out before Stripe saw it: nothing made
LOST_AFTER = "lost_after"  # Stripe made the refund, then the answer was lost
CALL_OUTCOMES = (ANSWERED, DECLINED, LOST_BEFORE, LOST_AFTER)
LIVE = ("succeeded", "pending")


@dataclass
class StripeDouble:
    """PaymentGateway for one captured PaymentIntent, with the events it would send."""

    payment_intent: str
    captured: Money
    refunds: list[GatewayRefund] = field(default_factory=list)
    # Events emitted but not yet delivered, in the order Stripe emitted them.
    undelivered: list[dict[str, Any]] = field(default_factory=list)
    next_call: str = ANSWERED
    listing_down: bool = False
    calls: int = 0
    _keys: dict[str, str] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # --- PaymentGateway --------------------------------------------------------------------

    def refund(
        self, *, payment_intent: str, amount: Money, idempotency_key: str, rma: str, attempt: int
    ) -> GatewayRefund:
        assert payment_intent == self.payment_intent
        self.calls += 1
        outcome, self.next_call = self.next_call, ANSWERED
        if outcome == LOST_BEFORE:
            raise PaymentGatewayUnavailableError("timed out before Stripe saw the call")
        if idempotency_key in self._keys:
            # Stripe replays the first answer for a key (for 24 hours; the saga looks first after that).
            made = self._by_id(self._keys[idempotency_key])
        elif outcome == DECLINED:
            raise RefundDeclinedError("Stripe refused the refund", reason="declined_by_test")
        elif amount.minor > self.refundable.minor:
            raise RefundDeclinedError("Stripe refused: above what is left", reason="amount_too_large")
        else:
            made = GatewayRefund(id=f"re_{next(self._ids)}", amount=amount, status="pending", rma=rma,
                                 attempt=attempt)
            self.refunds.append(made)
            self._keys[idempotency_key] = made.id
            self._emit(made, ("refund.created", "charge.refund.updated"))
        if outcome == LOST_AFTER:
            raise PaymentGatewayUnavailableError("Stripe made the refund, the answer was lost")
        return made

    def refunds_of(self, payment_intent: str) -> list[GatewayRefund]:
        if self.listing_down:
            raise PaymentGatewayUnavailableError("Stripe did not list refunds")
        return list(self.refunds) if payment_intent == self.payment_intent else []

    def order_number_of(self, payment_intent: str) -> str | None:
        return None

    # --- what the test drives --------------------------------------------------------------

    @property
    def live_total(self) -> int:
        """What Stripe holds as refunded (or on its way) on the PaymentIntent."""
        return sum(r.amount.minor for r in self.refunds if r.status in LIVE)

    @property
    def refundable(self) -> Money:
        return Money(self.captured.minor - self.live_total, self.captured.currency)

    def pending(self) -> list[GatewayRefund]:
        return [r for r in self.refunds if r.status == "pending"]

    def settle(self, refund_id: str, status: str) -> None:
        """A pending refund succeeds or fails; Stripe emits its events (three for a failure)."""
        settled = replace(self._by_id(refund_id), status=status,
                          failure_reason="lost_or_stolen_card" if status == "failed" else None)
        self.refunds = [settled if r.id == refund_id else r for r in self.refunds]
        kinds = ("refund.failed", "refund.updated", "charge.refund.updated") if status == "failed" else (
            "refund.updated", "charge.refund.updated")
        self._emit(settled, kinds)

    def resent(self, event: dict[str, Any]) -> dict[str, Any]:
        """The same news under another event id (Stripe sends one change as several events)."""
        return {**event, "id": f"evt_{next(self._ids)}"}

    def _emit(self, refund: GatewayRefund, kinds: tuple[str, ...]) -> None:
        body = {
            "id": refund.id, "object": "refund", "amount": refund.amount.minor,
            "currency": refund.amount.currency.lower(), "payment_intent": self.payment_intent,
            "status": refund.status, "failure_reason": refund.failure_reason,
            "metadata": {"rma": refund.rma, "attempt": str(refund.attempt)} if refund.rma else {},
        }
        for kind in kinds:
            self.undelivered.append({"id": f"evt_{next(self._ids)}", "type": kind, "data": {"object": dict(body)}})

    def _by_id(self, refund_id: str) -> GatewayRefund:
        return next(r for r in self.refunds if r.id == refund_id)
