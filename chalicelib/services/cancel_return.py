"""Use case: the shopper changed their mind and cancels a return before sending it.

Only the holder of the return's order (their page session or bearer token names it) cancels, and
only while nothing has reached the store and no money has moved: `pending_approval` or
`approved`. The move is one conditional write, and `cancelled` is a released status, so the same
transaction gives the units back to the order's lines: a new lookup offers them again at once.

A lost race reads the return again. A merchant who approved meanwhile leaves it cancellable (the
shopper still wants out); a warehouse receipt or a refund that came first makes it
NotCancellableError (409, saying why); a second cancel finds it cancelled and answers it as it
is, so a double click writes one event and sends one email.
"""

from __future__ import annotations

import logging
from typing import Protocol

from ..domain.errors import StaleWriteError
from ..domain.return_request import SHOPPER, ReturnRequest
from .owe_difference import owe_difference_back
from .pay_difference import RecordPaymentDeps, close_unpaid
from .ports.money import RefundQueue
from .ports.notifications import ShopperNotifier
from .ports.orders import OrderRepository
from .ports.returns import ReturnRepository
from .ports.system import Clock
from .read_return import read_return

log = logging.getLogger("retour.returns")

# Concurrent moves of one return (a merchant, the warehouse, a second tab): one wins each write,
# the others read again; three reads cover every order in which the other actors can land.
_ATTEMPTS = 3


class CancelReturnDeps(RecordPaymentDeps, Protocol):
    """What cancelling a return needs (a dearer exchange's payment too)."""

    @property
    def refund_queue(self) -> RefundQueue: ...

    @property
    def returns(self) -> ReturnRepository: ...

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def shopper_notifier(self) -> ShopperNotifier: ...


def cancel_return(deps: CancelReturnDeps, rma: str, *, order_number: str) -> ReturnRequest:
    """Cancel return `rma` of order `order_number` for its shopper; the cancelled return.

    NotFoundError (the same as for a missing RMA) for another order's return; NotCancellableError
    (409, with `why`) once it is too late; StaleWriteError (409) if it kept moving under us.
    """
    for _ in range(_ATTEMPTS):
        request = read_return(deps, rma, order_number=order_number)
        if request.cancelled_by_shopper:
            return request
        # An exchange still waiting for its price difference: no card may pay it once cancelled.
        request, _ = close_unpaid(deps, request)
        now = deps.clock.now()
        # The domain refuses, saying why, when the parcel arrived, money moved or it is closed.
        cancelled = request.cancel(at=now, actor=SHOPPER)
        try:
            stored = deps.returns.save(cancelled, new_events=1, now=now)
        except StaleWriteError:
            continue
        log.info("return %s cancelled by the shopper", stored.rma)
        # A paid price difference goes back (the refund worker).
        owe_difference_back(deps, stored)
        _tell_the_shopper(deps, stored)
        return stored
    raise StaleWriteError(f"return {rma} is being changed by someone else; try again")


def _tell_the_shopper(deps: CancelReturnDeps, request: ReturnRequest) -> None:
    """The confirmation email; a failure is logged, never undoes the stored cancellation."""
    try:
        order = deps.orders.get(request.order_number)
        if order is None:
            log.warning("return %s was cancelled but its order is gone: no email", request.rma)
            return
        deps.shopper_notifier.return_cancelled(request, order)
    except Exception:  # noqa: BLE001 - the cancellation is stored; the status page shows it
        log.exception("could not email the shopper the cancellation of return %s", request.rma)
