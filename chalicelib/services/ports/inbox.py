"""What the console's inbox reads: returns through the indexes that list them, with each entry's
sort key so a page can start right after (or right before) any entry it showed; never a Scan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from ...domain.return_request import ReturnRequest, ReturnStatus

# Which index lists the returns: by status (gsi2), by order (gsi3) or by shopper (gsi1).
ListingKind = Literal["status", "order", "customer"]


@dataclass(frozen=True, slots=True)
class Listing:
    """One index partition of returns and a range of its sort keys.

    `value` is the status, the order number or the shopper's normalised email. `since` and
    `until` bound the time in the sort key (UTC ISO 8601 to the second): `since` inclusive,
    `until` exclusive, None for open ends. The status index sorts by the time of the latest
    status move, the order and shopper indexes by the creation time.
    """

    kind: ListingKind
    value: str
    since: str | None = None
    until: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """A return as a listing holds it (without its timeline) and its sort key there."""

    request: ReturnRequest
    key: str


@dataclass(frozen=True, slots=True)
class EntriesRead:
    """What one read of a listing gave: entries in the order asked, and whether the index may
    hold more beyond the last of them (DynamoDB's LastEvaluatedKey)."""

    entries: tuple[Entry, ...]
    more: bool


class InboxIndex(Protocol):
    """The inbox's reads: listing pages, status counts and one return by RMA."""

    def read(self, listing: Listing, *, forward: bool, after: str | None, limit: int) -> EntriesRead:
        """Up to `limit` entries of `listing` strictly after the sort key `after` (None: from the
        start), ascending when `forward`, else descending. ValidationError for a malformed key."""
        ...

    def count(self, status: ReturnStatus, *, at_most: int) -> int:
        """How many returns are in `status`, counting no further than `at_most` (so the read
        stays bounded: the answer `at_most` means "at least that many")."""
        ...

    def one(self, rma: str) -> ReturnRequest | None:
        """The return with this RMA without its timeline, or None."""
        ...
