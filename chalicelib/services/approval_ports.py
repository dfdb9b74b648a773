"""The ports of merchant approvals: stored links, listings by status, and the two emails.

Kept beside ports.py rather than in it while the returns features land in parallel; the same
rule holds: Protocols here, adapters named after their technology.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from ..domain.money import Money
from ..domain.order import Order
from ..domain.return_request import ReturnRequest

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


class ApprovalLinkStore(Protocol):
    """Approval links by token hash, and the once-only reminder marks."""

    def put(self, link: ApprovalLink) -> None:
        """Store a new link (a hash seen before is refused: 256 random bits never repeat)."""
        ...

    def get(self, token_hash: str) -> ApprovalLink | None:
        """The link stored under `token_hash`, or None (unknown, or removed by its TTL)."""
        ...

    def mark_reminded(self, rma: str, *, at: datetime, keep_until: datetime) -> bool:
        """Record that the merchant was reminded of `rma`; False when someone already did."""
        ...


@dataclass(frozen=True, slots=True)
class ReturnsPage:
    """One page of a listing and the opaque cursor of the next (None: the last page)."""

    returns: tuple[ReturnRequest, ...]
    cursor: str | None


class ReturnListings(Protocol):
    """Returns by status and by shopper, through indexes (never a Scan)."""

    def with_status(self, status: str, *, newest_first: bool, limit: int, cursor: str | None) -> ReturnsPage:
        """Returns now in `status`, by the time they entered it. ValidationError for a bad cursor."""
        ...

    def of_customer(self, email: str, *, limit: int) -> list[ReturnRequest]:
        """The shopper's latest returns across all orders, newest first (without timelines)."""
        ...


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


class ApprovalNotifier(Protocol):
    """Emails the merchant about exceptions, in the merchant's language."""

    def approval_requested(self, approval: ApprovalRequest, *, to: str) -> None:
        """The request, why it is an exception, the quote, and the Approve / Deny links."""
        ...


class DecisionNotifier(Protocol):
    """Tells the shopper what the merchant decided, in the order's language."""

    def return_decided(self, request: ReturnRequest, order: Order, *, note: str, counter_terms: str) -> None:
        """Approved (with the label link), approved on counter-terms (the new quote), or denied."""
        ...
