"""A return (RMA): what the shopper sends back, what they get, its status and its timeline.

The status moves only through the explicit methods below, each of which records who moved it
and when as a new event; the repository saves every move with one conditional write on
`version`, so of two concurrent actors exactly one wins.

    pending_approval -> approved | rejected
    approved -> received -> refunding -> refunded | credited
    pending_approval | approved -> cancelled (by the shopper, before the parcel is sent)
    approved -> expired (not shipped in time)
    pending_approval -> offered (the merchant's counter-offer: store credit only, or minus a fee)
    offered -> approved (the shopper accepts: the offer becomes the quote) | cancelled (the
        shopper declines: nothing is paid, the units are freed) | expired (left unanswered)
    refunding -> refund_failed (visible to the merchant, retryable)
    approved -> refunding | credited (the policy's refund_trigger "on_approval")
    refund_failed -> refunding (a retry, with a new attempt and key) | credited

Exchanges (resolution "exchange", domain/exchange.py):

    awaiting_payment -> pending_approval | approved (the shopper paid a dearer exchange's
        difference) | cancelled | expired (not paid in time: the promised stock goes back)
    received -> exchanged (the replacement order exists and nothing is owed back) |
        refunding -> exchanged (a cheaper exchange's difference was refunded)

The replacement order is made (an `exchange_created` entry, the status stays) when the policy's
`exchange_trigger` is met: on approval, or on receipt. If its stock ran out by then, an
`exchange_unavailable` entry turns the return into the policy's `exchange_out_of_stock`
resolution (refund or store credit) and it goes on as one.

Staff-only entries (an internal note, a retry asked for, an approval email sent again) join the
timeline without moving the status: INTERNAL_KINDS, never shown to the shopper, and not counted
as a move (`status_changed_at`, `decision_version`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Final

from .errors import ConflictError, ValidationError
from .money import Money
from .notes import MAX_NOTE
from .order import ORIGINAL_SHIPPING, Order
from .quote import Quote, Selection
from .reservations import CountReturned, Release, Reserve, StockFulfil, StockRelease, StockReserve
from .timestamps import utc_timestamp


class ReturnStatus(StrEnum):
    """Where a return stands. A StrEnum: stored, sent as JSON and compared as its plain value."""

    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    RECEIVED = "received"
    REFUNDING = "refunding"
    REFUNDED = "refunded"
    CREDITED = "credited"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUND_FAILED = "refund_failed"
    # The merchant's counter-offer waits for the shopper's answer (issue 18, item 5).
    OFFERED = "offered"
    # A dearer exchange waits for the shopper to pay the price difference (issue 19).
    AWAITING_PAYMENT = "awaiting_payment"
    # The exchange is done: replacement order made, parcel received, any difference refunded.
    EXCHANGED = "exchanged"


class EventKind(StrEnum):
    """What one entry of a return's timeline records (its `kind`, stored as the plain value)."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    RECEIVED = "received"
    REFUND_STARTED = "refund_started"
    REFUND_HELD = "refund_held"
    REFUND_RESUMED = "refund_resumed"
    REFUNDED = "refunded"
    REFUND_FAILED = "refund_failed"
    CREDITED = "credited"
    OFFERED = "offered"
    OFFER_ACCEPTED = "offer_accepted"
    OFFER_DECLINED = "offer_declined"
    # Staff-only entries (INTERNAL_KINDS): the status stays.
    NOTE = "note"
    REFUND_RETRY_REQUESTED = "refund_retry_requested"
    APPROVAL_EMAIL_RESENT = "approval_email_resent"
    # The shopper was reminded to send the parcel before its send-by date (domain/send_by.py):
    # shown to the shopper, but not a move (the status and the time it entered it stay).
    SHIP_REMINDER_SENT = "ship_reminder_sent"
    # Exchanges (issue 19).
    PAYMENT_RECEIVED = "payment_received"
    EXCHANGE_CREATED = "exchange_created"
    EXCHANGE_UNAVAILABLE = "exchange_unavailable"
    EXCHANGED = "exchanged"
    DIFFERENCE_REFUNDED = "difference_refunded"
    # The refund worker claimed a paid difference's refund (one conditional write: one worker pays).
    DIFFERENCE_REFUND_STARTED = "difference_refund_started"
    # Stripe refused to pay a difference back (its reason in the detail): the store is told once.
    DIFFERENCE_REFUND_REFUSED = "difference_refund_refused"


# The store's own entries: never on the shopper's page or API, and not a move of the return.
INTERNAL_KINDS: frozenset[EventKind] = frozenset({
    EventKind.NOTE, EventKind.REFUND_RETRY_REQUESTED, EventKind.APPROVAL_EMAIL_RESENT,
    EventKind.DIFFERENCE_REFUND_STARTED, EventKind.DIFFERENCE_REFUND_REFUSED,
})
# Entries that record something without moving the status: the internal ones, and reminders.
NOT_MOVES: frozenset[EventKind] = INTERNAL_KINDS | {
    EventKind.SHIP_REMINDER_SENT, EventKind.EXCHANGE_CREATED, EventKind.EXCHANGE_UNAVAILABLE,
    EventKind.DIFFERENCE_REFUNDED, EventKind.DIFFERENCE_REFUND_STARTED, EventKind.DIFFERENCE_REFUND_REFUSED,
}


class Condition(StrEnum):
    """What the warehouse found of one line's units when the parcel was opened."""

    AS_DESCRIBED = "as_described"
    DAMAGED = "damaged"
    NOT_AS_DESCRIBED = "not_as_described"
    # None of the line's units were in the parcel.
    MISSING = "missing"


# The statuses by their short names, as the rules below read them.
PENDING_APPROVAL: Final = ReturnStatus.PENDING_APPROVAL
APPROVED: Final = ReturnStatus.APPROVED
REJECTED: Final = ReturnStatus.REJECTED
RECEIVED: Final = ReturnStatus.RECEIVED
REFUNDING: Final = ReturnStatus.REFUNDING
REFUNDED: Final = ReturnStatus.REFUNDED
CREDITED: Final = ReturnStatus.CREDITED
CANCELLED: Final = ReturnStatus.CANCELLED
EXPIRED: Final = ReturnStatus.EXPIRED
REFUND_FAILED: Final = ReturnStatus.REFUND_FAILED
OFFERED: Final = ReturnStatus.OFFERED
AWAITING_PAYMENT: Final = ReturnStatus.AWAITING_PAYMENT
EXCHANGED: Final = ReturnStatus.EXCHANGED

