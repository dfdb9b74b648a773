"""Merchant approvals: what a merchant may do with an exception, the links that let them, and
what their email shows (issue 8)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .money import Money
from .order import Order
from .return_request import ReturnRequest

# What a merchant can do with an exception; the action set of a link is a subset.
APPROVE = "approve"
APPROVE_STORE_CREDIT = "approve_store_credit"
APPROVE_FEE = "approve_fee"
REJECT = "reject"
ACTIONS: tuple[str, ...] = (APPROVE, APPROVE_STORE_CREDIT, APPROVE_FEE, REJECT)


@dataclass(frozen=True, slots=True)
class ApprovalLink:
    """What one emailed token may do: stored under the token's SHA-256, never the token."""

    token_hash: str
    rma: str
    actions: tuple[str, ...]
    approver: str
    quote_hash: str
    return_version: int
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class LineException:
    """One chosen line and why it needed the merchant (the verdict at the time of the request)."""

    line_id: str
    title: str
    sku: str
    quantity: int
    reason: str
    note: str
    total: Money
    # window_passed, abuse_limit ... or "" when the line itself was within the policy.
    exception: str
    days_late: int | None = None
    last_day: date | None = None
    abuse_limit: int | None = None
    # photos: the line's reason takes photos, which the approval page shows as they arrive.
    accepts_photos: bool = False


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    """Everything the merchant's email shows, links absolute and ready to click."""

    request: ReturnRequest
    order: Order
    lines: tuple[LineException, ...]
    earlier_returns: tuple[ReturnRequest, ...]
    # action -> absolute URL of the confirm page with that action chosen.
    links: tuple[tuple[str, str], ...]
    expires_at: datetime
    # When the email is written (the job's injected clock): how long the request has waited.
    sent_at: datetime
    reminder: bool = False


@dataclass(frozen=True, slots=True)
class ExceptionDigest:
    """The exception requests of one order on one day that wait for the merchant's digest."""

    order_number: str
    day: date
    rmas: tuple[str, ...]
