"""Money back (issue 7): the payment provider, the refund ceiling, store credit, the refund
queue and the provider's events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from ...domain.money import Money
from ...domain.order import Order
from ...domain.refunds import GatewayRefund, PaymentLedgerState
from ...domain.return_request import ReturnRequest

if TYPE_CHECKING:  # annotations only: a cold lookup need not import them
    from ...domain.store_credit import (
        CheckoutPromotion,
        CreditAdjustment,
        CreditLot,
        Redemption,
        StoreCreditAccount,
    )


class PaymentGateway(Protocol):
    """Refunds on the provider (Stripe), keyed so that a retry never pays twice."""

    def refund(
        self, *, payment_intent: str, amount: Money, idempotency_key: str, rma: str, attempt: int
    ) -> GatewayRefund:
        """Create (or replay, same key) a refund. RefundDeclinedError: a definite no;
        PaymentGatewayUnavailableError: no answer, the refund may or may not exist."""
        ...

    def refunds_of(self, payment_intent: str) -> list[GatewayRefund]:
        """Every refund made on the PaymentIntent, by anyone."""
        ...

    def order_number_of(self, payment_intent: str) -> str | None:
        """The `order_number` in the PaymentIntent's metadata (disputes carry no order of ours)."""
        ...

    def captured(self, payment_intent: str) -> Money | None:
        """What the PaymentIntent captured, in its currency, refunds not subtracted; None when
        the provider knows no such PaymentIntent. PaymentGatewayUnavailableError: no answer."""
        ...


class PaymentLedger(Protocol):
    """Each order's payment and its remaining refundable amount, moved with the return itself."""

    def ensure(self, order: Order, *, now: datetime) -> None:
        """Create the payment item from the order's total, unless it exists."""
        ...

    def get(self, order_number: str) -> PaymentLedgerState | None:
        ...

    def start_refund(self, request: ReturnRequest, *, new_events: int, now: datetime) -> ReturnRequest:
        """Save the move to refunding and take its amount off the ceiling in one transaction.

        RefundCeilingError when the amount is above what remains; ChargeDisputedError while the
        charge is disputed; StaleWriteError when the return moved meanwhile. Either way nothing
        is written.
        """
        ...

    def fail_refund(self, request: ReturnRequest, *, new_events: int, now: datetime) -> ReturnRequest:
        """Save the move to refund_failed and give its amount back to the ceiling, in one transaction."""
        ...

    def record_outside_refund(self, order_number: str, refund_id: str, amount: Money, *, now: datetime) -> bool:
        """Lower the ceiling by a refund someone else made (once per refund id); False if known."""
        ...

    def open_dispute(self, order: Order, dispute_id: str, *, now: datetime) -> bool:
        """Mark the order's payment disputed (refunds are held); False if this dispute is open or closed already."""
        ...

    def close_dispute(self, order_number: str, dispute_id: str, *, now: datetime) -> bool:
        """Clear the dispute (refunds may go) and remember it closed; False when it was not the open one."""
        ...

    def stuck_refunding(self, *, older_than: datetime) -> list[str]:
        """RMAs of returns in refunding since before `older_than` (gsi2 RETURNS#refunding)."""
        ...


class RefundQueue(Protocol):
    """Refund jobs handed to the worker (SQS), so the request path never calls Stripe."""

    def enqueue(self, rma: str, *, trigger: str) -> None:
        ...


