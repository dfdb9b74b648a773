"""A return's console page, `/console/returns/{rma}`: what the shopper sees, and what staff need
beside it (customer, policy version, money per line, refund attempts, the whole timeline with
who acted from where), with the actions the member's role allows.

Every action is a POST through the use case the email links, the admin API and the warehouse
already use (services/decide_return.py, receive_return.py, refund_return.py, approval_links.py,
note_return.py), recorded with the actor `staff:<email>` and the member's address. Where money
moves (approve, the two counter-offers, a refund retried or paid as store credit) a GET page
first shows the amount and carries the confirming form; nothing changes until it is sent.
After an action the member is sent back to the page (303) with a notice; a conflict (decided or
cancelled meanwhile) shows the page again, saying so, with nothing changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from chalice.app import Response

from ...adapters.babel_formatting import format_zoned_datetime
from ...domain.approvals import APPROVE, APPROVE_FEE, APPROVE_STORE_CREDIT, REJECT
from ...domain.errors import ConflictError, NotFoundError, ValidationError
from ...domain.money import Money
from ...domain.notes import MAX_NOTE
from ...domain.order import Order
from ...domain.quote import Quote
from ...domain.return_request import (
    INTERNAL_KINDS,
    PENDING_APPROVAL,
    STATUSES,
    EventKind,
    ReturnEvent,
    ReturnRequest,
    normalize_rma,
)
from ...domain.staff import Permission
from ...locales import N_
from ...locales.names import status_name
from ...services.return_photos import photo_links
from ...services.approval_links import resend_approval_email
from ...services.decide_return import (
    REASON_REQUIRED,
    AlreadyDecidedError,
    DecidedBy,
    Decision,
    counter_quote,
    decide_return,
)
from ...services.note_return import add_internal_note
from ...services.read_return import read_return
from ...services.receive_return import receive_return
from ...services.refund_return import credit_instead, retry_refund
from ..forms import whole_number
from ..locale_negotiation import LANGUAGE_NAMES
from . import console_pages
from ...services.fulfil_exchange import exchange_summary
from .receipt import CONDITION_NAMES, can_be_received, condition_choices, read_receipt
from .visit import FORM, ConsoleVisit, console_view, quoted

DEFAULT_FEE_PERCENT = 15
STATUS_VALUES = frozenset(str(status) for status in STATUSES)
# Where a parcel can be received: approved, or paid before it came (refund_trigger on_approval).
# The notice after each action (`?done=`), in the member's words.
NOTICES = {
    "approved": N_("Approved. The shopper gets an email now."),
    "countered": N_("Offer sent. The shopper accepts or declines it; you get an email with their answer."),
    "rejected": N_("Declined. The shopper gets an email now."),
    "received": N_("The parcel is recorded as received."),
    "retried": N_("The refund will be tried again in a moment."),
    "credited": N_("Paid as store credit."),
    "resent": N_("A fresh approval email is on its way to the store's approval address."),
    "noted": N_("Your note was added to the timeline."),
}
# What each timeline entry says, for staff (the shopper's own words are in web/pages/page.py).
EVENT_NAMES = {
    EventKind.REQUESTED: N_("Return requested"),
    EventKind.APPROVED: N_("Approved"),
    EventKind.REJECTED: N_("Declined"),
    EventKind.CANCELLED: N_("Cancelled"),
    EventKind.EXPIRED: N_("Expired"),
    EventKind.RECEIVED: N_("Parcel received"),
    EventKind.REFUND_STARTED: N_("Refund started"),
    EventKind.REFUND_HELD: N_("Refund on hold"),
    EventKind.REFUND_RESUMED: N_("Refund resumed"),
    EventKind.REFUNDED: N_("Refunded"),
    EventKind.REFUND_FAILED: N_("Refund failed"),
    EventKind.CREDITED: N_("Paid as store credit"),
    EventKind.NOTE: N_("Internal note"),
    EventKind.REFUND_RETRY_REQUESTED: N_("Refund retry requested"),
    EventKind.APPROVAL_EMAIL_RESENT: N_("Approval email sent again"),
    EventKind.OFFERED: N_("Counter-offer made"),
    EventKind.OFFER_ACCEPTED: N_("Offer accepted by the shopper"),
    EventKind.OFFER_DECLINED: N_("Offer declined by the shopper"),
    EventKind.SHIP_REMINDER_SENT: N_("Send-by reminder emailed to the shopper"),
    # Exchanges (issue 19).
    EventKind.PAYMENT_RECEIVED: N_("Price difference paid by the shopper"),
    EventKind.EXCHANGE_CREATED: N_("Replacement order made"),
    EventKind.EXCHANGE_UNAVAILABLE: N_("Replacement out of stock: paid back instead"),
    EventKind.EXCHANGED: N_("Exchange complete"),
    EventKind.DIFFERENCE_REFUNDED: N_("Price difference refunded"),
    EventKind.DIFFERENCE_REFUND_STARTED: N_("Paying the price difference back"),
    EventKind.DIFFERENCE_REFUND_REFUSED: N_("Stripe refused to pay the price difference back"),
}
DECISION_TITLES = {
    APPROVE: N_("Approve this return"),
    APPROVE_STORE_CREDIT: N_("Offer store credit only"),
    APPROVE_FEE: N_("Offer the refund minus a fee"),
}
# Why an action can't be taken now, by the error's code (nothing was changed).
CONFLICTS = {
    "already_decided": N_("This return was already decided, so nothing was changed."),
    "return_cancelled": N_("The shopper cancelled this return meanwhile, so nothing was changed."),
    "return_expired": N_("This return expired because its parcel didn't arrive in time, so nothing was changed."),
    "not_pending_approval": N_("This return no longer waits for a decision, so no email was sent."),
    "invalid_transition": N_("This return has moved on meanwhile, so nothing was changed."),
    "refund_exists": N_("Stripe already holds a refund for this return. Retry the refund to record it "
                        "instead of paying store credit as well."),
    "charge_disputed": N_("The payment is disputed, so its refunds wait until the dispute is closed."),
}


@dataclass(frozen=True, slots=True)
class Where:
    """Where a timeline entry came from: the channel, and the client address when recorded."""

    channel: str
    address: str


def channel_of(event: ReturnEvent) -> str:
    """The channel an entry's actor acts through (console, email link, API, job, shop, warehouse)."""
    actor = event.actor
    if actor.startswith("staff:"):
        return N_("Console")
    if actor.startswith("merchant:"):
        return N_("Email link")
    if actor == "admin":
        return N_("Admin API")
    if actor == "warehouse":
        return N_("Warehouse scan")
    if actor == "shopper":
        return N_("Shopper")
    return N_("Scheduled job")


