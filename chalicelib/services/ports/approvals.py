"""Merchant approvals (issue 8): the links in the emails and the daily digests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from ...domain.approvals import ApprovalLink, ExceptionDigest


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


class ExceptionDigests(Protocol):
    """The merchant's exception emails per order and day: the first at once, later ones in a
    digest sent once the day is over (jobs/exception_digests.py)."""

    def record(self, order_number: str, day: date, rma: str, *, now: datetime) -> bool:
        """Count exception `rma` of the order on `day` (the store's date); True when it is the
        day's first (or its digest is already sent): email the merchant now. Atomic: of two
        requests at once exactly one is first."""
        ...

    def due(self, day: date) -> list[ExceptionDigest]:
        """The digests of `day` not sent yet, each with the requests after the day's first
        (by key: one Query, never a Scan)."""
        ...

    def claim(self, order_number: str, day: date, *, now: datetime) -> bool:
        """Mark the digest sent; False when another run claimed it first (then do not send)."""
        ...