STATUSES: tuple[ReturnStatus, ...] = tuple(ReturnStatus)
# Units of a return in these statuses are back on the shelf: they may be returned again.
RELEASED_STATUSES: tuple[ReturnStatus, ...] = (REJECTED, CANCELLED, EXPIRED)
# Still waiting for the parcel (units reserved, not yet returned).
OPEN_STATUSES: tuple[ReturnStatus, ...] = (PENDING_APPROVAL, APPROVED, OFFERED, AWAITING_PAYMENT)
# The parcel arrived: its units count as returned.
RETURNED_STATUSES: tuple[ReturnStatus, ...] = (RECEIVED, REFUNDING, REFUNDED, CREDITED, REFUND_FAILED, EXCHANGED)
# The shopper may still change their mind: nothing has reached the store and no money has moved.
CANCELLABLE_STATUSES: tuple[ReturnStatus, ...] = (PENDING_APPROVAL, APPROVED, OFFERED, AWAITING_PAYMENT)
# Why a return can't be cancelled any more, by status (`NotCancellableError.why`).
_TOO_LATE = {
    RECEIVED: "received", REFUNDING: "paid", REFUNDED: "paid", CREDITED: "paid", REFUND_FAILED: "paid",
    REJECTED: "closed", EXPIRED: "closed", CANCELLED: "cancelled", EXCHANGED: "received",
}
_TOO_LATE_MESSAGES = {
    "received": "The store has already received the parcel of this return, so it can't be cancelled.",
    "paid": "The money of this return is already on its way back, so it can't be cancelled.",
    "closed": "This return is already closed, so there is nothing to cancel.",
    "cancelled": "This return is already cancelled.",
    "exchange_made": "The replacement order of this exchange is already made, so it can't be cancelled.",
}

SHOPPER: Final = "shopper"
# Closed before their parcel came (by the shopper, or by the clock): a label printed for one is
# void, and its parcel is not expected at the warehouse.
VOID_STATUSES: tuple[ReturnStatus, ...] = (CANCELLED, EXPIRED)
# A lost race for the same units: the shopper's next look shows what is left.
UNITS_TAKEN_MESSAGE: Final = (
    "Some of these items were just included in another return. Look the order up again to see "
    "what can still be returned."
)

# A receipt's event detail when the money went before the parcel (the status it kept).
_PAID_KINDS = frozenset({REFUNDING, REFUNDED, CREDITED, REFUND_FAILED})
# The moves into a released status: the events that give a return's units back.
_RELEASING_KINDS = frozenset({EventKind.REJECTED, EventKind.CANCELLED, EventKind.EXPIRED,
                              EventKind.OFFER_DECLINED})
# A merchant's words to the shopper: required with a counter-offer (and, on the pages where a
# person decides, with a decline); the same limit as every note.
MAX_MERCHANT_NOTE: Final = MAX_NOTE
# The moves that carry the merchant's decision (the shopper's "Message from the store").
DECIDING_KINDS = frozenset({EventKind.APPROVED, EventKind.REJECTED, EventKind.OFFERED})


# The moves after which an exchange's promised stock is no longer needed (it closed without it).
_STOCK_RELEASING_KINDS = _RELEASING_KINDS | {EventKind.EXCHANGE_UNAVAILABLE}


class OfferClosedError(ConflictError):
    """The counter-offer was already answered (or expired, or the return moved): nothing changed."""

    code = "offer_closed"


# Crockford's base32: no I, L, O or U, so an RMA read aloud or typed from paper survives.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_READS = {**{c: c for c in _CROCKFORD}, "O": "0", "I": "1", "L": "1"}
RMA_BITS: Final = 40


def rma_from_bits(bits: int) -> str:
    """`R-XXXX-XXXX` for 40 random bits (the caller draws them; the domain does no I/O)."""
    if type(bits) is not int or not 0 <= bits < 1 << RMA_BITS:
        raise ValueError(f"an RMA takes a {RMA_BITS}-bit non-negative integer")
    chars = "".join(_CROCKFORD[(bits >> shift) & 31] for shift in range(35, -1, -5))
    return f"R-{chars[:4]}-{chars[4:]}"


def normalize_rma(text: str) -> str | None:
    """The canonical RMA for what a person typed (any case, O for 0, I/L for 1), or None."""
    compact = text.strip().upper().replace("-", "").replace(" ", "")
    if len(compact) != 9 or not compact.startswith("R"):
        return None
    body = compact[1:]
    if any(c not in _CROCKFORD_READS for c in body):
        return None
    chars = "".join(_CROCKFORD_READS[c] for c in body)
    return f"R-{chars[:4]}-{chars[4:]}"


class NotCancellableError(ConflictError):
    """Too late to cancel: the parcel arrived, the money moved, or the return is closed.

    `why` says which (`received`, `paid`, `closed`, `cancelled`), so a page can say it in the
    shopper's language; the message says it in English for the API.
    """

    code = "not_cancellable"

    def __init__(self, rma: str, status: ReturnStatus, *, why: str | None = None) -> None:
        self.rma = rma
        self.status = status
        self.why = why or _TOO_LATE.get(status, "closed")
        super().__init__(_TOO_LATE_MESSAGES[self.why])


class RmaTakenError(ConflictError):
    """The drawn RMA already names a return (40 random bits: practically never); draw again."""

    code = "rma_taken"


@dataclass(frozen=True, slots=True)
class ReturnLine:
    """Units of one order line in a return, the shopper's reason and note."""

    line_id: str
    quantity: int
    reason: str
    note: str = ""
    # The order line's product (reports by SKU); "" for a return stored before it was kept.
    sku: str = ""
    # An exchange's line: the catalog product of the line and the variant sent instead.
    product_id: str = ""
    exchange_for: str = ""


@dataclass(frozen=True, slots=True)
class ReceivedLine:
    """What arrived of one line: how many of its units, and in what condition."""

    line_id: str
    units: int
    condition: Condition


@dataclass(frozen=True, slots=True)
class ReturnEvent:
    """One entry of a return's timeline: when, what kind, who, and a short detail."""

    at: datetime
    kind: EventKind
    actor: str
    detail: str = ""
    # Where a merchant's decision came from (client address, user agent): the audit trail.
    source_ip: str = ""
    user_agent: str = ""
    # A receipt's lines as the warehouse found them (empty: everything arrived as described).
    received: tuple[ReceivedLine, ...] = ()
    # The merchant's words to the shopper with a decision or an offer (shown to them as such).
    note: str = ""


@dataclass(frozen=True, slots=True)
class ExchangeOrderLine:
    """One replacement: `quantity` units of variant `sku` for the return's line `line_id`."""

    line_id: str
    sku: str
    quantity: int
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ExchangeOrder:
    """The replacement order an exchange makes for the store to ship (`X-` + the RMA's body)."""

    number: str
    created_at: datetime
    lines: tuple[ExchangeOrderLine, ...]


