"""Use case: the shopper answers the merchant's counter-offer (accept or decline).

An offer (`offered`) is the merchant's counter-terms for an exception: store credit instead of a
refund, or the refund minus a fee. Accepting makes the offer the return's quote and the return
`approved` (then the normal flow: label, refund on approval); declining closes it as `cancelled`
with nothing paid, and that move frees its units in the same transaction. Each answer is one
conditional write: of an accept and a decline racing (two tabs), exactly one is stored; the
other reads the return again and gets OfferClosedError, or the same answer as it is when it was
a double click. The merchant is told by email; the timeline records the answer.
"""

from __future__ import annotations

import logging
from typing import Final, Protocol

from ..domain.approvals import APPROVE_FEE, APPROVE_STORE_CREDIT
from ..domain.errors import StaleWriteError, ValidationError
from ..domain.policy import Policy
from ..domain.return_request import (
    CANCELLED,
    OFFERED,
    SHOPPER,
    EventKind,
    OfferClosedError,
    ReturnRequest,
)
from .decide_return import DecideReturnDeps
from .issue_label import issue_label
from .read_return import read_return
from .refund_return import on_return_approved

log = logging.getLogger("retour.returns")

ACCEPT: Final = "accept"
DECLINE: Final = "decline"
ANSWERS: tuple[str, ...] = (ACCEPT, DECLINE)
_ATTEMPTS: Final = 3


class AnswerOfferDeps(DecideReturnDeps, Protocol):
    """What answering an offer needs: what deciding needs (label, refund, both notifiers)."""


def answer_offer(deps: AnswerOfferDeps, rma: str, answer: str, *, order_number: str) -> ReturnRequest:
    """The shopper of order `order_number` accepts or declines return `rma`'s open offer.

    ValidationError for an answer other than accept / decline; NotFoundError for another order's
    return; OfferClosedError (409) when no offer is open (answered the other way, expired).
    Answering again the same way answers the return as it is (a double click writes once).
    """
    if answer not in ANSWERS:
        raise ValidationError("decision must be accept or decline", fields=("decision",))
    for _ in range(_ATTEMPTS):
        request = read_return(deps, rma, order_number=order_number)
        if request.status != OFFERED:
            if _answered(request, answer):
                return request
            raise OfferClosedError(f"return {request.rma} has no open offer (it is {request.status})")
        now = deps.clock.now()
        moved = (request.accept_offer(at=now, actor=SHOPPER) if answer == ACCEPT
                 else request.decline_offer(at=now, actor=SHOPPER))
        try:
            stored = deps.returns.save(moved, new_events=1, now=now)
        except StaleWriteError:
            continue
        log.info("return %s: the shopper %sed the offer", stored.rma, answer)
        _after_answer(deps, stored, accepted=answer == ACCEPT)
        return stored
    raise StaleWriteError(f"return {rma} is being changed by someone else; try again")


def _answered(request: ReturnRequest, answer: str) -> bool:
    """Whether `request` already holds this very answer (a double click, a second tab)."""
    if answer == ACCEPT:
        # Accepted, then perhaps moved on (paid on approval, received): still this answer.
        return any(e.kind == EventKind.OFFER_ACCEPTED for e in request.events)
    return request.status == CANCELLED and any(e.kind == EventKind.OFFER_DECLINED for e in request.events)


def _terms_of(request: ReturnRequest) -> str:
    """Which counter-terms the accepted offer was (the offer's timeline entry says)."""
    offered = next((e for e in reversed(request.events) if e.kind == EventKind.OFFERED), None)
    return APPROVE_STORE_CREDIT if offered is not None and "store credit" in offered.detail else APPROVE_FEE


def _after_answer(deps: AnswerOfferDeps, request: ReturnRequest, *, accepted: bool) -> None:
    """The label and the money (accepted), the merchant's email; never undoes the stored answer."""
    order = deps.orders.get(request.order_number)
    if accepted and order is not None:
        try:
            issue_label(deps, request, order=order)
        except Exception:  # noqa: BLE001 - the answer is stored; a label is rendered on demand
            log.exception("could not issue the label of return %s", request.rma)
        try:
            request = on_return_approved(deps, request)
        except Exception:  # noqa: BLE001 - the answer is stored; a refund is retryable
            log.exception("could not release the money of return %s", request.rma)
        try:
            # As after any approval: the terms, the store's reason for them and the label link,
            # by email (the page may be lost; the offer's email may be long gone).
            deps.shopper_notifier.return_decided(request, order, note=request.merchant_note,
                                                 counter_terms=_terms_of(request))
        except Exception:  # noqa: BLE001 - the answer is stored; the status page shows it
            log.exception("could not email the shopper the approval of return %s", request.rma)
    try:
        policy: Policy = deps.policies.current()
        deps.merchant_notifier.offer_answered(request, to=policy.merchant_email, accepted=accepted)
    except Exception:  # noqa: BLE001 - the answer is stored; the console shows it
        log.exception("could not tell the merchant the answer to the offer on return %s", request.rma)
