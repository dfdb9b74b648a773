"""Use case (scheduled, daily): expire approved returns whose parcel did not arrive in time.

A return approved more than the policy's `ship_within_days` ago and still `approved` moves to
`expired`. That is a released status, so the same conditional write gives its units back to the
order's lines (the shopper may return them again while the window allows), and the merchant's
list of approved returns keeps only live ones. The shopper gets an email saying so; when it was an
exchange whose replacement order was already made (exchange_trigger on_approval), so does the store.

Approved returns are read oldest first from the status index (gsi2 `RETURNS#approved`, keyed by
when they entered it), never a Scan, and the walk stops at the first one too young. Each is read
again before it moves: one received, cancelled or otherwise moved meanwhile is left alone (a lost
race is normal, not an error). A run that stops half-way is simply done again next time, and a
return already expired is no longer approved, so nothing expires, or is emailed about, twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Final, Protocol

from ..domain.errors import RetourError, StaleWriteError
from ..domain.refunds import PaymentGatewayUnavailableError
from ..domain.return_request import APPROVED, AWAITING_PAYMENT, OFFERED, ReturnRequest, ReturnStatus
from .owe_difference import owe_difference_back
from .pay_difference import PayDifferenceDeps, after_payment, close_unpaid
from .ports.money import RefundQueue
from .ports.notifications import MerchantNotifier, ShopperNotifier
from .ports.orders import OrderRepository
from .ports.policy import PolicyRepository
from .ports.returns import ReturnListings, ReturnRepository
from .ports.system import Clock

log = logging.getLogger("retour.returns")

EXPIRY_ACTOR: Final = "system:return_expiry"
PAGE_SIZE: Final = 100
# Another actor moving the same return (a second run, a refund hold): read again, then leave it.
_ATTEMPTS: Final = 3
# Stop while this much of the function's time is left, so no return is left moved but unannounced
# when Lambda ends the run; the next run takes up the rest.
SAFETY_MARGIN: Final = timedelta(seconds=5)


class ExpireReturnsDeps(Protocol):
    """What the expiry job needs."""

    @property
    def returns(self) -> ReturnRepository: ...

    @property
    def listings(self) -> ReturnListings: ...

    @property
    def policies(self) -> PolicyRepository: ...

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def shopper_notifier(self) -> ShopperNotifier: ...

    @property
    def refund_queue(self) -> RefundQueue: ...

    @property
    def merchant_notifier(self) -> MerchantNotifier: ...


def _due(
    deps: ExpireReturnsDeps, status: ReturnStatus, limit: timedelta, time_left: Callable[[], timedelta] | None,
) -> Iterator[ReturnRequest]:
    """The returns in `status` for at least `limit`, oldest first from the status index, never a
    Scan: the walk stops at the first one too young (every later one entered `status` later
    still), or while `time_left` is under the safety margin (the next run goes on)."""
    now = deps.clock.now()
    cursor: str | None = None
    while True:
        page = deps.listings.with_status(status, newest_first=False, limit=PAGE_SIZE, cursor=cursor)
        for listed in page.returns:
            if now - listed.status_changed_at < limit:
                return
            if time_left is not None and time_left() < SAFETY_MARGIN:
                log.warning("return expiry: out of time in the %s returns; the next run goes on", status)
                return
            yield listed
        cursor = page.cursor
        if cursor is None:
            return


def expire_returns(deps: ExpireReturnsDeps, *, time_left: Callable[[], timedelta] | None = None) -> list[str]:
    """One run at `deps.clock.now()`: the RMAs it expired, oldest approval first.

    `time_left`: how long the run may still take (Lambda's remaining time); None: no limit.
    """
    days = deps.policies.current().ship_within_days
    if days is None:
        return []  # the store lets approved returns wait for their parcel forever
    limit = timedelta(days=days)
    now = deps.clock.now()
    expired: list[str] = []
    for listed in _due(deps, APPROVED, limit, time_left):
        try:
            done = _expire_one(deps, listed.rma, now=now, limit=limit, days=days)
        except RetourError:
            log.exception("return expiry: could not expire return %s", listed.rma)
            continue
        if done is not None:
            expired.append(done.rma)
    return expired


def _expire_one(
    deps: ExpireReturnsDeps, rma: str, *, now: datetime, limit: timedelta, days: int,
) -> ReturnRequest | None:
    """Expire return `rma` if it is still approved and old enough; the stored return, or None."""
    for _ in range(_ATTEMPTS):
        # Consistent, with its timeline: the listing may lag the latest move.
        request = deps.returns.get(rma)
        if request is None or request.status != APPROVED:
            return None  # received, cancelled or expired meanwhile: nothing left to do
        if now - request.status_changed_at < limit:
            return None  # it moved within the limit (the index lagged)
        if request.refund_is_held:
            # Paid on approval but held by a dispute: the merchant decides, not the clock.
            return None
        at = deps.clock.now()
        try:
            stored = deps.returns.save(
                request.expire(at=at, actor=EXPIRY_ACTOR, ship_within_days=days), new_events=1, now=at,
            )
        except StaleWriteError:
            continue
        log.info("return %s expired: no parcel within %d days of approval", stored.rma, days)
        # An exchange's paid price difference goes back (the refund worker).
        owe_difference_back(deps, stored)
        _tell_the_shopper(deps, stored, days=days)
        if stored.exchange_order is not None:
            _tell_the_store(deps, stored)
        return stored
    log.warning("return expiry: return %s kept changing; the next run looks again", rma)
    return None


def expire_offers(deps: ExpireReturnsDeps, *, time_left: Callable[[], timedelta] | None = None) -> list[str]:
    """Close counter-offers left unanswered for the policy's `approval_expiry_hours` (the time a
    merchant has to answer a request, given to the shopper for the offer): offered -> expired,
    which frees the units. The same walk as above, over the status index's `offered` returns."""
    limit = timedelta(hours=deps.policies.current().approval_expiry_hours)
    now = deps.clock.now()
    expired: list[str] = []
    for listed in _due(deps, OFFERED, limit, time_left):
        for _ in range(_ATTEMPTS):
            request = deps.returns.get(listed.rma)
            if request is None or request.status != OFFERED or now - request.status_changed_at < limit:
                break  # answered meanwhile, or the index lagged
            at = deps.clock.now()
            try:
                stored = deps.returns.save(request.expire(at=at, actor=EXPIRY_ACTOR), new_events=1, now=at)
            except StaleWriteError:
                continue  # the shopper answered at this very moment: read again
            log.info("return %s: its offer expired unanswered", stored.rma)
            expired.append(stored.rma)
            # The email says the offer expired (it reads the return's offer_outcome), not a parcel.
            _tell_the_shopper(deps, stored, days=0)
            break
    return expired


