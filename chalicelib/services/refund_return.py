"""Use case: pay a return back, as a saga of conditional writes around one keyed Stripe call.

1. Move the return to `refunding` and take the amount off the payment's ceiling, in one
   transaction: of two workers only one wins, and the ceiling can never be overdrawn.
2. Create the Stripe refund with the key `refund-{rma}-{attempt}` and the RMA in its metadata.
3. Move to `refunded` with Stripe's refund id. A definite refusal moves to `refund_failed`
   (the amount is given back to the ceiling in the same transaction) and tells the merchant.
   No answer (timeout, 5xx) leaves `refunding`: `resume_stuck_refunds` (or a redelivered job)
   takes it from there, first looking on the PaymentIntent for a refund carrying this RMA,
   creating one only if none.

Every attempt after the first looks on Stripe before it pays (`_reconcile`): a refund Stripe made
for an earlier attempt and still holds is adopted, never made again. Stripe's refund events are
applied to the current attempt only (`refund_changed`). docs/refunds.md tells the whole story.

Store credit needs no provider: the entry, the balance and the move to `credited` are one
transaction. Every step checks the status it starts from, so a message handled twice, or a job
run twice, pays once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Final, Protocol

from ..domain.errors import ConflictError, NotFoundError, StaleWriteError
from ..domain.policy import Policy
from ..domain.refunds import (
    ChargeDisputedError,
    PaymentGatewayUnavailableError,
    RefundCeilingError,
    RefundDeclinedError,
)
from ..domain.refunds import GatewayRefund
from ..domain.return_request import (
    APPROVED,
    EXCHANGED,
    RECEIVED,
    REFUND_FAILED,
    REFUNDED,
    REFUNDING,
    ReturnRequest,
)
from ..domain.store_credit import next_to_expire
from .checkout_credit import keep_checkout_offer
from .ports.money import CheckoutPromotions, PaymentGateway, PaymentLedger, RefundQueue, StoreCreditLedger
from .ports.notifications import MerchantNotifier, ShopperNotifier
from .ports.orders import OrderRepository
from .ports.policy import PolicyRepository
from .ports.returns import ReturnRepository
from .ports.system import Clock

log = logging.getLogger("retour.refunds")

SYSTEM: Final = "system"
# A refund still in refunding this long after its last move was left by a worker that died or
# got no answer (the worker's own timeout is 30 s).
STUCK_AFTER: Final = timedelta(minutes=2)
TRIGGER_APPROVAL: Final = "approval"
TRIGGER_RECEIPT: Final = "receipt"
TRIGGER_RETRY: Final = "retry"
# A dispute closed: the refunds it held go now.
TRIGGER_DISPUTE_CLOSED: Final = "dispute_closed"
CHARGE_DISPUTED: Final = "charge_disputed"
# Stripe statuses that mean the money is (or will be) on its way back.
_ACCEPTED = ("succeeded", "pending", "requires_action")
_FAILED = ("failed", "canceled")


class ReleaseDeps(Protocol):
    """What releasing a return's money needs (queue a refund, or credit store credit at once)."""

    @property
    def returns(self) -> ReturnRepository: ...

    @property
    def policies(self) -> PolicyRepository: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def refund_queue(self) -> RefundQueue: ...

    @property
    def store_credit(self) -> StoreCreditLedger: ...

    @property
    def shopper_notifier(self) -> ShopperNotifier: ...

    @property
    def checkout_promotions(self) -> CheckoutPromotions | None: ...


class RefundDeps(ReleaseDeps, Protocol):
    """What paying a return back needs."""

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def payment_ledger(self) -> PaymentLedger: ...

    @property
    def payments(self) -> PaymentGateway: ...

    @property
    def merchant_notifier(self) -> MerchantNotifier: ...


@dataclass(frozen=True, slots=True)
class RefundMessage:
    """One queued job: which return, and what released its money."""

    rma: str
    trigger: str


def on_return_approved(deps: ReleaseDeps, request: ReturnRequest, *, policy: Policy | None = None) -> ReturnRequest:
    """After a merchant (or the policy) approved a return: release the money if the policy says so.

    Under `refund_trigger: on_approval` a refund is queued (store credit is credited at once);
    under `on_receipt` nothing happens until the parcel arrives. `policy`: the one the return
    was just judged with, when the caller holds it (no second read).
    """
    if request.status != APPROVED or request.is_exchange:
        # An exchange's difference waits for its parcel, whatever the trigger (fulfil_exchange).
        return request
    # Without `policy`, read eventually consistent, as at a receipt (on_return_received).
    if (policy or deps.policies.current(consistent=False)).refund_trigger != "on_approval":
        return request
    return release_money(deps, request, trigger=TRIGGER_APPROVAL)


