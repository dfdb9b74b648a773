"""What can happen to money on its way back, named as errors of the one family."""

from __future__ import annotations

from .errors import ConflictError, RetourError


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
