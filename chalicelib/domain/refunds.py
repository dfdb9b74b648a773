"""Money on its way back: a refund as the provider reports it, the refund ceiling of an order's
payment, and what can go wrong, named as errors of the one family."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConflictError, RetourError
from .money import Money


class RefundCeilingError(ConflictError):
    """The refund is above what is still refundable on the payment; nothing was written."""

    code = "refund_exceeds_refundable"


class ChargeDisputedError(ConflictError):
    """The order's charge is disputed: its refunds wait for the merchant (Stripe would refuse them)."""

    code = "charge_disputed"


class RefundDeclinedError(RetourError):
    """The payment provider definitely refused the refund (no money moved); `reason` says why."""

    code = "refund_declined"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class PaymentGatewayUnavailableError(RetourError):
    """No definite answer (timeout, network, 5xx, rate limit): the refund may exist or not."""

    code = "payment_gateway_unavailable"


@dataclass(frozen=True, slots=True)
class GatewayRefund:
    """A refund as the payment provider reports it; `rma` from its metadata (None: not ours)."""

    id: str
    amount: Money
    status: str
    rma: str | None = None
    attempt: int | None = None
    failure_reason: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentLedgerState:
    """The refund ceiling of one order's payment."""

    order_number: str
    captured: Money
    remaining_refundable: Money
    payment_intent: str | None
    # Set while the charge is disputed: refunds are held until the dispute closes.
    dispute_id: str | None = None
