"""The console inbox's reads over an InMemoryReturnRepository, ordered as the indexes order
their sort keys (unit tests)."""

from __future__ import annotations

from dataclasses import replace

from ..domain.errors import ValidationError
from ..domain.order import same_order_number
from ..domain.return_request import ReturnRequest, ReturnStatus
from ..domain.timestamps import utc_timestamp
from ..services.ports.inbox import EntriesRead, Entry, Listing
from .in_memory_returns import InMemoryReturnRepository


class InMemoryInboxIndex:
    """InboxIndex in a dict; counts every read entry in `entries_read` (the bills of a page)."""

    def __init__(self, returns: InMemoryReturnRepository) -> None:
        self._returns = returns
        self.entries_read = 0

    def read(self, listing: Listing, *, forward: bool, after: str | None, limit: int) -> EntriesRead:
        stored = [replace(r, events=(), listed_changed_at=r.status_changed_at) for r in self._returns.all()]
        if listing.kind == "status":
            keyed = [(f"{utc_timestamp(r.status_changed_at)}#{r.rma}", r) for r in stored if r.status == listing.value]
            low, high = listing.since or "", listing.until or "~"
        else:
            keyed = [(f"RETURN#{utc_timestamp(r.created_at)}#{r.rma}", r) for r in stored
                     if (same_order_number(r.order_number, listing.value) if listing.kind == "order"
                         else r.customer_email == listing.value)]
            low, high = "RETURN#" + (listing.since or ""), "RETURN#" + (listing.until or "~")
        if after is not None and "#R-" not in after:
            raise ValidationError("the page's position is not one this inbox gave out", fields=("page",))
        found = sorted(((k, r) for k, r in keyed if low <= k < high), key=lambda pair: pair[0], reverse=not forward)
        if after is not None:
            found = [(k, r) for k, r in found if (k > after if forward else k < after)]
        page = found[:limit]
        self.entries_read += len(page)
        return EntriesRead(tuple(Entry(r, k) for k, r in page), more=len(found) > limit)

    def count(self, status: ReturnStatus, *, at_most: int) -> int:
        return min(at_most, sum(1 for r in self._returns.all() if r.status == status))

    def one(self, rma: str) -> ReturnRequest | None:
        found = self._returns.get(rma)
        return replace(found, events=(), listed_changed_at=found.status_changed_at) if found else None
