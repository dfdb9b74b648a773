"""Use case: the merchant decides an exception, by email link, admin API or the timeout job.

Every path goes through `_decide`, so the rules are one: only a `pending_approval` return can be
decided, the decision is one conditional write on the version read (of two concurrent deciders
exactly one wins; the other gets AlreadyDecidedError), and what follows an approval (the label,
the refund under `on_approval`, the shopper's email) happens after the write and never undoes it.

Counter-terms (store credit only, or minus a fee) are an offer, not an approval: the return goes
to `offered` and the shopper accepts or declines it (services/answer_offer.py). An offer needs
the merchant's reason, and so does a decline made on a page (link or console); the admin API and
the timeout job may decline without one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from ..domain.approvals import ACTIONS, APPROVE, APPROVE_FEE, APPROVE_STORE_CREDIT, REJECT
from ..domain.errors import ConflictError, ForbiddenError, NotFoundError, StaleWriteError, ValidationError
from ..domain.notes import MAX_NOTE
from ..domain.order import ORIGINAL_SHIPPING, Order
from ..domain.policy import Policy
from ..domain.quote import Quote, Selection, quote
from ..domain.return_request import (
    APPROVED,
    PENDING_APPROVAL,
    DECIDING_KINDS,
    ReturnEvent,
    ReturnRequest,
)
from ..locales import N_
from .approval_links import ApprovalLinkDeps, OpenedLink, check_link_usable, open_link, policy_of
from .issue_label import IssueLabelDeps, issue_label
from .owe_difference import owe_difference_back
from .ports.notifications import ShopperNotifier
from .read_return import read_return
from .fulfil_exchange import ExchangeDeps, after_approval
from .refund_return import RefundDeps

log = logging.getLogger("retour.approvals")

DECISION_KINDS = DECIDING_KINDS
# The decisions that are counter-offers: the shopper must accept them.
OFFER_ACTIONS: tuple[str, ...] = (APPROVE_STORE_CREDIT, APPROVE_FEE)


class AlreadyDecidedError(ConflictError):
    """The return was decided before (or a moment ago, by someone else): nothing was written."""

    code = "already_decided"

    def __init__(self, request: ReturnRequest) -> None:
        self.request = request
        self.decision = decision_event(request)
        if request.cancelled_by_shopper:
            # Not a decision anyone made: say what happened, under a code an integration can tell apart.
            super().__init__(f"return {request.rma} was cancelled by the shopper; there is nothing to decide",
                             code="return_cancelled")
            return
        by = f" by {self.decision.actor}" if self.decision else ""
        super().__init__(f"return {request.rma} was already decided: {request.status}{by}")


@dataclass(frozen=True, slots=True)
class Decision:
    """What the merchant chose: an action of ACTIONS, a note to the shopper, a fee for approve_fee."""

    action: str
    note: str = ""
    fee_percent: int | None = None


@dataclass(frozen=True, slots=True)
class DecidedBy:
    """Who decided and from where (recorded in the timeline event)."""

    actor: str
    source_ip: str = ""
    user_agent: str = ""


class DecideReturnDeps(ApprovalLinkDeps, IssueLabelDeps, RefundDeps, ExchangeDeps, Protocol):
    """What deciding a return needs."""

    @property
    def shopper_notifier(self) -> ShopperNotifier: ...


def decision_event(request: ReturnRequest) -> ReturnEvent | None:
    """The event that decided `request` (the last approval or rejection), if any."""
    return next((e for e in reversed(request.events) if e.kind in DECISION_KINDS), None)


def validate_decision(decision: Decision, *, allowed: tuple[str, ...] = ACTIONS,
                      reason_for_decline: bool = False) -> Decision:
    """`decision` with its note trimmed; ValidationError naming the bad field.

    A counter-offer always needs the merchant's reason; a decline needs one when
    `reason_for_decline` (a person deciding on a page: the shopper is owed a why).
    """
    if decision.action not in allowed:
        raise ValidationError(f"decision must be one of {', '.join(allowed)}", fields=("decision",))
    note = decision.note.strip()
    if len(note) > MAX_NOTE:
        raise ValidationError(f"the note is {len(note)} characters; a note is at most {MAX_NOTE}", fields=("note",))
    fee = decision.fee_percent
    if decision.action == APPROVE_FEE:
        if type(fee) is not int or not 1 <= fee <= 100:
            raise ValidationError("fee_percent must be a whole number from 1 to 100", fields=("fee_percent",))
    else:
        fee = None
    if not note and (decision.action in OFFER_ACTIONS or (reason_for_decline and decision.action == REJECT)):
        raise ValidationError(REASON_REQUIRED[decision.action], fields=("note",))
    return replace(decision, note=note, fee_percent=fee)


# Why a decision without a note is refused (the pages say it in the merchant's language).
REASON_REQUIRED = {
    REJECT: N_("Tell the shopper why you decline: write a reason."),
    APPROVE_STORE_CREDIT: N_("Tell the shopper why you offer store credit instead: write a reason."),
    APPROVE_FEE: N_("Tell the shopper why you charge a fee: write a reason."),
}


def decide_return(deps: DecideReturnDeps, rma: str, decision: Decision, *, by: DecidedBy,
                  reason_for_decline: bool = False) -> ReturnRequest:
    """Decide return `rma` (admin API, jobs). AlreadyDecidedError (409) once it is decided.

    Read eventually consistent first (half the read units): a copy behind the table is older, so
    one that shows a decision is right, and one still pending that is not loses its conditional
    write and is read again (`_decide`); only "not found" is asked again consistently here.
    """
    try:
        request = read_return(deps, rma, order_number=None, consistent=False)
    except NotFoundError:
        request = read_return(deps, rma, order_number=None)
    return _decide(deps, request, validate_decision(decision, reason_for_decline=reason_for_decline), by=by)


def decide_by_link(deps: DecideReturnDeps, token: str, decision: Decision, *, source_ip: str,
                   user_agent: str) -> ReturnRequest:
    """Decide through an emailed link: the link must be genuine, unexpired, for this state and action."""
    opened = open_link(deps, token)
    if opened.request.status != PENDING_APPROVAL:
        raise AlreadyDecidedError(opened.request)
    check_link_usable(opened, now=deps.clock.now())
    if decision.action not in opened.link.actions:
        raise ForbiddenError("This link can't take that action.", code="action_not_allowed")
    by = DecidedBy(actor=f"merchant:{opened.link.approver}", source_ip=source_ip, user_agent=user_agent)
    return _decide(deps, opened.request,
                   validate_decision(decision, allowed=opened.link.actions, reason_for_decline=True), by=by)


def preview_link(deps: DecideReturnDeps, token: str) -> tuple[OpenedLink, Order]:
    """What the confirm page shows; writes nothing. Raises as decide_by_link would."""
    opened = open_link(deps, token)
    if opened.request.status != PENDING_APPROVAL:
        raise AlreadyDecidedError(opened.request)
    check_link_usable(opened, now=deps.clock.now())
    return opened, _order(deps, opened.request)


def counter_quote(deps: DecideReturnDeps, request: ReturnRequest, order: Order, decision: Decision) -> Quote | None:
    """The quote of the merchant's counter-terms, or None for a plain approval or a rejection.

    Priced by the domain's quote() with the policy the return was judged by, changed as the
    merchant chose: store credit (with the store's bonus) even where the policy offers only
    refunds, or the chosen fee percent as the restocking fee of every line whose reason does not
    waive fees.
    """
    if decision.action not in (APPROVE_STORE_CREDIT, APPROVE_FEE):
        return None
    policy: Policy = policy_of(deps.policies, request)
    resolution = request.resolution
    if decision.action == APPROVE_STORE_CREDIT:
        resolution = "store_credit"
        policy = replace(policy, resolutions=replace(policy.resolutions, store_credit=True))
    if decision.action == APPROVE_FEE and decision.fee_percent is not None:
        policy = replace(policy, fees=replace(policy.fees, restocking_percent=decision.fee_percent))
    units = deps.return_history.units_of_order(order.number)
    own = request.units
    # The units valued before this return: every unit taken on the line except this return's own.
    returned_before = {
        line_id: max(units.returned.get(line_id, 0) + units.in_open_returns.get(line_id, 0) - own.get(line_id, 0), 0)
        for line_id in {*units.returned, *units.in_open_returns}
    }
    if request.holds_original_shipping:
        returned_before.pop(ORIGINAL_SHIPPING, None)
    else:
        # The terms cannot add an original shipping the return does not hold on the order.
        returned_before[ORIGINAL_SHIPPING] = 1
    selections = tuple(Selection(l.line_id, l.quantity, l.reason, l.note) for l in request.lines)
    priced = quote(order, selections, policy, resolution=resolution, returned_before=returned_before,
                   at=request.created_at)
    return replace(priced, policy_version=request.quote.policy_version)


def _order(deps: DecideReturnDeps, request: ReturnRequest) -> Order:
    order = deps.orders.get(request.order_number)
    if order is None:
        raise NotFoundError("We couldn't find that return's order.", code="order_not_found")
    return order


def _decide(deps: DecideReturnDeps, request: ReturnRequest, decision: Decision, *, by: DecidedBy) -> ReturnRequest:
    if request.status != PENDING_APPROVAL:
        raise AlreadyDecidedError(request)
    order = _order(deps, request)
    now: datetime = deps.clock.now()
    if decision.action == REJECT:
        decided = request.reject(at=now, actor=by.actor, note=decision.note,
                                 source_ip=by.source_ip, user_agent=by.user_agent)
    elif decision.action in OFFER_ACTIONS:
        terms = counter_quote(deps, request, order, decision)
        assert terms is not None
        decided = request.make_offer(terms, at=now, actor=by.actor, note=decision.note,
                                     terms=_terms_detail(decision), source_ip=by.source_ip,
                                     user_agent=by.user_agent)
    else:
        decided = request.approve(at=now, actor=by.actor, note=decision.note,
                                  source_ip=by.source_ip, user_agent=by.user_agent)
    try:
        stored = deps.returns.save(decided, new_events=1, now=now)
    except StaleWriteError as error:
        current = deps.returns.get(request.rma)
        if current is not None and current.status != PENDING_APPROVAL:
            raise AlreadyDecidedError(current) from error
        raise
    log.info("return %s %s by %s", stored.rma, stored.status, by.actor)
    # A rejected exchange's paid price difference goes back (the refund worker).
    owe_difference_back(deps, stored)
    _after_decision(deps, stored, order, decision)
    return stored


def _terms_detail(decision: Decision) -> str:
    if decision.action == APPROVE_STORE_CREDIT:
        return "offered store credit only"
    if decision.action == APPROVE_FEE:
        return f"offered minus a {decision.fee_percent}% fee"
    return APPROVED


def _after_decision(deps: DecideReturnDeps, request: ReturnRequest, order: Order, decision: Decision) -> None:
    """The label and the shopper's email; a failure is logged, never undoes the stored decision."""
    if request.status == APPROVED:
        try:
            # Rendered now so the shopper's first download is only a redirect; a label missing
            # later is rendered on demand, so a failure here costs a few milliseconds later.
            issue_label(deps, request, order=order)
        except Exception:  # noqa: BLE001 - the decision is stored; see above
            log.exception("could not issue the label of return %s", request.rma)
        try:
            # Under refund_trigger on_approval the money follows now (queued refund, or store
            # credit at once); on_receipt waits for the parcel. The refunds feature decides. An
            # exchange makes its replacement order now under exchange_trigger on_approval.
            request = after_approval(deps, request)
        except Exception:  # noqa: BLE001 - the decision is stored; a refund is retryable
            log.exception("could not release the money of return %s", request.rma)
    counter_terms = decision.action if decision.action in (APPROVE_STORE_CREDIT, APPROVE_FEE) else ""
    try:
        deps.shopper_notifier.return_decided(
            request, order, note=decision.note, counter_terms=counter_terms,
        )
    except Exception:  # noqa: BLE001 - the decision is stored; the status page shows it
        log.exception("could not email the shopper the decision on return %s", request.rma)


__all__ = [
    "APPROVE", "APPROVE_FEE", "APPROVE_STORE_CREDIT", "REJECT", "AlreadyDecidedError", "DecidedBy",
    "Decision", "decide_by_link", "decide_return", "preview_link",
]