def actor_name(visit: ConsoleVisit, actor: str) -> str:
    """Who acted, as staff read it: the email of a member or approver, or what the system is."""
    if actor.startswith("staff:"):
        return actor.removeprefix("staff:")
    if actor.startswith("merchant:"):
        return visit._("%(email)s (approval email)", email=actor.removeprefix("merchant:"))
    if actor == "shopper":
        return visit._("The shopper")
    if actor == "admin":
        return visit._("Admin API key")
    if actor == "warehouse":
        return visit._("Warehouse")
    return visit._("System (%(job)s)", job=actor.removeprefix("system").lstrip(":") or "refunds")


def _read(visit: ConsoleVisit, rma: str) -> ReturnRequest:
    canonical = normalize_rma(rma)
    if canonical is None:
        raise NotFoundError("We couldn't find that return.", code="return_not_found")
    return read_return(visit.deps, canonical, order_number=None)


def _back(visit: ConsoleVisit, request: ReturnRequest, done: str) -> Response:
    return visit.redirect(f"/console/returns/{quoted(request.rma)}?{urlencode({'done': done})}")


def _by(visit: ConsoleVisit) -> DecidedBy:
    return DecidedBy(actor=visit.actor, source_ip=visit.address,
                     user_agent=(visit.request.headers.get("user-agent") or "")[:512])


