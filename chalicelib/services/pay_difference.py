"""Use case: the shopper pays a dearer exchange's price difference, and gets it
back when the exchange falls through.

Paying:
1. The pay page asks for the return's PaymentIntent (`open_payment`): created once on Stripe
   with the key `payment_idempotency_key(rma)`, for exactly `payment.amount`, the RMA in its
   metadata, and its id kept on the return (`attach_payment_intent`, a conditional save). A
   second visit reuses it.
2. The shopper's card goes to Stripe.js, never to us. Whoever hears first that it succeeded --
   the browser coming back to `/pay/done`, or the `payment_intent.succeeded` webhook -- calls
   `confirm_payment`: the PaymentIntent is read from Stripe (the query string is never trusted),
   and only this return's own one, succeeded for exactly the difference, moves the return
   (`record_payment`, one conditional write). The other, and any repeat, finds it moved.
3. Then the return goes on as any other: to the merchant's approval email when it waits for the
   store, or the label and the replacement order (under exchange_trigger on_approval,
   services/fulfil_exchange.py) when approved.

Paying back: whenever a return `owes_difference_refund` (cancelled, rejected, expired after
paying, or its exchange fell through), `owe_difference_back` (services/owe_difference.py) queues a `difference` job for the
refund worker. The worker claims the refund with a conditional write (`start_difference_refund`:
of two workers one wins), looks on Stripe for a refund it made before (localstripe keeps no
idempotency keys, and Stripe forgets them after a day), refunds only if none, then records it
(`record_difference_refunded`). `resume_difference_refunds` (scheduled) picks up any left owing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Final, Protocol

from ..domain.errors import ConflictError, StaleWriteError
from ..domain.refunds import GatewayRefund, PaymentGatewayUnavailableError, RefundDeclinedError
from ..domain.return_request import (
    APPROVED,
    AWAITING_PAYMENT,
    PENDING_APPROVAL,
    RELEASED_STATUSES,
    ReturnRequest,
    difference_refund_idempotency_key,
    payment_idempotency_key,
)
from .approval_links import NotifyMerchantDeps, notify_merchant
from .issue_label import IssueLabelDeps, issue_label
from .owe_difference import owe_difference_back
from .ports.money import DifferenceIntent, DifferencePayments, PaymentGateway
from .ports.notifications import MerchantNotifier
from .ports.returns import ReturnListings, ReturnRepository
from .ports.system import Clock
from .read_return import read_return
from .fulfil_exchange import ExchangeDeps, after_approval
from .refund_return import ReleaseDeps

log = logging.getLogger("retour.exchanges")

STRIPE_ACTOR: Final = "system:stripe"
SYSTEM: Final = "system"
# A claim this old was left by a worker that died or got no answer (its timeout is 30 s).
STUCK_AFTER: Final = timedelta(minutes=2)
# A difference refund claimed this often without an answer is left for a person.
MAX_CLAIMS: Final = 5
_ATTEMPTS: Final = 3
_LIVE_REFUNDS: Final = ("succeeded", "pending", "requires_action")


class PayDifferenceDeps(IssueLabelDeps, NotifyMerchantDeps, ExchangeDeps, Protocol):
    """What paying a difference (and what follows the payment) needs."""

    @property
    def difference_payments(self) -> DifferencePayments: ...


class DifferenceRefundDeps(ReleaseDeps, Protocol):
    """What paying a difference back needs (the merchant is told when Stripe refuses)."""

    @property
    def merchant_notifier(self) -> MerchantNotifier: ...

    @property
    def difference_payments(self) -> DifferencePayments: ...

    @property
    def payments(self) -> PaymentGateway: ...

    @property
    def listings(self) -> ReturnListings: ...


class PaymentNotAwaitedError(ConflictError):
    """The return waits for no payment (paid already, cancelled, expired, or no dearer exchange)."""

    code = "payment_not_awaited"


@dataclass(frozen=True, slots=True)
class OpenPayment:
    """What the pay page needs: the return and the client secret Stripe.js confirms with."""

    request: ReturnRequest
    client_secret: str


def open_payment(deps: PayDifferenceDeps, rma: str, *, order_number: str) -> OpenPayment:
    """The return's PaymentIntent, made now or before; PaymentNotAwaitedError when nothing is to pay.

    PaymentGatewayUnavailableError when Stripe did not answer (nothing was stored: try again).
    """
    for _ in range(_ATTEMPTS):
        request = read_return(deps, rma, order_number=order_number)
        payment = request.payment
        if request.status != AWAITING_PAYMENT or payment is None:
            raise PaymentNotAwaitedError(f"return {request.rma} waits for no payment")
        if payment.payment_intent:
            # Made before: read it back (Stripe keeps an idempotency key for a day only).
            kept = deps.difference_payments.difference_intent_of(payment.payment_intent)
            if kept is None:
                raise PaymentGatewayUnavailableError(f"Stripe knows no PaymentIntent {payment.payment_intent}")
            return OpenPayment(request, kept.client_secret)
        # The same key every time: two tabs opening the page at once get the same PaymentIntent.
        intent = deps.difference_payments.difference_intent(
            rma=request.rma, amount=payment.amount, idempotency_key=payment_idempotency_key(request.rma))
        try:
            stored = deps.returns.save(request.attach_payment_intent(intent.id), new_events=0, now=deps.clock.now())
        except StaleWriteError:
            continue  # another tab kept one meanwhile (the same one): read again
        return OpenPayment(stored, intent.client_secret)
    raise StaleWriteError(f"return {rma} is being changed by someone else; try again")


def confirm_payment(deps: PayDifferenceDeps, rma: str, payment_intent: str) -> ReturnRequest:
    """Move return `rma` once its difference is paid, as Stripe (never the caller) says, then
    what follows (the store's approval email, or the label).

    Safe in any order and any number of times: the first caller that finds the PaymentIntent
    succeeded moves the return; the others find it moved and change nothing. ConflictError
    `payment_mismatch` when the PaymentIntent is another's or not for exactly the difference;
    PaymentNotAwaitedError when it is not (yet) paid and the return still waits.
    """
    stored, moved = record_paid(deps, rma, payment_intent)
    if moved:
        after_payment(deps, stored)
    return stored


class RecordPaymentDeps(Protocol):
    """What recording a payment needs (no follow-up)."""

    @property
    def returns(self) -> ReturnRepository: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def difference_payments(self) -> DifferencePayments: ...


def record_paid(deps: RecordPaymentDeps, rma: str, payment_intent: str) -> tuple[ReturnRequest, bool]:
    """`confirm_payment` without its follow-up: the return, and whether this call moved it."""
    intent = deps.difference_payments.difference_intent_of(payment_intent)
    for _ in range(_ATTEMPTS):
        request = deps.returns.get(rma)
        if request is None or request.payment is None:
            raise ConflictError(f"payment {payment_intent} is not the difference of return {rma}",
                                code="payment_mismatch")
        if request.status != AWAITING_PAYMENT:
            if request.payment.payment_intent == payment_intent and request.payment.status != "requires_payment":
                return request, False  # moved already (the other path, or a repeat): nothing more
            if request.status in RELEASED_STATUSES and request.payment.payment_intent == payment_intent:
                late = _late(deps, request, intent)
                if late is None:
                    continue
                return late, True
            raise ConflictError(f"payment {payment_intent} is not the difference of return {rma}",
                                code="payment_mismatch")
        if not _pays_for(intent, request):
            raise ConflictError(f"payment {payment_intent} is not the difference of return {rma}",
                                code="payment_mismatch")
        assert intent is not None
        if intent.status != "succeeded":
            raise PaymentNotAwaitedError(f"payment {payment_intent} is {intent.status}, not paid")
        now = deps.clock.now()
        paid = request.record_payment(intent.id, intent.received, at=now, actor=STRIPE_ACTOR)
        try:
            stored = deps.returns.save(paid, new_events=1, now=now)
        except StaleWriteError:
            continue  # the other path moved it, or the shopper cancelled: read again
        log.info("return %s: price difference paid (%s)", stored.rma, payment_intent)
        return stored, True
    raise StaleWriteError(f"return {rma} is being changed by someone else; try again")


def _late(deps: RecordPaymentDeps, request: ReturnRequest, intent: DifferenceIntent | None) -> ReturnRequest | None:
    """The return closed unpaid, then its own PaymentIntent succeeded after all (a payment Stripe
    was still processing): the money is recorded, so the return owes it back (the caller queues
    the refund). None: the save lost a race, read again."""
    if not _pays_for(intent, request):
        raise ConflictError(f"payment {request.payment.payment_intent if request.payment else ''} "
                            f"is not the difference of return {request.rma}", code="payment_mismatch")
    assert intent is not None
    if intent.status != "succeeded":
        raise PaymentNotAwaitedError(f"payment {intent.id} is {intent.status}, not paid")
    now = deps.clock.now()
    try:
        stored = deps.returns.save(request.record_late_payment(intent.id, intent.received, at=now,
                                                               actor=STRIPE_ACTOR), new_events=1, now=now)
    except StaleWriteError:
        return None
    log.warning("return %s: its price difference was paid after it closed; it is paid back", stored.rma)
    return stored


def close_unpaid(deps: RecordPaymentDeps, request: ReturnRequest) -> tuple[ReturnRequest, bool]:
    """Before a move closes a return that still waits for its payment (cancel, expiry): make its
    PaymentIntent unpayable on Stripe, so no card is charged for a closed return. When Stripe
    says it was paid first, the payment is recorded and that return comes back (closing it then
    owes the difference back, see `owe_difference_back`), with whether this call recorded it (its
    follow-up is then the caller's). PaymentGatewayUnavailableError: Stripe did not answer, or is
    still processing a payment; the caller leaves the return as it is.
    """
    payment = request.payment
    if request.status != AWAITING_PAYMENT or payment is None or not payment.payment_intent:
        return request, False
    intent = deps.difference_payments.cancel_difference_intent(payment.payment_intent)
    if intent is not None and intent.status == "succeeded":
        return record_paid(deps, request.rma, payment.payment_intent)
    if intent is not None and intent.status != "canceled":
        # Stripe is still processing a payment (it can't be cancelled now): closing the return
        # would let it be charged afterwards. Left as it is; the caller tries again later.
        raise PaymentGatewayUnavailableError(f"PaymentIntent {intent.id} is {intent.status}; not closed yet")
    return request, False


def _pays_for(intent: DifferenceIntent | None, request: ReturnRequest) -> bool:
    """Whether `intent` is this return's own PaymentIntent, for exactly its difference."""
    payment = request.payment
    if intent is None or payment is None:
        return False
    if intent.rma != request.rma or intent.id != payment.payment_intent or intent.amount != payment.amount:
        return False
    return intent.status != "succeeded" or intent.received == payment.amount


def after_payment(deps: PayDifferenceDeps, request: ReturnRequest) -> None:
    """What follows any move out of awaiting_payment: the store's approval email, or the label.

    Never raises: the payment is stored; a lost email or label is made good by the reminder job
    or rendered when the shopper asks for it.
    """
    if request.status in RELEASED_STATUSES:
        # Paid after it closed: the difference goes back (the refund worker), nothing else follows.
        owe_difference_back(deps, request)
        return
    order = deps.orders.get(request.order_number)
    if order is None:
        log.warning("return %s paid but its order is gone", request.rma)
        return
    if request.status == PENDING_APPROVAL:
        notify_merchant(deps, request, order)
        return
    if request.status == APPROVED:
        try:
            issue_label(deps, request, order=order)
        except Exception:  # noqa: BLE001 - the payment is stored; see above
            log.exception("could not issue the label of return %s", request.rma)
        # The replacement order, when the policy's exchange_trigger is on_approval.
        after_approval(deps, request)


# Paying back ------------------------------------------------------------------------------------

def refund_difference(deps: DifferenceRefundDeps, rma: str) -> ReturnRequest | None:
    """The worker's job: pay a return's difference back, once; safe to run any number of times."""
    for _ in range(_ATTEMPTS):
        request = deps.returns.get(rma)
        if request is None or not request.owes_difference_refund or request.payment is None:
            return request  # nothing owed, or refunded already
        started_at = request.difference_refund_started_at
        now = deps.clock.now()
        claims = request.difference_refund_claims
        if started_at is not None and claims >= MAX_CLAIMS:
            # Stripe kept refusing or never answered: a person must look (the console shows the
            # claims on the timeline); the jobs stop trying rather than fill it.
            log.error("the difference refund of return %s was tried %d times; left for the store", rma, claims)
            return _adopt(deps, request) or request
        if started_at is not None and now - started_at < STUCK_AFTER:
            # Another worker holds the claim: it pays, or the resume job takes over later. A refund
            # it made and could not record is adopted here, never made again.
            return _adopt(deps, request) or request
        try:
            claimed = deps.returns.save(request.start_difference_refund(at=now, actor=SYSTEM), new_events=1, now=now)
        except StaleWriteError:
            continue
        return _pay_back(deps, claimed)
    return None


def _pay_back(deps: DifferenceRefundDeps, claimed: ReturnRequest) -> ReturnRequest:
    payment = claimed.payment
    assert payment is not None
    try:
        # Stripe (or localstripe, which keeps no idempotency keys) may hold one made before.
        existing = _listed(deps, claimed)
        if existing is not None:
            return _record(deps, claimed, existing)
        refund = deps.difference_payments.refund_difference(
            payment_intent=payment.payment_intent, amount=claimed.difference_owed_back,
            idempotency_key=difference_refund_idempotency_key(claimed.rma, claimed.difference_refund_claims),
            rma=claimed.rma)
    except RefundDeclinedError as error:
        # Stripe said no (disputed, the card closed ...): the merchant must look.
        log.error("the difference refund of return %s was refused: %s", claimed.rma, error.reason)
        return _refused(deps, claimed, error.reason)
    except PaymentGatewayUnavailableError:
        log.warning("no answer from Stripe; the difference refund of %s is resumed later", claimed.rma)
        return claimed
    return _record(deps, claimed, refund)


def _refused(deps: DifferenceRefundDeps, claimed: ReturnRequest, reason: str) -> ReturnRequest:
    """Stripe refused: the refusal goes on the timeline (the console shows it) and, the first
    time, the merchant is emailed. The claim stays, so a later one tries again."""
    first = claimed.difference_refund_refusal is None
    now = deps.clock.now()
    try:
        stored = deps.returns.save(claimed.record_difference_refund_refused(reason, at=now, actor=SYSTEM),
                                   new_events=1, now=now)
    except StaleWriteError:
        return claimed  # moved meanwhile: whoever moved it carries on
    if first:
        try:
            deps.merchant_notifier.difference_refund_refused(stored, to=deps.policies.current().merchant_email,
                                                              reason=reason)
        except Exception:  # noqa: BLE001 - the refusal is stored and shown in the console
            log.exception("could not email the store the refused difference refund of %s", stored.rma)
    return stored


def _listed(deps: DifferenceRefundDeps, request: ReturnRequest) -> GatewayRefund | None:
    """A live refund of this return's difference Stripe already holds: made by an earlier claim
    (it names the return), or by the store in Stripe's dashboard after a refusal (it names
    nothing, and gives back what is owed: that PaymentIntent is this return's alone)."""
    payment = request.payment
    assert payment is not None
    return next((r for r in deps.payments.refunds_of(payment.payment_intent)
                 if r.status in _LIVE_REFUNDS
                 and (r.rma == request.rma or (r.rma is None and r.amount == request.difference_owed_back))), None)


def _adopt(deps: DifferenceRefundDeps, request: ReturnRequest) -> ReturnRequest | None:
    try:
        existing = _listed(deps, request)
    except PaymentGatewayUnavailableError:
        return None
    return _record(deps, request, existing) if existing is not None else None


def _record(deps: DifferenceRefundDeps, request: ReturnRequest, refund: GatewayRefund) -> ReturnRequest:
    now = deps.clock.now()
    try:
        stored = deps.returns.save(request.record_difference_refunded(refund.id, at=now, actor=SYSTEM),
                                   new_events=1, now=now)
    except StaleWriteError:
        current = deps.returns.get(request.rma)
        if current is not None and not current.owes_difference_refund:
            return current
        raise
    log.info("return %s: price difference refunded (%s)", stored.rma, refund.id)
    return stored


def resume_difference_refunds(deps: DifferenceRefundDeps) -> list[str]:
    """The scheduled job: pay back every difference still owed (its job lost, its worker stuck,
    or Stripe refused before), from the list the moves themselves keep (`owing_differences`),
    whatever the return's status; the RMAs it paid back."""
    done: list[str] = []
    for rma in deps.listings.owing_differences():
        try:
            paid = refund_difference(deps, rma)
        except Exception:  # noqa: BLE001 - one return's trouble never stops the others
            log.exception("could not pay back the difference of return %s", rma)
            continue
        if paid is not None and paid.payment is not None and paid.payment.status == "refunded":
            done.append(paid.rma)
    return done