class StoreCreditLedger(Protocol):
    """Store-credit accounts per (email, currency) with append-only entries; never below zero."""

    def credit_return(
        self, request: ReturnRequest, *, amount: Money, new_events: int, now: datetime,
        expires_at: datetime | None = None,
    ) -> ReturnRequest:
        """Issue `amount` for a return and save its move to credited, in one transaction."""
        ...

    def account(self, email: str, currency: str) -> StoreCreditAccount:
        ...

    def account_by_promotion(self, promotion_id: str) -> StoreCreditAccount | None:
        """The account a Stripe promotion code (any generation) was made for; None when none was."""
        ...

    def save_checkout_promotion(self, account: StoreCreditAccount, promotion: CheckoutPromotion, *,
                                now: datetime) -> None:
        """Record the account's current Checkout promotion code, on the generation read in
        `account` (StaleWriteError if another offer saved one meanwhile)."""
        ...

    def account_by_code(self, code: str) -> StoreCreditAccount:
        """The account whose credit code is `code` (as typed: any case, dashes optional).

        UnknownCreditCodeError (one message whatever the reason) when none is.
        """
        ...

    def redeem(self, email: str, amount: Money, *, idempotency_key: str, now: datetime) -> Redemption:
        """Spend `amount` once per key; the same key replays its first result.

        InsufficientCreditError when the spendable balance (expired credit left out) is lower
        (nothing written).
        """
        ...

    def adjust(self, email: str, amount: Money, *, reason: str, actor: str, idempotency_key: str,
               now: datetime, expires_at: datetime | None = None) -> CreditAdjustment:
        """Staff add (positive) or take back (negative) credit once per key, with their reason.

        Credit added may expire at `expires_at` (then the expiry job writes off what is left).
        The same key replays its first result; ConflictError `idempotency_key_reused` when it was
        used for another adjustment. InsufficientCreditError when taking back more than the
        spendable balance (nothing written).
        """
        ...

    def currencies(self, email: str) -> list[str]:
        """The currencies `email` holds an account in (any balance), sorted."""
        ...

    def expiring_accounts(self, *, before: datetime) -> list[tuple[str, str]]:
        """(email, currency) of accounts holding an issue that expired before `before`, not yet written off."""
        ...

    def expire(self, account: StoreCreditAccount, lot: CreditLot, *, now: datetime) -> None:
        """Write off what is left of `lot`: the expire entry and the balance change in one
        transaction, conditioned on the balance read in `account` (StaleWriteError if it moved)."""
        ...


class CheckoutPromotions(Protocol):
    """Store credit offered at Stripe Checkout: single-use promotion codes (a Coupon for the amount)."""

    def create_credit_promotion(self, *, code: str, amount: Money, idempotency_key: str,
                                metadata: dict[str, str], expires_at: datetime | None = None) -> str:
        """A promotion code `code`, usable once until `expires_at` (None: no date), for `amount`
        off; its id. The same key makes it once.
        PaymentGatewayUnavailableError when Stripe did not answer definitely."""
        ...

    def deactivate_promotion(self, promotion_id: str) -> None:
        """Make the promotion code unusable (again: no change)."""
        ...

    def active_promotions(self, code: str) -> list[str]:
        """The ids of the promotion codes with the text `code` that can still be used.
        PaymentGatewayUnavailableError when Stripe did not answer."""
        ...

    def credit_code_of(self, promotion_id: str) -> str | None:
        """The store-credit code a promotion code was made for (its metadata); None for any other
        promotion code, or one Stripe does not know. PaymentGatewayUnavailableError when Stripe
        did not answer."""
        ...


class StoredEvents(Protocol):
    """Provider events already applied (webhook deliveries repeat)."""

    def first_time(self, event_id: str, *, now: datetime) -> bool:
        """Record `event_id`; False when it was recorded before."""
        ...

    def forget(self, event_id: str) -> None:
        """Drop the record again (applying the event failed; Stripe will deliver it again)."""
        ...


# Exchanges (issue 19): a dearer exchange's price difference, paid by the shopper on the pay page.

@dataclass(frozen=True, slots=True)
class DifferenceIntent:
    """A PaymentIntent for an exchange's price difference, as the provider holds it.

    `received`: what it captured (zero until it succeeded); `rma`: the return its metadata names
    (None for any other PaymentIntent); `client_secret`: what Stripe.js confirms it with.
    """

    id: str
    status: str
    amount: Money
    received: Money
    rma: str | None
    client_secret: str = ""


class DifferencePayments(Protocol):
    """PaymentIntents for exchanges' price differences, and their refunds (Stripe)."""

    def difference_intent(self, *, rma: str, amount: Money, idempotency_key: str) -> DifferenceIntent:
        """Create (or replay, same key) the automatic-capture PaymentIntent of `amount` for
        return `rma` (its metadata). PaymentGatewayUnavailableError: no answer."""
        ...

    def difference_intent_of(self, payment_intent: str) -> DifferenceIntent | None:
        """The PaymentIntent as the provider holds it now; None when it knows no such one.
        PaymentGatewayUnavailableError: no answer."""
        ...

    def cancel_difference_intent(self, payment_intent: str) -> DifferenceIntent | None:
        """Make the PaymentIntent unpayable (again: no change); the state it is left in, which
        says `succeeded` when it was paid first. None: unknown. PaymentGatewayUnavailableError."""
        ...

    def refund_difference(self, *, payment_intent: str, amount: Money, idempotency_key: str,
                          rma: str) -> GatewayRefund:
        """Refund `amount` of the PaymentIntent (metadata: the RMA, purpose exchange_difference).
        RefundDeclinedError: a definite no; PaymentGatewayUnavailableError: no answer."""
        ...