def exchange_order_number(rma: str) -> str:
    """The replacement order's number: the RMA's, so one return can never make two."""
    return "X-" + rma.removeprefix("R-")


def rma_of_exchange_order(number: str) -> str | None:
    """The RMA whose replacement order `number` is (as typed: any case, with its `X-`), or None."""
    compact = number.strip().upper()
    if not compact.startswith("X-"):
        return None
    return normalize_rma("R-" + compact[2:])


@dataclass(frozen=True, slots=True)
class DifferencePayment:
    """The price difference a dearer exchange asks the shopper to pay (Stripe PaymentIntent).

    `then`: the status the return takes once paid (approved, or pending_approval when it needs
    the store's approval). `status`: requires_payment -> succeeded -> refunding (claimed by the refund worker) -> refunded (paid back because
    the exchange did not happen).
    """

    amount: Money
    then: ReturnStatus
    payment_intent: str = ""
    status: str = "requires_payment"
    refund_id: str = ""
    # What went back (all of it, or the part paid for replacements never sent); None: nothing.
    refunded: Money | None = None


def payment_idempotency_key(rma: str) -> str:
    """The key of the PaymentIntent for a return's price difference: one per return."""
    return f"exchange-difference-{rma}"


def difference_refund_idempotency_key(rma: str, claim: int) -> str:
    """The key of the refund of a paid difference whose exchange did not happen, per claim: a
    retry of one claim replays its answer, a later claim (after a refusal) really asks again.
    A refund an earlier claim made is found on Stripe before any later one pays (never twice)."""
    return f"exchange-difference-refund-{rma}-{claim}"


@dataclass(frozen=True, slots=True)
class RefundAttempt:
    """One try at paying a return back through Stripe; a retry after a failure is a new attempt."""

    attempt: int
    amount: Money
    idempotency_key: str
    refund_id: str | None = None
    failure_reason: str | None = None


def refund_idempotency_key(rma: str, attempt: int) -> str:
    """Our Stripe idempotency key: derived from our ids, so a Lambda retry reuses it."""
    return f"refund-{rma}-{attempt}"


@dataclass(frozen=True, slots=True)
class Milestones:
    """When a return passed the steps its SLA times measure (reports); None: not (yet) passed.

    Derived from the timeline, and stored on the return item with every write, so a listing that
    reads no events still has them.
    """

    # The request waited for the merchant (an exception).
    needed_approval: bool
    # An exception's approval or rejection (None for a return approved at once).
    decided_at: datetime | None
    # The parcel's arrival at the warehouse.
    received_at: datetime | None
    # The money back: refunded or credited (the latest, after a failed refund was retried).
    paid_at: datetime | None

    @classmethod
    def of(cls, events: tuple[ReturnEvent, ...]) -> Milestones:
        needed = bool(events) and events[0].kind == EventKind.REQUESTED and (
            events[0].detail == PENDING_APPROVAL
            # A dearer exchange waited for its payment first, then for the store.
            or any(e.kind == EventKind.PAYMENT_RECEIVED and e.detail == PENDING_APPROVAL for e in events))

        def first(*kinds: EventKind) -> datetime | None:
            return next((e.at for e in events if e.kind in kinds), None)

        paid = [e.at for e in events if e.kind in (EventKind.REFUNDED, EventKind.CREDITED, EventKind.EXCHANGED)]
        return cls(needed_approval=needed, decided_at=first(EventKind.APPROVED, EventKind.REJECTED, EventKind.OFFERED),
                   received_at=first(EventKind.RECEIVED), paid_at=paid[-1] if paid else None)


