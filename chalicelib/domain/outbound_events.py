"""Outbound events for the store's systems (Standard Webhooks): which timeline entries become
which event, the stable id a receiver dedupes on, the payload, and the retry schedule.

Pure: the repository writes an event's outbox item in the very transaction of the move that
made it (adapters/dynamodb_returns.py), the relay fans it out to the endpoints subscribed, the
delivery worker signs and sends it (services/webhooks.py). docs/webhooks.md is the receiver's side.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from .errors import ValidationError
from .timestamps import utc_timestamp

RETURN_CREATED: Final = "return.created"
RETURN_APPROVED: Final = "return.approved"
RETURN_REJECTED: Final = "return.rejected"
RETURN_RECEIVED: Final = "return.received"
RETURN_REFUNDED: Final = "return.refunded"
RETURN_CREDITED: Final = "return.credited"
RETURN_CANCELLED: Final = "return.cancelled"
RETURN_EXPIRED: Final = "return.expired"
EXCHANGE_CREATED: Final = "exchange.created"

# Every type an endpoint may subscribe to, in the order the docs and the console list them.
EVENT_TYPES: Final[tuple[str, ...]] = (
    RETURN_CREATED, RETURN_APPROVED, RETURN_REJECTED, RETURN_RECEIVED, RETURN_REFUNDED,
    RETURN_CREDITED, RETURN_CANCELLED, RETURN_EXPIRED, EXCHANGE_CREATED,
)

# The one table from a timeline entry's kind (its stored value) to the event it sends. Kinds
# not here (notes, refund_started, offers made, reminders ...) send nothing. Keyed by the plain
# value, so `exchange_created` maps before its EventKind member exists.
EVENT_TYPE_BY_KIND: Final[Mapping[str, str]] = {
    "requested": RETURN_CREATED,
    "approved": RETURN_APPROVED,
    # The shopper accepting the merchant's counter-offer approves the return on its terms.
    "offer_accepted": RETURN_APPROVED,
    "rejected": RETURN_REJECTED,
    "received": RETURN_RECEIVED,
    "refunded": RETURN_REFUNDED,
    "credited": RETURN_CREDITED,
    "cancelled": RETURN_CANCELLED,
    # Declining the counter-offer ends the return as cancelled.
    "offer_declined": RETURN_CANCELLED,
    # Closed by the clock: no parcel in time, an offer or a price difference left unanswered.
    "expired": RETURN_EXPIRED,
    "exchange_created": EXCHANGE_CREATED,
    # A dearer exchange's difference paid back (cancelled, declined, or the replacement ran out).
    "difference_refunded": RETURN_REFUNDED,
}

# Outbox partitions: a few, so that a burst of moves is spread (the relay queries each).
OUTBOX_SHARDS: Final = 4

# Seconds to wait after each failed attempt before the next: exponential, capped by SQS's
# longest visibility timeout (12 h). After the last one the message goes to the dead-letter queue.
RETRY_DELAYS_SECONDS: Final[tuple[int, ...]] = (5, 30, 120, 600, 3600, 6 * 3600, 12 * 3600)
# Attempts in all: the first and one per delay (the queue's maxReceiveCount).
MAX_ATTEMPTS: Final = len(RETRY_DELAYS_SECONDS) + 1

# An endpoint's URL, at most (a longer one is refused, never cut).
MAX_URL_LENGTH: Final = 2000

# Delivery states, as stored and shown in the log.
PENDING: Final = "pending"
DELIVERED: Final = "delivered"
FAILED: Final = "failed"
# Not a stored state: what the worker reports of a delivery kept for a paused endpoint.
HELD: Final = "held"


def event_type_of(kind: str, detail: str = "") -> str | None:
    """The event a timeline entry of `kind` sends; None for an entry that sends nothing.

    A dearer exchange's payment approves it when the store need not (`detail`: the status it
    moved to); one that now waits for the store's approval sends nothing yet."""
    if str(kind) == "payment_received":
        return RETURN_APPROVED if detail == "approved" else None
    return EVENT_TYPE_BY_KIND.get(str(kind))


def message_id(rma: str, seq: int) -> str:
    """The event's `webhook-id`: from the RMA and the entry's place in the timeline, so the same
    move written twice can never make two ids (and the second write loses its condition)."""
    return f"msg_{rma}_{seq:04d}"


def outbox_shard(rma: str) -> int:
    """The outbox partition of a return's events (a stable hash, not Python's salted one)."""
    return zlib.crc32(rma.encode("utf-8")) % OUTBOX_SHARDS


def retry_delay(attempt: int) -> int | None:
    """Seconds before the next try after failed attempt number `attempt` (1 is the first);
    None when it was the last."""
    if attempt < 1:
        raise ValueError("attempts count from 1")
    if attempt > len(RETRY_DELAYS_SECONDS):
        return None
    return RETRY_DELAYS_SECONDS[attempt - 1]