def money_rows(visit: ConsoleVisit, request: ReturnRequest, order: Order | None,
               quote: Quote | None = None) -> list[dict[str, Any]]:
    """Each line with its units, what the receipt found, and its money (integer minor units)."""
    quote = quote or request.quote
    amounts = {q.line_id: q for q in quote.lines}
    receipt = {r.line_id: r for r in request.receipt}
    rows = []
    for line in request.lines:
        ordered = order.line(line.line_id) if order is not None else None
        found = receipt.get(line.line_id)
        rows.append({
            "line": line, "title": ordered.title if ordered else line.line_id, "sku": ordered.sku if ordered else "",
            "money": amounts[line.line_id],
            "received": found.units if found else None,
            "condition": visit._(CONDITION_NAMES[found.condition]) if found else "",
        })
    return rows


def refund_attempts(request: ReturnRequest) -> list[dict[str, Any]]:
    """The refund attempts as the timeline tells them: each start, and how it ended."""
    attempts: list[dict[str, Any]] = []
    for event in request.events:
        if event.kind == EventKind.REFUND_STARTED:
            attempts.append({"number": len(attempts) + 1, "started": event.at, "amount": event.detail,
                             "outcome": "", "ended": None, "detail": "", "key": ""})
        elif attempts and event.kind in (EventKind.REFUNDED, EventKind.REFUND_FAILED):
            attempts[-1].update(outcome=event.kind, ended=event.at, detail=event.detail)
    current = request.refund
    if current is not None and attempts:
        attempts[-1]["key"] = current.idempotency_key
    return attempts


def _amount_text(detail: str) -> tuple[int, str] | None:
    """The `"{minor} {currency}"` of a refund_started entry, parsed (None if it isn't one)."""
    parts = detail.split(" ")
    if len(parts) == 2 and parts[0].lstrip("-").isdigit():
        return int(parts[0]), parts[1]
    return None


def render_return(visit: ConsoleVisit, request: ReturnRequest, *, status: int = 200, problem: str = "",
                  errors: dict[str, str] | None = None, values: dict[str, str] | None = None) -> Response:
    """The return's page (also after a refused action: `problem`, or `errors` by field)."""
    deps = visit.deps
    order = deps.orders.get(request.order_number)
    ledger = deps.payment_ledger.get(request.order_number)
    # Times in the store's zone, named (eventually consistent: the zone is rarely changed).
    policy = deps.policies.current(consistent=False)
    zone = policy.zone
    timeline = []
    # Newest first; the stored order (not the time) settles two entries of the same second.
    for event in reversed(request.events):
        timeline.append({
            "event": event, "what": visit._(EVENT_NAMES.get(event.kind, event.kind)),
            # A move's detail is often just the status it reached: named in the member's words.
            "detail": status_name(event.detail, visit.lang) if event.detail in STATUS_VALUES else event.detail,
            "who": actor_name(visit, event.actor), "channel": visit._(channel_of(event)),
            "internal": event.kind in INTERNAL_KINDS,
            "received": [{"line_id": r.line_id, "units": r.units, "condition": visit._(CONDITION_NAMES[r.condition])}
                         for r in event.received],
        })
    attempts = []
    for attempt in refund_attempts(request):
        parsed = _amount_text(attempt["amount"])
        attempt["money"] = Money(parsed[0], parsed[1]) if parsed else None
        attempts.append(attempt)
    done = visit.query.get("done", "")
    notice = visit._(NOTICES[done]) if done in NOTICES and not problem else None
    is_pending = request.status == PENDING_APPROVAL
    # photos: the shopper's photos by line, through links that work for minutes.
    photos = photo_links(deps, request.rma)
    titles = {line.id: line.title for line in order.lines} if order is not None else {}
    return visit.page(
        "return.html", status=status, photo_origin=deps.photo_origin() if photos else None,
        photos=[{"title": titles.get(line_id, line_id), "links": links} for line_id, links in photos.items()], ret=request, order=order, ledger=ledger, notice=notice, problem=problem,
        errors=errors or {}, values=values or {}, rows=money_rows(visit, request, order), timeline=timeline,
        attempts=attempts, rma_path=quoted(request.rma),
        # An exchange: replacement lines, its order, the price difference and its payment.
        exchange=exchange_summary(deps.catalog, request, order, policy),
        moment=lambda value: format_zoned_datetime(value, visit.lang, zone), time_zone=policy.time_zone,
        shopper_language=LANGUAGE_NAMES.get(request.locale, request.locale),
        can_decide=visit.may(Permission.DECIDE) and is_pending,
        can_note=visit.may(Permission.DECIDE),
        can_receive=visit.may(Permission.RECEIVE) and can_be_received(request),
        can_retry=visit.may(Permission.RETRY_REFUNDS) and request.status == "refund_failed",
        can_credit=visit.may(Permission.RETRY_REFUNDS) and request.status in ("refund_failed", "received")
        and request.resolution != "store_credit",
        store_credit_offered=request.resolution != "store_credit",
        conditions=condition_choices(visit),
        max_note=MAX_NOTE, max_decision_note=MAX_NOTE, default_fee=DEFAULT_FEE_PERCENT,
    )


