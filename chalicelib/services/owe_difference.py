"""Queueing the refund of a paid price difference: a leaf the moves that close an
exchange call (cancel, reject, expiry, out of stock), so none of them imports the payment flow.
The refund itself: services/pay_difference.py `refund_difference`."""

from __future__ import annotations

import logging
from typing import Final, Protocol

from ..domain.return_request import ReturnRequest
from .ports.money import RefundQueue

log = logging.getLogger("retour.exchanges")

# What our PaymentIntents for differences, and their refunds, carry as `purpose` in their metadata.
DIFFERENCE_PURPOSE: Final = "exchange_difference"
# The refund worker's trigger for a paid difference owed back.
TRIGGER_DIFFERENCE: Final = "difference"


class OweBackDeps(Protocol):
    """What queueing a difference's refund needs."""

    @property
    def refund_queue(self) -> RefundQueue: ...


def owe_difference_back(deps: OweBackDeps, request: ReturnRequest) -> None:
    """After any move: queue the refund of a paid difference the return now owes. Never raises
    (the move is stored; the resume job finds any job lost here)."""
    if not request.owes_difference_refund:
        return
    try:
        deps.refund_queue.enqueue(request.rma, trigger=TRIGGER_DIFFERENCE)
    except Exception:  # noqa: BLE001 - see the docstring
        log.exception("could not queue the difference refund of return %s", request.rma)