def on_return_received(deps: ReleaseDeps, request: ReturnRequest) -> ReturnRequest:
    """After the parcel arrived: release the money under `refund_trigger: on_receipt`."""
    # Read eventually consistent: the trigger is a setting merchants seldom change, and a
    # receipt within a second of a change may still follow the one before.
    # An exchange settles through services/fulfil_exchange.py (its order first, then any difference).
    if request.status != RECEIVED or request.is_exchange \
            or deps.policies.current(consistent=False).refund_trigger != "on_receipt":
        return request
    return release_money(deps, request, trigger=TRIGGER_RECEIPT)


def release_money(deps: ReleaseDeps, request: ReturnRequest, *, trigger: str) -> ReturnRequest:
    """Pay `request` now: store credit at once, a refund through the queue (its job pays it)."""
    if request.resolution == "store_credit":
        return credit_return(deps, request)
    deps.refund_queue.enqueue(request.rma, trigger=trigger)
    return request


def retry_refund(deps: ReleaseDeps, rma: str, *, actor: str, source_ip: str = "") -> ReturnRequest:
    """The merchant retries a failed refund: queued again, with the next attempt's key.

    The request is recorded on the timeline (who asked, from where) with a conditional write
    before the job is queued; the job's own moves say how the attempt went.
    """
    request = _get(deps, rma)
    if request.status != REFUND_FAILED:
        raise ConflictError(f"return {rma} is {request.status}; only a failed refund can be retried",
                            code="invalid_transition")
    asked = request.request_refund_retry(at=deps.clock.now(), actor=actor, source_ip=source_ip)
    try:
        request = deps.returns.save(asked, new_events=1, now=deps.clock.now())
    except StaleWriteError:
        current = _get(deps, rma)
        if current.status != REFUND_FAILED:
            raise ConflictError(f"return {rma} is {current.status}; only a failed refund can be retried",
                                code="invalid_transition") from None
        request = deps.returns.save(current.request_refund_retry(at=deps.clock.now(), actor=actor,
                                                                 source_ip=source_ip), new_events=1,
                                    now=deps.clock.now())
    deps.refund_queue.enqueue(rma, trigger=TRIGGER_RETRY)
    log.info("refund retry queued", extra={"rma": rma, "actor": actor})
    return request


def handle_refund_message(deps: RefundDeps, message: RefundMessage) -> ReturnRequest | None:
    """Process one queued refund job; safe to run any number of times for the same message.

    The return is read eventually consistent first (half the read units): the saga's
    conditional writes, not this read, keep the refund single. A copy that shows nothing to do
    may be behind the move that queued this very job, so that answer is checked with a
    consistent read before the job is called done; a copy behind the table that loses its
    first write is read again by the step itself (`_behind`).
    """
    request = deps.returns.get(message.rma, consistent=False)
    if request is None or not _due(request, message.trigger):
        request = deps.returns.get(message.rma)
    if request is None:
        log.warning("refund job for an unknown return", extra={"rma": message.rma})
        return None
    if not _due(request, message.trigger):
        if request.status == REFUNDING and request.status_changed_at < deps.clock.now() - STUCK_AFTER:
            # A redelivery of a job whose worker died or got no answer: take it over now,
            # looking on Stripe first, as the resume job would.
            return resume_refund(deps, request.rma)
        # Already taken by another delivery of this message (or decided otherwise): nothing to do.
        return request
    if request.resolution == "store_credit":
        return credit_return(deps, request)
    return refund_return(deps, request)


def _due(request: ReturnRequest, trigger: str) -> bool:
    """Whether a job with `trigger` has money to move for `request` as read."""
    if trigger == TRIGGER_DISPUTE_CLOSED:
        # Only what a dispute held: an approved return under on_receipt is not due yet.
        return request.refund_is_held
    if request.is_exchange and request.status != REFUND_FAILED:
        # Only a cheaper exchange's difference, once its parcel came and its replacement order exists.
        return request.status == RECEIVED and request.exchange_order is not None and request.quote.total.minor > 0
    startable = {TRIGGER_RECEIPT: (RECEIVED,), TRIGGER_APPROVAL: (APPROVED, RECEIVED), TRIGGER_RETRY: (REFUND_FAILED,)}
    return request.status in startable.get(trigger, ())