def check_event_types(events: Iterable[object]) -> tuple[str, ...]:
    """The subscribed types, in the order of EVENT_TYPES; ValidationError for none or an unknown one."""
    chosen = list(events)
    unknown = [str(e) for e in chosen if not isinstance(e, str) or e not in EVENT_TYPES]
    if unknown:
        raise ValidationError(
            f"unknown event type {unknown[0][:60]!r}: choose from {', '.join(EVENT_TYPES)}",
            code="unknown_event_type", fields=("events",))
    if not chosen:
        raise ValidationError("choose at least one event type", code="no_event_types", fields=("events",))
    return tuple(e for e in EVENT_TYPES if e in chosen)


@dataclass(frozen=True, slots=True)
class OutboundEvent:
    """One event waiting in the outbox: its id, type, the moment it happened and its body."""

    message_id: str
    type: str
    at: datetime
    rma: str
    # The JSON body exactly as every endpoint receives it (signed byte for byte).
    body: str


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    """A store system that receives events: where, which types, and its signing secret."""

    endpoint_id: str
    url: str
    events: tuple[str, ...]
    secret: str
    created_at: datetime
    created_by: str = "admin"
    # Paused by staff since then: its deliveries are recorded and held, sent when it resumes.
    paused_at: datetime | None = None

    def wants(self, event_type: str) -> bool:
        return event_type in self.events

    @property
    def paused(self) -> bool:
        return self.paused_at is not None


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One try at sending a delivery: when, the HTTP status (None: no answer) or the error, how long."""

    at: datetime
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event for one endpoint, and every attempt at it (the delivery log)."""

    endpoint_id: str
    message_id: str
    type: str
    body: str
    created_at: datetime
    status: str = PENDING
    attempts: tuple[DeliveryAttempt, ...] = field(default=())
    replays: int = 0
    # Kept, unsent, since then, while its endpoint is paused (None: not held).
    held_at: datetime | None = None

    @property
    def held(self) -> bool:
        return self.held_at is not None


def event_payload(request: Any, event_type: str, at: datetime) -> dict[str, Any]:
    """The Standard Webhooks body `{"type", "timestamp", "data"}`: data is the return as the admin
    API shows it at that moment, kept small (docs/webhooks.md lists every field).

    `request` is a ReturnRequest (typed loosely: the return's module writes these events, so this
    one does not import it). An exchanged line names its replacement (`exchange_for`, as the
    shopper API takes it); `exchange.created` carries the replacement order to ship."""
    quote = request.quote
    by_line = {q.line_id: q for q in quote.lines}
    lines = []
    for line in request.lines:
        priced = by_line.get(line.line_id)
        entry: dict[str, Any] = {"line_id": line.line_id, "sku": line.sku, "quantity": line.quantity,
                                 "reason": line.reason, "total": priced.total.minor if priced else 0}
        if priced is not None and priced.exchange_for:
            entry["exchange_for"] = {"sku": priced.exchange_for}
        lines.append(entry)
    data: dict[str, Any] = {
        "rma": request.rma,
        "order_number": request.order_number,
        "status": str(request.status),
        "resolution": str(request.resolution),
        "amounts": quote.amounts(),
        "lines": lines,
        "created_at": utc_timestamp(request.created_at),
    }
    order = getattr(request, "exchange_order", None)
    if event_type == EXCHANGE_CREATED and order is not None:
        data["exchange"] = {
            "number": order.number,
            "created_at": utc_timestamp(order.created_at),
            "lines": [{"line_id": x.line_id, "sku": x.sku, "quantity": x.quantity,
                       "options": {name: value for name, value in x.options}} for x in order.lines],
        }
    return {"type": event_type, "timestamp": utc_timestamp(at), "data": data}


def outbound_events(request: Any, *, first_new: int) -> list[OutboundEvent]:
    """The events the timeline entries from `first_new` on send, in order (a ReturnRequest)."""
    found = []
    for seq, event in enumerate(request.events):
        if seq < first_new:
            continue
        sends = [(event_type_of(event.kind, event.detail), message_id(request.rma, seq))]
        if str(event.kind) == "requested" and event.detail == "approved":
            # Approved by the policy as it was made: the store hears of the approval as well, under
            # an id of its own (still derived from the entry, so still written once).
            sends.append((RETURN_APPROVED, f"{message_id(request.rma, seq)}_approved"))
        for event_type, msg_id in sends:
            if event_type is None:
                continue
            body = json.dumps(event_payload(request, event_type, event.at), ensure_ascii=False,
                              separators=(",", ":"), sort_keys=True)
            found.append(OutboundEvent(message_id=msg_id, type=event_type, at=event.at, rma=request.rma, body=body))
    return found