def _conflict(visit: ConsoleVisit, rma: str, error: ConflictError) -> Response:
    """The page again, with why the action could not be taken (409): nothing was changed."""
    message = visit._(CONFLICTS.get(error.code, CONFLICTS["invalid_transition"]))
    if isinstance(error, AlreadyDecidedError) and error.decision is not None and error.code == "already_decided":
        message = visit._("This return was already decided (%(status)s by %(who)s), so nothing was changed.",
                          status=visit._(EVENT_NAMES[error.decision.kind]),
                          who=actor_name(visit, error.decision.actor))
    return render_return(visit, _read(visit, rma), status=409, problem=message)


@console_view(console_pages, "/console/returns/{rma}", permission=Permission.VIEW_RETURNS, methods=["GET"])
def show_return(visit: ConsoleVisit, rma: str) -> Response:
    """The return, its money and timeline, and the actions the member's role allows."""
    return render_return(visit, _read(visit, rma))


# --- decide ----------------------------------------------------------------------------------

def _decision_from(visit: ConsoleVisit, values: dict[str, str]) -> tuple[Decision, str]:
    """The decision a form or query names, and the fee percent as typed; ValidationError if unknown."""
    action = values.get("decision", "")
    if action not in (APPROVE, APPROVE_STORE_CREDIT, APPROVE_FEE):
        raise ValidationError("choose a decision", fields=("decision",))
    fee_text = values.get("fee_percent", "").strip()
    fee = None
    if action == APPROVE_FEE:
        fee = whole_number(fee_text, max_digits=3)
        fee = -1 if fee is None else fee
    return Decision(action, note=values.get("note", ""), fee_percent=fee), fee_text


def _confirm_decision(visit: ConsoleVisit, request: ReturnRequest, decision: Decision, fee_text: str, *,
                      status: int = 200, errors: dict[str, str] | None = None) -> Response:
    order = visit.deps.orders.get(request.order_number)
    if order is None:
        raise NotFoundError("We couldn't find that return's order.", code="order_not_found")
    terms = counter_quote(visit.deps, request, order, decision) or request.quote
    return visit.page(
        "return_confirm.html", status=status, ret=request, kind="decision", decision=decision.action,
        title=visit._(DECISION_TITLES[decision.action]), terms=terms, rows=money_rows(visit, request, order, terms),
        fee_percent=fee_text, note=decision.note, errors=errors or {}, max_decision_note=MAX_NOTE,
        offer=decision.action != APPROVE, asked=request.quote.total,
        rma_path=quoted(request.rma), action_path=f"/console/returns/{quoted(request.rma)}/decision",
    )