# How often a step whose write lost tries again on the current copy (see `_behind`).
_STEP_TRIES: Final = 3


def _behind(stale: ReturnRequest, current: ReturnRequest, *, tries: int) -> bool:
    """Whether a lost write only lost to a copy behind the table, and the step is still to do.

    Same status: nobody else took the step (a concurrent worker would have moved the return to
    refunding or credited). The write lost to a copy read behind the table, or to a write that
    keeps the status (a staff note, a paid difference's refund claimed meanwhile): worth another
    try with the current copy, a few times.
    """
    return tries > 1 and current.status == stale.status


def refund_return(deps: RefundDeps, request: ReturnRequest, *, tries: int = _STEP_TRIES) -> ReturnRequest:
    """Steps 1-3 of the saga for a return in received / approved / refund_failed.

    When its first write loses while the step is still to do, it runs again on a consistent copy
    (`tries` times in all; see `_behind`).
    """
    order = deps.orders.get(request.order_number)
    now = deps.clock.now()
    amount = request.quote.refund_value
    started = request.start_refund(amount, at=now, actor=SYSTEM)
    payment_intent = order.payment.payment_intent if order is not None else None
    if order is None or not payment_intent:
        return _refused_before_paying(deps, started, "no_payment_intent")
    deps.payment_ledger.ensure(order, now=now)
    try:
        started = deps.payment_ledger.start_refund(started, new_events=1, now=now)
    except RefundCeilingError:
        return _refused_before_paying(deps, started, "exceeds_refundable")
    except ChargeDisputedError:
        return _hold(deps, request, CHARGE_DISPUTED)
    except StaleWriteError:
        current = _get(deps, request.rma)
        if _behind(request, current, tries=tries):
            return refund_return(deps, current, tries=tries - 1)
        log.info("refund already taken by another worker", extra={"rma": request.rma})
        return current
    assert started.refund is not None
    if started.refund.attempt > 1:
        # A retry: an earlier attempt may have been paid after all (its answer lost, a failure
        # reported for another refund). Stripe is asked before anything is paid again.
        return _reconcile_then_pay(deps, started, payment_intent)
    return _pay(deps, started, payment_intent)


def resume_stuck_refunds(deps: RefundDeps) -> list[ReturnRequest]:
    """The scheduled job: finish every refund left in refunding for over STUCK_AFTER; the ones it finished."""
    now = deps.clock.now()
    finished: list[ReturnRequest] = []
    for rma in deps.payment_ledger.stuck_refunding(older_than=now - STUCK_AFTER):
        try:
            resumed = resume_refund(deps, rma)
        except PaymentGatewayUnavailableError:
            log.warning("refund still without an answer; next run retries", extra={"rma": rma})
            continue
        if resumed is not None and resumed.status != REFUNDING:
            finished.append(resumed)
    return finished


def resume_refund(deps: RefundDeps, rma: str) -> ReturnRequest | None:
    """Take over one stuck refund: find it on Stripe by its RMA and attempt, else make it."""
    request = deps.returns.get(rma)
    if request is None or request.status != REFUNDING or request.refund is None:
        return request
    order = deps.orders.get(request.order_number)
    payment_intent = order.payment.payment_intent if order is not None else None
    if not payment_intent:
        return request
    try:
        # The claim: a concurrent run of this job loses here, and the two-minute clock restarts.
        claimed = deps.returns.save(request.resume_refund(at=deps.clock.now(), actor=SYSTEM), new_events=1,
                                    now=deps.clock.now())
    except StaleWriteError:
        return None
    # Stripe keeps idempotency keys 24 hours only: look for the refund before making one.
    return _reconcile_then_pay(deps, claimed, payment_intent)


def _reconcile_then_pay(deps: RefundDeps, started: ReturnRequest, payment_intent: str) -> ReturnRequest:
    """Adopt what Stripe holds for this return, else pay; no answer from Stripe leaves refunding."""
    try:
        existing = _reconcile(deps.payments.refunds_of(payment_intent), started)
    except PaymentGatewayUnavailableError:
        log.warning("Stripe did not list the refunds; the refund stays in refunding", extra={"rma": started.rma})
        return started
    if existing is not None:
        return _settle(deps, started, existing)
    return _pay(deps, started, payment_intent)


