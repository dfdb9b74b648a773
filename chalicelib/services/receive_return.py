"""Use case: the warehouse says a return's parcel arrived (the label's barcode carries the RMA)."""

from __future__ import annotations

from typing import Protocol

from ..domain.errors import ConflictError, NotFoundError, StaleWriteError
from ..domain.return_request import (
    APPROVED,
    CANCELLED,
    EXPIRED,
    RECEIVED,
    RETURNED_STATUSES,
    ReceivedLine,
    ReturnRequest,
    normalize_rma,
)
from .fulfil_exchange import ExchangeDeps, after_receipt
from .read_return import RETURN_NOT_FOUND_MESSAGE
from .refund_return import RefundDeps

# Concurrent scans of one parcel: one wins the conditional write, the others re-read. The first
# read is eventually consistent, the others consistent.
_ATTEMPTS = 4
# Closed before its parcel came (domain VOID_STATUSES): the parcel was not expected, and the
# warehouse is told plainly why, by code and words.
NOT_EXPECTED: dict[str, tuple[str, str]] = {
    CANCELLED: ("return_cancelled", "Return {rma} was cancelled by the shopper, so its parcel can't be received."),
    EXPIRED: ("return_expired", "Return {rma} expired because its parcel didn't arrive in time, so it can't be "
                                "received. The shopper can start a new return while the items are returnable."),
}


class ReceiveDeps(RefundDeps, ExchangeDeps, Protocol):
    """What receiving a parcel needs: the money after it, or an exchange's replacement order."""


def receive_return(deps: ReceiveDeps, rma: str, *, received_by: str, received: tuple[ReceivedLine, ...] = (),
                   source_ip: str = "") -> ReturnRequest:
    """Mark the parcel received (approved -> received) and release the money if the policy says so.

    `received`: each line as found (the console's receipt: units and condition); empty, every
    unit arrived as described (the scan). A partial receipt pays only the units that arrived.

    An exchange's replacement order is made now if it was not at approval (or the exchange falls
    through to money when its stock ran out), and the exchange settles (services/fulfil_exchange.py).

    Idempotent: a return whose parcel is already recorded is answered as it is, so a double
    scan or 20 concurrent calls start one refund. A return paid before its parcel came
    (`on_approval`) keeps its status and records the arrival, so its units count as returned.
    ConflictError (409) for a return that is not approved (pending, rejected); code
    `return_cancelled` for one the shopper cancelled and `return_expired` for one whose parcel
    came too late (the daily job expired it), so the scan says so.
    """
    canonical = normalize_rma(rma)
    if canonical is None:
        raise NotFoundError(RETURN_NOT_FOUND_MESSAGE, code="return_not_found")
    for attempt in range(_ATTEMPTS):
        # Eventually consistent first (half the read units): a copy behind the table can only
        # be older, so what it shows received, cancelled or expired is so; its write loses if
        # anything moved since, and an answer of "no" (not found, not approved) is read again
        # consistently before the warehouse is told.
        fresh = attempt > 0
        request = deps.returns.get(canonical, consistent=fresh)
        if request is None:
            if not fresh:
                continue
            raise NotFoundError(RETURN_NOT_FOUND_MESSAGE, code="return_not_found")
        if request.status in RETURNED_STATUSES and request.parcel_received:
            # An exchange left received (its order or settlement cut short) is taken up again.
            return after_receipt(deps, request) if request.status == RECEIVED and request.is_exchange else request
        if request.status in NOT_EXPECTED:
            code, message = NOT_EXPECTED[request.status]
            raise ConflictError(message.format(rma=request.rma), code=code)
        if request.status not in (APPROVED, *RETURNED_STATUSES):
            if not fresh:
                continue
            # The domain names the clash (pending_approval, rejected ...).
            request.receive(at=deps.clock.now(), actor=received_by)
        moved = request.receive(at=deps.clock.now(), actor=received_by, received=received, source_ip=source_ip)
        try:
            stored = deps.returns.save(moved, new_events=1, now=deps.clock.now())
        except StaleWriteError:
            continue
        return after_receipt(deps, stored)
    raise StaleWriteError(f"return {rma} is being changed by someone else; try again")