@console_view(console_pages, "/console/returns/{rma}/decision", permission=Permission.DECIDE, methods=["GET"])
def review_decision(visit: ConsoleVisit, rma: str) -> Response:
    """What an approval (or a counter-offer) pays, before anything is decided; changes nothing."""
    request = _read(visit, rma)
    if request.status != PENDING_APPROVAL:
        return _conflict(visit, rma, AlreadyDecidedError(request))
    try:
        decision, fee_text = _decision_from(visit, visit.query)
        if decision.action == APPROVE_FEE and not (1 <= (decision.fee_percent or 0) <= 100):
            raise ValidationError("fee_percent", fields=("fee_percent",))
    except ValidationError as error:
        field = error.fields[0] if error.fields else "decision"
        return render_return(visit, request, status=400, errors={field: _decision_error(visit, field)},
                             values={"fee_percent": visit.query.get("fee_percent", "")})
    return _confirm_decision(visit, request, decision, fee_text)


def _decision_error(visit: ConsoleVisit, field: str, error: ValidationError | None = None) -> str:
    if field == "fee_percent":
        return visit._("Enter a whole percent from 1 to 100.")
    if field == "note" and error is not None and error.message in REASON_REQUIRED.values():
        return visit._(error.message)
    if field == "note":
        return visit._("The note can be at most %(count)s characters.", count=MAX_NOTE)
    return visit._("Choose one of the decisions offered on this page.")


@console_view(console_pages, "/console/returns/{rma}/decision", permission=Permission.DECIDE, methods=["POST"],
              content_types=FORM)
def post_decision(visit: ConsoleVisit, rma: str) -> Response:
    """Approve, or approve on counter-terms, as confirmed on the review page."""
    form = visit.form()
    request = _read(visit, rma)
    try:
        decision, fee_text = _decision_from(visit, form)
    except ValidationError:
        return render_return(visit, request, status=400,
                             errors={"decision": _decision_error(visit, "decision")})
    try:
        decided = decide_return(visit.deps, request.rma, decision, by=_by(visit), reason_for_decline=True)
    except ValidationError as error:
        field = error.fields[0] if error.fields else "decision"
        return _confirm_decision(visit, request, decision, fee_text, status=400,
                                 errors={field: _decision_error(visit, field, error)})
    except ConflictError as error:
        return _conflict(visit, rma, error)
    return _back(visit, decided, "approved" if decision.action == APPROVE else "countered")


@console_view(console_pages, "/console/returns/{rma}/deny", permission=Permission.DECIDE, methods=["POST"],
              content_types=FORM)
def post_deny(visit: ConsoleVisit, rma: str) -> Response:
    """Decline the exception; the note is emailed to the shopper. No money moves."""
    form = visit.form()
    request = _read(visit, rma)
    note = form.get("note", "")
    try:
        decided = decide_return(visit.deps, request.rma, Decision(REJECT, note=note), by=_by(visit),
                                reason_for_decline=True)
    except ValidationError as error:
        return render_return(visit, request, status=400,
                             errors={"deny_note": _decision_error(visit, "note", error)},
                             values={"deny_note": note})
    except ConflictError as error:
        return _conflict(visit, rma, error)
    return _back(visit, decided, "rejected")


@console_view(console_pages, "/console/returns/{rma}/approval-email", permission=Permission.DECIDE,
              methods=["POST"], content_types=FORM)
def post_resend_approval(visit: ConsoleVisit, rma: str) -> Response:
    """Email the store's approval address a fresh link (the reminder job's email, at once)."""
    request = _read(visit, rma)
    try:
        resend_approval_email(visit.deps, request.rma, actor=visit.actor, source_ip=visit.address)
    except ConflictError as error:
        return _conflict(visit, rma, error)
    return _back(visit, request, "resent")


@console_view(console_pages, "/console/returns/{rma}/notes", permission=Permission.DECIDE, methods=["POST"],
              content_types=FORM)
def post_note(visit: ConsoleVisit, rma: str) -> Response:
    """An internal note on the timeline, for staff only."""
    form = visit.form()
    request = _read(visit, rma)
    text = form.get("note", "")
    try:
        add_internal_note(visit.deps, request.rma, text, actor=visit.actor, source_ip=visit.address)
    except ValidationError:
        return render_return(visit, request, status=400, values={"note": text}, errors={
            "note": visit._("Write a note of 1 to %(count)s characters.", count=MAX_NOTE)})
    return _back(visit, request, "noted")