def _reconcile(refunds: list[GatewayRefund], started: ReturnRequest) -> GatewayRefund | None:
    """The refund Stripe holds for `started`'s money, if any: one of any attempt that is paid
    or on its way (adopted: paying again would pay twice), else this attempt's own failed one.
    """
    attempt = started.refund
    assert attempt is not None
    ours = [r for r in refunds if r.rma == started.rma]
    live = [r for r in ours if r.status in _ACCEPTED]
    if len(live) > 1:
        log.error("Stripe holds several live refunds for one return",
                  extra={"rma": started.rma, "refunds": ",".join(r.id for r in live)})
    if live:
        # This attempt's own first; else the earliest attempt's, which an event wrongly failed.
        return min(live, key=lambda r: (r.attempt != attempt.attempt, r.attempt or 0))
    return next((r for r in ours if r.attempt == attempt.attempt), None)


def refund_changed(
    deps: RefundDeps, rma: str, *, refund_id: str, attempt: int | None, status: str, failure_reason: str | None
) -> str:
    """Stripe says refund `refund_id` of return `rma` changed (a webhook event); what it did, in a word.

    Only the return's current attempt's refund moves it (`ReturnRequest.owns_refund`): a failed
    one moves it to refund_failed (ceiling restored, merchant told); an accepted one settles a
    refund still waiting for its answer. Anything about an earlier attempt's refund is late or
    repeated news and changes nothing.
    """
    request = deps.returns.get(rma)
    # A cheaper exchange's refunded difference ended it `exchanged`: a later failure still counts.
    if request is None or request.refund is None or request.status not in (REFUNDING, REFUNDED, EXCHANGED):
        return "ignored"
    if not request.owns_refund(refund_id, attempt=attempt):
        log.info("refund event about another attempt's refund", extra={"rma": rma, "refund": refund_id})
        return "ignored"
    if status in _FAILED:
        mark_refund_failed(deps, request, failure_reason or status)
        return "refund_failed"
    if status in _ACCEPTED and request.status == REFUNDING:
        _settle(deps, request, GatewayRefund(id=refund_id, amount=request.refund.amount, status=status, rma=rma,
                                             attempt=attempt))
        return "refund_settled"
    return "ignored"


def credit_return(deps: ReleaseDeps, request: ReturnRequest, *, tries: int = _STEP_TRIES, actor: str = SYSTEM,
                  source_ip: str = "") -> ReturnRequest:
    """Pay the return as store credit: entry, balance and the move to credited in one transaction.

    `tries`: as for `refund_return`. `actor`: who paid it (a staff member choosing credit
    instead of a refund; the system when the policy releases it).
    """
    now = deps.clock.now()
    credited = request.credit(at=now, actor=actor, source_ip=source_ip)
    policy = deps.policies.current()
    expiry_days = policy.store_credit_expiry_days
    expires_at = now + timedelta(days=expiry_days) if expiry_days is not None else None
    try:
        stored = deps.store_credit.credit_return(credited, amount=request.quote.total, new_events=1, now=now,
                                                 expires_at=expires_at)
    except StaleWriteError:
        current = _get(deps, request.rma)
        if _behind(request, current, tries=tries):
            return credit_return(deps, current, tries=tries - 1, actor=actor, source_ip=source_ip)
        return current
    # Only the writer that won the transaction tells the shopper, so they hear it once.
    account = deps.store_credit.account(stored.customer_email, stored.quote.currency)
    deps.shopper_notifier.credit_issued(stored, balance=account.balance, code=account.code,
                                        expiring=next_to_expire(account, now=now), zone=policy.zone)
    keep_checkout_offer(deps, stored.customer_email, stored.quote.currency)
    return stored


def credit_instead(deps: RefundDeps, request: ReturnRequest, *, actor: str = SYSTEM,
                   source_ip: str = "") -> ReturnRequest:
    """Staff pay a return as store credit instead of a refund.

    A failed refund is checked on Stripe first: if Stripe holds a refund of this return as paid
    or on its way (its failure was misreported, or an answer was lost), crediting as well would
    pay twice, so it is refused (409 `refund_exists`); retrying the refund adopts Stripe's.
    """
    if request.status == REFUND_FAILED:
        order = deps.orders.get(request.order_number)
        payment_intent = order.payment.payment_intent if order is not None else None
        paid = [
            r for r in (deps.payments.refunds_of(payment_intent) if payment_intent else [])
            if r.rma == request.rma and r.status in _ACCEPTED
        ]
        if paid:
            raise ConflictError(
                f"Stripe already holds refund {paid[0].id} for return {request.rma}; retry the refund to record it "
                "instead of paying store credit as well", code="refund_exists",
            )
    return credit_return(deps, request, actor=actor, source_ip=source_ip)