@dataclass(frozen=True, slots=True)
class ReturnRequest:
    """A return and its audit trail; `version` counts its stored revisions (0: never stored)."""

    rma: str
    order_number: str
    customer_email: str
    locale: str
    status: ReturnStatus
    resolution: str
    lines: tuple[ReturnLine, ...]
    quote: Quote
    policy_version: int
    created_at: datetime
    events: tuple[ReturnEvent, ...]
    version: int = 0
    # The money leg (issue 7): what the current refund attempt pays, under which Stripe
    # idempotency key, and how it ended.
    refund: RefundAttempt | None = None
    # Read without its timeline (a listing): when its latest event happened, as stored.
    listed_changed_at: datetime | None = None
    # Read without its timeline: its milestones as stored (None: stored before they were).
    listed_milestones: Milestones | None = None
    # shipping: this return pays back the order's original shipping, so holds it on the order
    # (a reservation under ORIGINAL_SHIPPING) until it is paid or closes without its parcel.
    holds_original_shipping: bool = False
    # While `offered`: the merchant's counter-terms (the quote stays what the shopper asked for).
    offer: Quote | None = None
    # Exchanges: the replacement order once made, and a dearer exchange's price difference.
    exchange_order: ExchangeOrder | None = None
    payment: DifferencePayment | None = None

    @classmethod
    def request(
        cls,
        *,
        rma: str,
        order: Order,
        selections: tuple[Selection, ...],
        quote: Quote,
        needs_approval: bool,
        at: datetime,
        actor: str = SHOPPER,
        locale: str | None = None,
    ) -> ReturnRequest:
        """A new return: `approved` when every line is returnable, else `pending_approval`.

        `locale` is the language the shopper used to ask for it (every email about the return
        and its label speak it); None: the order's.
        """
        if not selections:
            raise ValidationError("choose at least one line to return", fields=("lines",))
        if at.tzinfo is None:
            raise ValidationError("a return's time must carry a time zone", fields=("at",))
        status = PENDING_APPROVAL if needs_approval else APPROVED
        skus = {line.id: line.sku for line in order.lines}
        products = {line.id: line.product_id for line in order.lines}
        swaps = {q.line_id: q.exchange_for for q in quote.lines}
        payment = None
        if quote.is_exchange and not quote.to_pay.is_zero():
            # A dearer exchange is confirmed only once its difference is paid.
            payment = DifferencePayment(amount=quote.to_pay, then=status)
            status = AWAITING_PAYMENT
        return cls(
            rma=rma,
            order_number=order.number,
            customer_email=order.customer_email,
            locale=locale or order.locale,
            status=status,
            resolution=quote.resolution,
            lines=tuple(ReturnLine(s.line_id, s.quantity, s.reason, s.note, skus.get(s.line_id, ""),
                                   products.get(s.line_id, "") if swaps.get(s.line_id) else "",
                                   swaps.get(s.line_id, ""))
                        for s in selections),
            quote=quote,
            policy_version=quote.policy_version,
            created_at=at,
            events=(ReturnEvent(at=at, kind=EventKind.REQUESTED, actor=actor, detail=status),),
            holds_original_shipping=not quote.shipping.is_zero(),
            payment=payment,
        )

    @property
    def status_changed_at(self) -> datetime:
        """When the status last moved (the latest event that set it).

        A return read without its timeline (listings) answers the time stored with it. Staff
        notes and other internal entries are not moves.
        """
        moves = self._moves
        if moves:
            return moves[-1].at
        return self.listed_changed_at or self.created_at

    @property
    def milestones(self) -> Milestones | None:
        """When it was decided, received and paid; None for a listed return stored without them."""
        if self.events:
            return Milestones.of(self.events)
        return self.listed_milestones

    @property
    def _moves(self) -> tuple[ReturnEvent, ...]:
        return tuple(e for e in self.events if e.kind not in NOT_MOVES)

    @property
    def shopper_events(self) -> tuple[ReturnEvent, ...]:
        """The timeline without the store's internal entries (what the shopper may see), in the
        order it was written (two entries of the same second keep their order)."""
        return tuple(e for e in self.events if e.kind not in INTERNAL_KINDS)

    @property
    def decision_version(self) -> int:
        """The version counting moves only: internal entries (one per save) leave it as it was,
        so a note does not outdate an approval link issued before it."""
        return self.version - sum(1 for e in self.events if e.kind in NOT_MOVES)

    @property
    def receipt(self) -> tuple[ReceivedLine, ...]:
        """The lines as the parcel's receipt recorded them (every unit as described when it
        recorded nothing, or before the parcel came: empty)."""
        event = next((e for e in self.events if e.kind == EventKind.RECEIVED), None)
        if event is None:
            return ()
        if event.received:
            return event.received
        return tuple(ReceivedLine(line.line_id, line.quantity, Condition.AS_DESCRIBED) for line in self.lines)

    @property
    def units(self) -> dict[str, int]:
        """Units per order line id held by this return."""
        return {line.line_id: line.quantity for line in self.lines}

    def reservations(self, line_quantities: Mapping[str, int]) -> tuple[Reserve, ...]:
        """What creating this return reserves: each chosen line's units, under the order's units.

        `line_quantities`: the order's units per line id. ConflictError (`units_already_requested`)
        when a line asks for more than the order holds: no reservation could ever take them.
        """
        for line in self.lines:
            if line.quantity > line_quantities.get(line.line_id, 0):
                raise ConflictError(UNITS_TAKEN_MESSAGE, code="units_already_requested")
        held = tuple(Reserve(line.line_id, line.quantity, line_quantities[line.line_id]) for line in self.lines)
        # The original shipping is one "unit": a second return cannot hold it too.
        return held + ((Reserve(ORIGINAL_SHIPPING, 1, 1),) if self.holds_original_shipping else ())

    def reservation_changes(self, *, new_events: int) -> tuple[CountReturned | Release, ...]:
        """What the moves behind its last `new_events` events do to its lines' reservations.

        The parcel's arrival counts the units as returned; closing without it (rejected,
        cancelled, expired) releases them, so they may be returned again. Written in the same
        transaction as the move.
        """
        changes: list[CountReturned | Release] = []
        for event in self.events[len(self.events) - new_events:] if new_events > 0 else ():
            if event.kind == EventKind.RECEIVED:
                arrived = {r.line_id: r.units for r in event.received}
                # Units that did not arrive go back (they may be returned again), unless the
                # money went before the parcel: then they count as returned, paid as they are.
                keep_all = event.detail in _PAID_KINDS
                changes.extend(
                    CountReturned(line.line_id, line.quantity) if keep_all or line.line_id not in arrived
                    else CountReturned(line.line_id, arrived[line.line_id], released=line.quantity - arrived[line.line_id])
                    for line in self.lines
                )
                if self.holds_original_shipping:
                    # A partial receipt pays no original shipping (Quote.received): a later
                    # return that completes the order may pay it.
                    partial = not keep_all and any(arrived.get(l.line_id, l.quantity) < l.quantity for l in self.lines)
                    changes.append(Release(ORIGINAL_SHIPPING, 1) if partial else CountReturned(ORIGINAL_SHIPPING, 1))
            elif event.kind in _RELEASING_KINDS:
                changes.extend(Release(line.line_id, line.quantity) for line in self.lines)
                if self.holds_original_shipping:
                    changes.append(Release(ORIGINAL_SHIPPING, 1))
        return tuple(changes)

    @property
    def is_exchange(self) -> bool:
        """True while the return is to be paid back with replacements (not after a fallback)."""
        return self.resolution == "exchange"

    def stock_reservations(self) -> tuple[StockReserve, ...]:
        """What creating this return promises of the catalog: each exchanged line's replacements."""
        return tuple(StockReserve(line.product_id, line.exchange_for, line.quantity)
                     for line in self.lines if line.exchange_for)

    def stock_changes(self, *, new_events: int) -> tuple[StockFulfil | StockRelease, ...]:
        """What the moves behind its last `new_events` events do to the stock it promised.

        The replacement order takes its units (and gives back any the parcel did not bring);
        closing without the exchange (rejected, cancelled, expired, declined, out of stock)
        gives every promised unit back. Written in the same transaction as the move.
        """
        if new_events <= 0 or not any(line.exchange_for for line in self.lines):
            return ()
        split = len(self.events) - new_events
        settled = (EventKind.EXCHANGE_CREATED, *_STOCK_RELEASING_KINDS)
        if any(e.kind in settled for e in self.events[:split]):
            return ()
        for event in self.events[split:]:
            if event.kind == EventKind.EXCHANGE_CREATED and self.exchange_order is not None:
                sent = {line.line_id: line.quantity for line in self.exchange_order.lines}
                changes: list[StockFulfil | StockRelease] = []
                for line in self.lines:
                    if not line.exchange_for:
                        continue
                    taken = min(sent.get(line.line_id, 0), line.quantity)
                    if taken:
                        changes.append(StockFulfil(line.product_id, line.exchange_for, taken))
                    if line.quantity - taken:
                        changes.append(StockRelease(line.product_id, line.exchange_for, line.quantity - taken))
                return tuple(changes)
            if event.kind in _STOCK_RELEASING_KINDS:
                return tuple(StockRelease(line.product_id, line.exchange_for, line.quantity)
                             for line in self.lines if line.exchange_for)
        return ()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def can_be_cancelled(self) -> bool:
        """True while the shopper may still cancel: waiting for the store, or approved and unsent."""
        # An exchange whose replacement order is made: the store may have shipped it already.
        return self.status in CANCELLABLE_STATUSES and not self.parcel_received and self.exchange_order is None

    def cancel(self, *, at: datetime, actor: str = SHOPPER) -> ReturnRequest:
        """The shopper changed their mind before sending: pending_approval | approved -> cancelled.

        NotCancellableError (saying why) once the parcel arrived, the money moved or the return
        is closed. Cancelled is a released status: the repository gives the units back.
        """
        if not self.can_be_cancelled:
            made = self.exchange_order is not None and self.status in CANCELLABLE_STATUSES
            raise NotCancellableError(self.rma, self.status, why="exchange_made" if made else None)
        return self._move(CANCELLABLE_STATUSES, CANCELLED, at=at, actor=actor, kind=EventKind.CANCELLED)

    def expire(self, *, at: datetime, actor: str, ship_within_days: int | None = None) -> ReturnRequest:
        """The parcel did not arrive in time: approved -> expired.

        Only an approved return expires: one received, cancelled, decided or paid is refused
        (ConflictError `invalid_transition`). Expired is a released status: the repository gives
        the units back. `ship_within_days`, the policy's limit it missed, goes into the timeline.
        """
        detail = f"not shipped within {ship_within_days} days" if ship_within_days is not None else ""
        if self.status == OFFERED:
            return replace(self._move((OFFERED,), EXPIRED, at=at, actor=actor, kind=EventKind.EXPIRED,
                                      detail="offer not answered in time"), offer=None)
        if self.status == AWAITING_PAYMENT:
            return self._move((AWAITING_PAYMENT,), EXPIRED, at=at, actor=actor, kind=EventKind.EXPIRED,
                              detail="price difference not paid in time")
        return self._move((APPROVED,), EXPIRED, at=at, actor=actor, kind=EventKind.EXPIRED, detail=detail)

    def approve(
        self, *, at: datetime, actor: str, note: str = "", quote: Quote | None = None,
        source_ip: str = "", user_agent: str = "",
    ) -> ReturnRequest:
        """The merchant accepts an exception: pending_approval -> approved.

        `quote`: the merchant's counter-terms (store credit only, or minus a fee), priced by the
        caller; it replaces the quote and resolution the shopper asked for.
        """
        moved = self._move(
            (PENDING_APPROVAL,), APPROVED, at=at, actor=actor, kind=EventKind.APPROVED, detail=note,
            source_ip=source_ip, user_agent=user_agent, note=note,
        )
        if quote is None:
            return moved
        self._refuse_counter_terms_for_exchange()
        if quote.currency != self.quote.currency or {q.line_id for q in quote.lines} != set(self.units):
            raise ValidationError("counter-terms must price the same lines in the same currency",
                                  fields=("quote",))
        return replace(moved, quote=quote, resolution=quote.resolution)

    def reject(
        self, *, at: datetime, actor: str, note: str = "", source_ip: str = "", user_agent: str = "",
    ) -> ReturnRequest:
        """The merchant refuses an exception: pending_approval -> rejected."""
        return self._move(
            (PENDING_APPROVAL,), REJECTED, at=at, actor=actor, kind=EventKind.REJECTED, detail=note,
            source_ip=source_ip, user_agent=user_agent, note=note,
        )

    def make_offer(
        self, offer: Quote, *, at: datetime, actor: str, note: str, terms: str,
        source_ip: str = "", user_agent: str = "",
    ) -> ReturnRequest:
        """The merchant's counter-offer: pending_approval -> offered, waiting for the shopper.

        `offer`: the counter-terms, priced by the caller; `note`: why, in the merchant's words
        (required: an offer of less needs a reason); `terms`: the timeline's short description.
        """
        reason = note.strip()
        if not reason or len(reason) > MAX_MERCHANT_NOTE:
            raise ValidationError(f"a counter-offer needs a reason of 1 to {MAX_MERCHANT_NOTE} characters",
                                  fields=("note",))
        self._refuse_counter_terms_for_exchange()
        if offer.currency != self.quote.currency or {q.line_id for q in offer.lines} != set(self.units):
            raise ValidationError("counter-terms must price the same lines in the same currency",
                                  fields=("quote",))
        moved = self._move((PENDING_APPROVAL,), OFFERED, at=at, actor=actor, kind=EventKind.OFFERED,
                           detail=terms, source_ip=source_ip, user_agent=user_agent, note=reason)
        return replace(moved, offer=offer)

    def _refuse_counter_terms_for_exchange(self) -> None:
        # Counter-terms are money (store credit only, or minus a fee): an exchange is approved
        # or declined as asked, so its promised stock and any paid difference stay coherent.
        if self.is_exchange:
            raise ValidationError("an exchange can be approved or declined, not offered other terms",
                                  fields=("quote",))

    def accept_offer(self, *, at: datetime, actor: str = SHOPPER) -> ReturnRequest:
        """The shopper takes the counter-offer: offered -> approved on the offer's terms."""
        if self.status != OFFERED or self.offer is None:
            raise OfferClosedError(f"return {self.rma} has no open offer (it is {self.status})")
        moved = self._move((OFFERED,), APPROVED, at=at, actor=actor, kind=EventKind.OFFER_ACCEPTED)
        return replace(moved, quote=self.offer, resolution=self.offer.resolution, offer=None)

    def decline_offer(self, *, at: datetime, actor: str = SHOPPER) -> ReturnRequest:
        """The shopper turns the counter-offer down: offered -> cancelled, nothing paid, units freed."""
        if self.status != OFFERED:
            raise OfferClosedError(f"return {self.rma} has no open offer (it is {self.status})")
        return replace(self._move((OFFERED,), CANCELLED, at=at, actor=actor, kind=EventKind.OFFER_DECLINED),
                       offer=None)

    @property
    def offer_outcome(self) -> str:
        """How the counter-offer ended when it closed the return: "declined" (by the shopper),
        "expired" (left unanswered), else "" (no offer, or accepted)."""
        moves = self._moves
        if not moves or self.status not in (CANCELLED, EXPIRED):
            return ""
        before = moves[-2].kind if len(moves) > 1 else None
        if moves[-1].kind == EventKind.OFFER_DECLINED:
            return "declined"
        if moves[-1].kind == EventKind.EXPIRED and before == EventKind.OFFERED:
            return "expired"
        return ""

    @property
    def merchant_note(self) -> str:
        """The merchant's words with their latest decision or offer ("" when they wrote none)."""
        event = next((e for e in reversed(self.events) if e.kind in DECIDING_KINDS), None)
        # A job's decision (the approval timeout) is no one's words: the page says what happened.
        if event is None or event.actor.startswith("system:"):
            return ""
        return event.note

    @property
    def parcel_received(self) -> bool:
        """True once the warehouse recorded the parcel (whatever the money did before)."""
        return any(event.kind == EventKind.RECEIVED for event in self.events)

    def receive(self, *, at: datetime, actor: str, received: tuple[ReceivedLine, ...] = (),
                source_ip: str = "", user_agent: str = "") -> ReturnRequest:
        """The parcel arrived at the warehouse: approved -> received.

        `received`: each line as found (units and condition); empty, every unit arrived as
        described. Fewer units than asked for (a partial receipt) cut the quote to the units
        that arrived (`Quote.received`), so only they are paid; the missing ones go back to the
        order's line. Paid already (refund_trigger on_approval): the status stays, the quote
        too (the money went), and the timeline records the arrival, so its units count as
        returned.
        """
        lines = self._validated_receipt(received)
        if self.status in (REFUNDING, REFUNDED, CREDITED, REFUND_FAILED) and not self.parcel_received:
            return self._move((self.status,), self.status, at=at, actor=actor, kind=EventKind.RECEIVED,
                              detail=self.status, received=lines, source_ip=source_ip, user_agent=user_agent)
        moved = self._move((APPROVED,), RECEIVED, at=at, actor=actor, kind=EventKind.RECEIVED,
                           received=lines, source_ip=source_ip, user_agent=user_agent)
        if not lines:
            return moved
        paid = self.quote.received({r.line_id: r.units for r in lines})
        return replace(moved, quote=paid)

    def _validated_receipt(self, received: tuple[ReceivedLine, ...]) -> tuple[ReceivedLine, ...]:
        """`received` in the return's line order; ValidationError naming each bad line."""
        if not received:
            return ()
        by_line = {r.line_id: r for r in received}
        problems: list[str] = []
        if len(by_line) != len(received) or set(by_line) != set(self.units):
            raise ValidationError("a receipt names each line of the return once", fields=("received",))
        for line in self.lines:
            found = by_line[line.line_id]
            if type(found.units) is not int or not 0 <= found.units <= line.quantity:
                problems.append(f"received.{line.line_id}.units")
            elif (found.units == 0) != (found.condition == Condition.MISSING):
                # Missing means none arrived; none arriving means missing.
                problems.append(f"received.{line.line_id}.condition")
        if problems:
            raise ValidationError("check the units and condition of each line", fields=tuple(problems))
        if all(by_line[line.line_id].units == 0 for line in self.lines):
            raise ValidationError("nothing of this return arrived: a receipt needs at least one unit",
                                  fields=("received",))
        return tuple(by_line[line.line_id] for line in self.lines)

    def add_note(self, text: str, *, at: datetime, actor: str, source_ip: str = "",
                 user_agent: str = "") -> ReturnRequest:
        """A staff member's internal note: any status, the status stays, never shown to the shopper."""
        note = text.strip()
        if not note or len(note) > MAX_NOTE:
            raise ValidationError(f"a note is 1 to {MAX_NOTE} characters", fields=("note",))
        return self._record(EventKind.NOTE, note, at=at, actor=actor, source_ip=source_ip, user_agent=user_agent)

    def request_refund_retry(self, *, at: datetime, actor: str, source_ip: str = "",
                             user_agent: str = "") -> ReturnRequest:
        """Staff asked for a failed refund to be tried again (the job makes the next attempt)."""
        return self._move((REFUND_FAILED,), REFUND_FAILED, at=at, actor=actor, kind=EventKind.REFUND_RETRY_REQUESTED,
                          detail="retry", source_ip=source_ip, user_agent=user_agent)

    def record_approval_resent(self, *, at: datetime, actor: str, source_ip: str = "",
                               user_agent: str = "") -> ReturnRequest:
        """A fresh approval email went to the merchant at someone's request."""
        return self._move((PENDING_APPROVAL,), PENDING_APPROVAL, at=at, actor=actor,
                          kind=EventKind.APPROVAL_EMAIL_RESENT, detail="approval email sent",
                          source_ip=source_ip, user_agent=user_agent)

    def record_ship_reminder(self, *, at: datetime, actor: str, send_by: datetime) -> ReturnRequest:
        """The shopper was reminded to send the parcel by `send_by`: only while approved; the
        status and the time it entered it stay (not a move)."""
        if self.status != APPROVED:
            raise ConflictError(f"return {self.rma} is {self.status}; nothing to send",
                                code="invalid_transition")
        return self._record(EventKind.SHIP_REMINDER_SENT, f"send by {utc_timestamp(send_by)}",
                            at=at, actor=actor, source_ip="", user_agent="")

    # Exchanges (issue 19) -------------------------------------------------------------------

    def attach_payment_intent(self, payment_intent: str) -> ReturnRequest:
        """Remember the PaymentIntent made for the price difference (not a move)."""
        if self.status != AWAITING_PAYMENT or self.payment is None:
            raise ConflictError(f"return {self.rma} is {self.status}; nothing to pay", code="invalid_transition")
        if self.payment.payment_intent and self.payment.payment_intent != payment_intent:
            raise ConflictError(f"return {self.rma} already has a payment", code="invalid_transition")
        return replace(self, payment=replace(self.payment, payment_intent=payment_intent))

    def record_payment(self, payment_intent: str, amount: Money, *, at: datetime,
                       actor: str = "system:stripe") -> ReturnRequest:
        """The shopper paid the difference: awaiting_payment -> approved | pending_approval.

        Only the return's own PaymentIntent, for exactly the difference, confirms it.
        """
        if self.status != AWAITING_PAYMENT or self.payment is None:
            raise ConflictError(f"return {self.rma} is {self.status}; no payment is awaited",
                                code="invalid_transition")
        if payment_intent != self.payment.payment_intent or amount != self.payment.amount:
            raise ConflictError(f"payment {payment_intent} is not the difference of return {self.rma}",
                                code="payment_mismatch")
        moved = self._move((AWAITING_PAYMENT,), self.payment.then, at=at, actor=actor,
                           kind=EventKind.PAYMENT_RECEIVED, detail=self.payment.then)
        return replace(moved, payment=replace(self.payment, status="succeeded"))

    @property
    def exchange_due(self) -> bool:
        """True when the replacement order may be made now (the caller checks the trigger)."""
        return self.is_exchange and self.exchange_order is None and self.status in (APPROVED, RECEIVED)

    def create_exchange_order(self, lines: tuple[ExchangeOrderLine, ...], *, at: datetime,
                              actor: str) -> ReturnRequest:
        """The replacement order is made for the store to ship (the status stays).

        `lines`: what is sent, by line (after a partial receipt, only for the units that came).
        """
        if not self.exchange_due:
            raise ConflictError(f"return {self.rma} is {self.status}; no replacement order to make",
                                code="invalid_transition")
        swaps = {line.line_id: line for line in self.lines if line.exchange_for}
        if not lines or any(l.line_id not in swaps or l.sku != swaps[l.line_id].exchange_for
                            or not 0 < l.quantity <= swaps[l.line_id].quantity for l in lines):
            raise ValidationError("a replacement order sends the chosen variants of the return's lines",
                                  fields=("lines",))
        order = ExchangeOrder(number=exchange_order_number(self.rma), created_at=at, lines=lines)
        recorded = self._record(EventKind.EXCHANGE_CREATED, order.number, at=at, actor=actor,
                                source_ip="", user_agent="")
        return replace(recorded, exchange_order=order)

    def exchange_unavailable(self, fallback: Quote, *, at: datetime, actor: str) -> ReturnRequest:
        """The replacement's stock ran out before its order could be made: the return becomes
        the policy's fallback (`fallback`, a refund or store-credit quote priced by the caller).
        The promised stock goes back; a paid difference is owed back (`owes_difference_refund`)."""
        if not self.exchange_due:
            raise ConflictError(f"return {self.rma} is {self.status}; its exchange is settled",
                                code="invalid_transition")
        if fallback.is_exchange or fallback.currency != self.quote.currency:
            raise ValidationError("the fallback is a refund or store credit in the return's currency",
                                  fields=("quote",))
        recorded = self._record(EventKind.EXCHANGE_UNAVAILABLE, fallback.resolution, at=at, actor=actor,
                                source_ip="", user_agent="")
        return replace(recorded, quote=fallback, resolution=fallback.resolution)

    @property
    def exchange_fell_through(self) -> bool:
        """True when the stock ran out and the return was paid back another way."""
        return any(e.kind == EventKind.EXCHANGE_UNAVAILABLE for e in self.events)

    def mark_exchanged(self, *, at: datetime, actor: str) -> ReturnRequest:
        """Done: the replacement order exists, the parcel came and nothing is owed back."""
        if not self.is_exchange or self.exchange_order is None or self.quote.total.minor > 0:
            raise ConflictError(f"return {self.rma} can't be marked exchanged yet", code="invalid_transition")
        return self._move((RECEIVED,), EXCHANGED, at=at, actor=actor, kind=EventKind.EXCHANGED)

    @property
    def owes_difference_refund(self) -> bool:
        """True when (part of) a paid difference must go back (`difference_owed_back`)."""
        return self.difference_owed_back.minor > 0

    @property
    def difference_owed_back(self) -> Money:
        """What of the paid difference goes back to the shopper: all of it when the exchange will
        not happen (closed, or the stock ran out); after a partial parcel, the part paid for the
        replacements its order does not send; else nothing.

        A replacement order made before the parcel (under on_approval) for more units than then
        came was paid for whole: if the return expires, or part of the parcel is missing, the
        store decides; nothing goes back on its own.
        """
        payment = self.payment
        if payment is None:
            return Money.zero(self.quote.currency)
        none = Money.zero(payment.amount.currency)
        if payment.status not in ("succeeded", "refunding"):
            return none
        made = self.exchange_order
        if made is None:
            return payment.amount if self.status in RELEASED_STATUSES or self.exchange_fell_through else none
        sent = sum(line.quantity for line in made.lines)
        kept = sum(line.quantity for line in self.quote.lines if line.replacement is not None)
        if sent != kept:
            return none  # sent before the parcel, for more units than came
        # The quote as received: what the shopper still pays for what is sent (its negative total).
        still_due = max(-self.quote.total.minor, 0)
        return Money(max(payment.amount.minor - still_due, 0), payment.amount.currency)

    def record_late_payment(self, payment_intent: str, amount: Money, *, at: datetime,
                            actor: str = "system:stripe") -> ReturnRequest:
        """The difference was paid after the return closed unpaid (a card payment still being
        processed when it was cancelled or expired): recorded (the status stays), so the return
        now owes it back."""
        if self.status not in RELEASED_STATUSES or self.payment is None or self.payment.status != "requires_payment":
            raise ConflictError(f"return {self.rma} is {self.status}; no late payment can be recorded",
                                code="invalid_transition")
        if payment_intent != self.payment.payment_intent or amount != self.payment.amount:
            raise ConflictError(f"payment {payment_intent} is not the difference of return {self.rma}",
                                code="payment_mismatch")
        recorded = self._record(EventKind.PAYMENT_RECEIVED, "late", at=at, actor=actor, source_ip="", user_agent="")
        return replace(recorded, payment=replace(self.payment, status="succeeded"))

    @property
    def payment_lapsed(self) -> bool:
        """True when a dearer exchange expired because its price difference was never paid
        (nothing was charged, no parcel was ever due)."""
        return self.status == EXPIRED and self.payment is not None and self.payment.status == "requires_payment"

    @property
    def difference_refund_claims(self) -> int:
        """How often a worker claimed the difference's refund (the current claim's number)."""
        return sum(1 for e in self.events if e.kind == EventKind.DIFFERENCE_REFUND_STARTED)

    @property
    def difference_refund_started_at(self) -> datetime | None:
        """When a worker last claimed the difference's refund (None: not claimed, or done)."""
        if self.payment is None or self.payment.status != "refunding":
            return None
        return max((e.at for e in self.events if e.kind == EventKind.DIFFERENCE_REFUND_STARTED), default=None)

    def start_difference_refund(self, *, at: datetime, actor: str) -> ReturnRequest:
        """A worker claims the refund of a paid difference (again, when it was left unanswered);
        the conditional save of this claim lets exactly one worker call the provider."""
        if not self.owes_difference_refund or self.payment is None:
            raise ConflictError(f"return {self.rma} owes no difference", code="invalid_transition")
        owed = self.difference_owed_back
        recorded = self._record(EventKind.DIFFERENCE_REFUND_STARTED, f"{owed.minor} {owed.currency}",
                                at=at, actor=actor, source_ip="", user_agent="")
        return replace(recorded, payment=replace(self.payment, status="refunding"))

    def record_difference_refund_refused(self, reason: str, *, at: datetime, actor: str) -> ReturnRequest:
        """Stripe refused the claimed refund of the paid difference (the claim stays: a later one
        tries again)."""
        if self.payment is None or self.payment.status != "refunding":
            raise ConflictError(f"return {self.rma} is not paying a difference back", code="invalid_transition")
        return self._record(EventKind.DIFFERENCE_REFUND_REFUSED, reason, at=at, actor=actor,
                            source_ip="", user_agent="")

    @property
    def difference_refund_refusal(self) -> str | None:
        """Stripe's reason for refusing the difference's refund, while it is still owed (None:
        never refused, or paid back since)."""
        if self.payment is None or self.payment.status != "refunding":
            return None
        refused = [e for e in self.events if e.kind == EventKind.DIFFERENCE_REFUND_REFUSED]
        return refused[-1].detail if refused else None

    def record_difference_refunded(self, refund_id: str, *, at: datetime, actor: str) -> ReturnRequest:
        """The paid difference went back to the shopper (the status stays)."""
        if not self.owes_difference_refund or self.payment is None:
            raise ConflictError(f"return {self.rma} owes no difference", code="invalid_transition")
        recorded = self._record(EventKind.DIFFERENCE_REFUNDED, refund_id, at=at, actor=actor,
                                source_ip="", user_agent="")
        return replace(recorded, payment=replace(self.payment, status="refunded", refund_id=refund_id,
                                                 refunded=self.difference_owed_back))

    def _record(self, kind: EventKind, detail: str, *, at: datetime, actor: str, source_ip: str,
                user_agent: str) -> ReturnRequest:
        event = ReturnEvent(at=at, kind=kind, actor=actor, detail=detail, source_ip=source_ip,
                            user_agent=user_agent)
        return replace(self, events=(*self.events, event))

    def start_refund(self, amount: Money, *, at: datetime, actor: str) -> ReturnRequest:
        """Money is about to leave: -> refunding, with the amount and the attempt's key.

        From received (on receipt), approved (on approval) or refund_failed (a retry: the next
        attempt, with a new key, since Stripe would replay the failure under the old one).
        """
        if amount.is_negative() or amount.is_zero() or amount.currency != self.quote.currency:
            raise ValidationError(
                f"a refund needs a positive {self.quote.currency} amount", fields=("amount",)
            )
        attempt = (self.refund.attempt if self.refund is not None else 0) + 1
        moved = self._move(
            (RECEIVED, APPROVED, REFUND_FAILED), REFUNDING, at=at, actor=actor,
            kind=EventKind.REFUND_STARTED, detail=f"{amount.minor} {amount.currency}",
        )
        key = refund_idempotency_key(self.rma, attempt)
        return replace(moved, refund=RefundAttempt(attempt=attempt, amount=amount, idempotency_key=key))

    def hold_refund(self, reason: str, *, at: datetime, actor: str) -> ReturnRequest:
        """The money can't leave yet (the charge is disputed): the status stays, the timeline says why."""
        return self._move(
            (RECEIVED, APPROVED, REFUND_FAILED), self.status, at=at, actor=actor, kind=EventKind.REFUND_HELD, detail=reason,
        )

    @property
    def cancelled_by_shopper(self) -> bool:
        """True when the shopper cancelled this return (not a decision anyone else made)."""
        return self.status == CANCELLED and any(
            event.kind in (EventKind.CANCELLED, EventKind.OFFER_DECLINED) and event.actor == SHOPPER
            for event in self.events
        )

    @property
    def refund_is_held(self) -> bool:
        """True while the latest move is a hold: a job should take it up again when it lifts."""
        moves = self._moves
        return bool(moves) and moves[-1].kind == EventKind.REFUND_HELD

    def owns_refund(self, refund_id: str, *, attempt: int | None) -> bool:
        """Whether the provider's refund `refund_id`, made for `attempt`, is the current attempt's.

        Once the provider named the attempt's refund, only that id is; before (no answer yet),
        only a refund whose metadata names this attempt. A refund of an earlier attempt, late,
        repeated or out of order, is never the current one's.
        """
        if self.refund is None:
            return False
        if self.refund.refund_id is not None:
            return refund_id == self.refund.refund_id
        return attempt == self.refund.attempt

    def resume_refund(self, *, at: datetime, actor: str) -> ReturnRequest:
        """A job takes over a refund left in refunding (same attempt, same key)."""
        return self._move((REFUNDING,), REFUNDING, at=at, actor=actor, kind=EventKind.REFUND_RESUMED)

    def mark_refunded(self, refund_id: str, *, at: datetime, actor: str) -> ReturnRequest:
        """Stripe accepted the refund: refunding -> refunded, with Stripe's refund id."""
        if self.refund is None:
            raise ConflictError(f"return {self.rma} has no refund under way", code="invalid_transition")
        # A cheaper exchange's difference was the last thing owed: the exchange is done.
        to = EXCHANGED if self.is_exchange and self.exchange_order is not None else REFUNDED
        moved = self._move((REFUNDING,), to, at=at, actor=actor, kind=EventKind.REFUNDED, detail=refund_id)
        return replace(moved, refund=replace(self.refund, refund_id=refund_id, failure_reason=None))

    def mark_refund_failed(self, reason: str, *, at: datetime, actor: str) -> ReturnRequest:
        """Stripe refused (or later failed) the refund: -> refund_failed with the reason."""
        if self.refund is None:
            raise ConflictError(f"return {self.rma} has no refund under way", code="invalid_transition")
        moved = self._move(
            (REFUNDING, REFUNDED, EXCHANGED), REFUND_FAILED, at=at, actor=actor, kind=EventKind.REFUND_FAILED, detail=reason,
        )
        return replace(moved, refund=replace(self.refund, failure_reason=reason))

    def credit(self, *, at: datetime, actor: str, source_ip: str = "", user_agent: str = "") -> ReturnRequest:
        """Paid as store credit (the quote's total, bonus included): -> credited."""
        return self._move(
            (RECEIVED, APPROVED, REFUND_FAILED), CREDITED, at=at, actor=actor, kind=EventKind.CREDITED,
            detail=f"{self.quote.total.minor} {self.quote.total.currency}", source_ip=source_ip,
            user_agent=user_agent,
        )

    def _move(
        self,
        allowed_from: tuple[ReturnStatus, ...],
        to: ReturnStatus,
        *,
        at: datetime,
        actor: str,
        kind: EventKind,
        detail: str = "",
        source_ip: str = "",
        user_agent: str = "",
        received: tuple[ReceivedLine, ...] = (),
        note: str = "",
    ) -> ReturnRequest:
        if self.status not in allowed_from:
            raise ConflictError(
                f"return {self.rma} is {self.status}; it can't become {to}",
                code="invalid_transition",
            )
        event = ReturnEvent(at=at, kind=kind, actor=actor, detail=detail or to,
                            source_ip=source_ip, user_agent=user_agent, received=received, note=note)
        return replace(self, status=to, events=(*self.events, event))

    def with_version(self, version: int) -> ReturnRequest:
        return replace(self, version=version)