class ExpireUnpaidDeps(ExpireReturnsDeps, PayDifferenceDeps, Protocol):
    """What expiring unpaid exchanges needs: Stripe too."""


def expire_unpaid(deps: ExpireUnpaidDeps, *, time_left: Callable[[], timedelta] | None = None) -> list[str]:
    """Close dearer exchanges whose price difference was not paid within the policy's
    `approval_expiry_hours`: awaiting_payment -> expired, which gives the promised stock back in
    the same write. Their PaymentIntent is voided on Stripe first; one Stripe says was paid after
    all is recorded as paid instead (and goes on as any paid exchange), never expired. The same
    walk as above, over the status index's `awaiting_payment` returns. The shopper is emailed."""
    limit = timedelta(hours=deps.policies.current().approval_expiry_hours)
    now = deps.clock.now()
    expired: list[str] = []
    for listed in _due(deps, AWAITING_PAYMENT, limit, time_left):
        for _ in range(_ATTEMPTS):
            request = deps.returns.get(listed.rma)
            if request is None or request.status != AWAITING_PAYMENT or now - request.status_changed_at < limit:
                break  # paid or cancelled meanwhile, or the index lagged
            try:
                closed, recorded = close_unpaid(deps, request)
            except (PaymentGatewayUnavailableError, RetourError):
                log.warning("return %s: Stripe did not say whether it was paid; the next run looks again",
                            request.rma)
                break
            if closed.status != AWAITING_PAYMENT:
                if recorded:  # paid at the last moment: it goes on, not expired
                    after_payment(deps, closed)  # (else the page or webhook that recorded it did this)
                break
            at = deps.clock.now()
            try:
                stored = deps.returns.save(closed.expire(at=at, actor=EXPIRY_ACTOR), new_events=1, now=at)
            except StaleWriteError:
                continue
            log.info("return %s: its price difference was not paid in time", stored.rma)
            expired.append(stored.rma)
            # The email says the difference was not paid (it reads the return's payment_lapsed).
            _tell_the_shopper(deps, stored, days=0)
            break
    return expired


def _tell_the_store(deps: ExpireReturnsDeps, request: ReturnRequest) -> None:
    """An exchange whose replacement order was made on approval expired without its parcel: the
    store may hold the replacement, or ask the shopper for the items (nothing is charged)."""
    try:
        deps.merchant_notifier.exchange_unreturned(request, to=deps.policies.current().merchant_email)
    except Exception:  # noqa: BLE001 - the expiry is stored; the console shows it
        log.exception("could not email the store the unreturned exchange %s", request.rma)


def _tell_the_shopper(deps: ExpireReturnsDeps, request: ReturnRequest, *, days: int) -> None:
    """The expiry email; a failure is logged, never undoes the stored expiry."""
    try:
        order = deps.orders.get(request.order_number)
        if order is None:
            log.warning("return %s expired but its order is gone: no email", request.rma)
            return
        deps.shopper_notifier.return_expired(request, order, ship_within_days=days)
    except Exception:  # noqa: BLE001 - the expiry is stored; the status page shows it
        log.exception("could not email the shopper the expiry of return %s", request.rma)