# --- receive ---------------------------------------------------------------------------------

@console_view(console_pages, "/console/returns/{rma}/receive", permission=Permission.RECEIVE, methods=["POST"],
              content_types=FORM)
def post_receive(visit: ConsoleVisit, rma: str) -> Response:
    """The parcel arrived: each line's units and condition (fewer units: only they are paid)."""
    form = visit.form()
    request = _read(visit, rma)
    if request.parcel_received:
        return render_return(visit, request, status=409,
                             problem=visit._("This parcel was already received, so nothing was changed."))
    lines, errors = read_receipt(visit, request, form)
    if errors:
        return render_return(visit, request, status=400, errors=errors, values=form)
    try:
        received = receive_return(visit.deps, request.rma, received_by=visit.actor, received=lines,
                                  source_ip=visit.address)
    except ConflictError as error:
        return _conflict(visit, rma, error)
    return _back(visit, received, "received")


# --- money after the receipt -----------------------------------------------------------------

def _confirm_money(visit: ConsoleVisit, request: ReturnRequest, kind: str) -> Response:
    order = visit.deps.orders.get(request.order_number)
    amount = request.quote.refund_value if kind == "retry" else request.quote.total
    title = visit._("Retry the refund") if kind == "retry" else visit._("Pay as store credit")
    return visit.page(
        "return_confirm.html", ret=request, kind=kind, title=title, amount=amount, terms=request.quote,
        rows=money_rows(visit, request, order), rma_path=quoted(request.rma), errors={},
        action_path=f"/console/returns/{quoted(request.rma)}/{'retry-refund' if kind == 'retry' else 'credit'}",
    )


@console_view(console_pages, "/console/returns/{rma}/retry-refund", permission=Permission.RETRY_REFUNDS,
              methods=["GET"])
def review_retry(visit: ConsoleVisit, rma: str) -> Response:
    """What a retried refund pays, before it is queued; changes nothing."""
    request = _read(visit, rma)
    if request.status != "refund_failed":
        return _conflict(visit, rma, ConflictError("not failed", code="invalid_transition"))
    return _confirm_money(visit, request, "retry")


@console_view(console_pages, "/console/returns/{rma}/retry-refund", permission=Permission.RETRY_REFUNDS,
              methods=["POST"], content_types=FORM)
def post_retry(visit: ConsoleVisit, rma: str) -> Response:
    request = _read(visit, rma)
    try:
        retried = retry_refund(visit.deps, request.rma, actor=visit.actor, source_ip=visit.address)
    except ConflictError as error:
        return _conflict(visit, rma, error)
    return _back(visit, retried, "retried")


@console_view(console_pages, "/console/returns/{rma}/credit", permission=Permission.RETRY_REFUNDS,
              methods=["GET"])
def review_credit(visit: ConsoleVisit, rma: str) -> Response:
    """What paying as store credit gives the shopper, before it is paid; changes nothing."""
    request = _read(visit, rma)
    if request.status not in ("refund_failed", "received"):
        return _conflict(visit, rma, ConflictError("not payable", code="invalid_transition"))
    return _confirm_money(visit, request, "credit")


@console_view(console_pages, "/console/returns/{rma}/credit", permission=Permission.RETRY_REFUNDS,
              methods=["POST"], content_types=FORM)
def post_credit(visit: ConsoleVisit, rma: str) -> Response:
    request = _read(visit, rma)
    try:
        credited = credit_instead(visit.deps, request, actor=visit.actor, source_ip=visit.address)
    except ConflictError as error:
        return _conflict(visit, rma, error)
    if credited.status != "credited" or credited.events[-1].actor != visit.actor:
        # Someone (or the refund job) moved it first: what they did stands.
        return _conflict(visit, rma, ConflictError("moved meanwhile", code="invalid_transition"))
    return _back(visit, credited, "credited")