def mark_refund_failed(deps: RefundDeps, request: ReturnRequest, reason: str) -> ReturnRequest:
    """Stripe says the refund failed (now or later): refund_failed, ceiling restored, merchant told."""
    failed = request.mark_refund_failed(reason, at=deps.clock.now(), actor=SYSTEM)
    stored = deps.payment_ledger.fail_refund(failed, new_events=1, now=deps.clock.now())
    deps.merchant_notifier.refund_failed(stored, to=deps.policies.current().merchant_email, reason=reason)
    log.warning("refund failed", extra={"rma": request.rma, "reason": reason})
    return stored


def _pay(deps: RefundDeps, started: ReturnRequest, payment_intent: str) -> ReturnRequest:
    attempt = started.refund
    assert attempt is not None
    try:
        refund = deps.payments.refund(
            payment_intent=payment_intent, amount=attempt.amount, idempotency_key=attempt.idempotency_key,
            rma=started.rma, attempt=attempt.attempt,
        )
    except RefundDeclinedError as error:
        return mark_refund_failed(deps, started, error.reason)
    except PaymentGatewayUnavailableError:
        # Unknown outcome: stay in refunding; the resume job finds or makes the refund.
        log.warning("no answer from Stripe; the refund stays in refunding", extra={"rma": started.rma})
        return started
    return _settle(deps, started, refund)


def _settle(deps: RefundDeps, started: ReturnRequest, refund: GatewayRefund) -> ReturnRequest:
    if refund.status not in _ACCEPTED:
        return mark_refund_failed(deps, started, refund.failure_reason or refund.status)
    try:
        stored = deps.returns.save(
            started.mark_refunded(refund.id, at=deps.clock.now(), actor=SYSTEM), new_events=1,
            now=deps.clock.now(),
        )
    except StaleWriteError:
        current = _get(deps, started.rma)
        if current.status in (REFUNDED, EXCHANGED):
            return current  # the other worker (or the webhook) recorded it
        raise
    deps.shopper_notifier.refund_sent(stored)
    return stored


def _hold(deps: RefundDeps, request: ReturnRequest, reason: str) -> ReturnRequest:
    """Nothing may leave yet: the return keeps its status, its timeline says why, the merchant is told."""
    held = request.hold_refund(reason, at=deps.clock.now(), actor=SYSTEM)
    try:
        stored = deps.returns.save(held, new_events=1, now=deps.clock.now())
    except StaleWriteError:
        return _get(deps, request.rma)
    deps.merchant_notifier.refund_held(stored, to=deps.policies.current().merchant_email, reason=reason)
    log.warning("refund held", extra={"rma": request.rma, "reason": reason})
    return stored


def release_held_refunds(deps: RefundDeps, order_number: str) -> list[str]:
    """A dispute closed: queue every refund of the order it held (the job re-checks each)."""
    held: list[str] = []
    for listed in deps.returns.of_order(order_number):
        request = deps.returns.get(listed.rma)  # with its timeline: is it held?
        if request is not None and request.refund_is_held:
            deps.refund_queue.enqueue(request.rma, trigger=TRIGGER_DISPUTE_CLOSED)
            held.append(request.rma)
    return held


def _refused_before_paying(deps: RefundDeps, started: ReturnRequest, reason: str) -> ReturnRequest:
    """Nothing can be paid (no PaymentIntent, no room under the ceiling): refund_failed at once."""
    failed = started.mark_refund_failed(reason, at=deps.clock.now(), actor=SYSTEM)
    try:
        stored = deps.returns.save(failed, new_events=2, now=deps.clock.now())
    except StaleWriteError:
        return _get(deps, started.rma)
    deps.merchant_notifier.refund_failed(stored, to=deps.policies.current().merchant_email, reason=reason)
    log.warning("refund refused before paying", extra={"rma": started.rma, "reason": reason})
    return stored


def _get(deps: ReleaseDeps, rma: str) -> ReturnRequest:
    request = deps.returns.get(rma)
    if request is None:
        raise NotFoundError("We couldn't find that return.", code="return_not_found")
    return request
