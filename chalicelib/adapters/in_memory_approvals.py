"""In-memory approval links and listings with the DynamoDB adapters' contract (unit tests)."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from ..domain.approvals import ApprovalLink
from ..domain.errors import ConflictError, ValidationError
from ..domain.order import same_order_number
from ..domain.return_request import ReturnRequest, ReturnStatus
from ..services.ports.returns import ReturnsPage
from .in_memory_returns import InMemoryReturnRepository


class InMemoryApprovalLinks:
    """ApprovalLinkStore in dicts."""

    def __init__(self) -> None:
        self.links: dict[str, ApprovalLink] = {}
        self.reminded: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def put(self, link: ApprovalLink) -> None:
        with self._lock:
            if link.token_hash in self.links:
                raise ConflictError("this approval link exists already", code="approval_link_taken")
            self.links[link.token_hash] = link

    def get(self, token_hash: str) -> ApprovalLink | None:
        return self.links.get(token_hash)

    def mark_reminded(self, rma: str, *, at: datetime, keep_until: datetime) -> bool:
        with self._lock:
            if rma in self.reminded:
                return False
            self.reminded[rma] = at
            return True


class InMemoryReturnListings:
    """ReturnListings over an InMemoryReturnRepository (the same order as the indexes)."""

    def __init__(self, returns: InMemoryReturnRepository) -> None:
        self._returns = returns

    def _all(self) -> list[ReturnRequest]:
        return [replace(r, events=r.events) for r in self._returns._returns.values()]

    def with_status(self, status: ReturnStatus, *, newest_first: bool, limit: int, cursor: str | None) -> ReturnsPage:
        def key(r: ReturnRequest) -> str:
            return f"{r.status_changed_at.isoformat()}#{r.rma}"

        found = [r for r in self._all() if r.status == status]
        return _page(found, key, newest_first=newest_first, limit=limit, cursor=cursor)

    def of_customer(self, email: str, *, limit: int) -> list[ReturnRequest]:
        return list(self.by_customer(email, limit=limit, cursor=None).returns)

    def by_customer(self, email: str, *, limit: int, cursor: str | None) -> ReturnsPage:
        mine = [r for r in self._all() if r.customer_email == email]
        return _page(mine, _created_key, newest_first=True, limit=limit, cursor=cursor)

    def by_order(self, order_number: str, *, limit: int, cursor: str | None) -> ReturnsPage:
        theirs = [r for r in self._all() if same_order_number(r.order_number, order_number)]
        return _page(theirs, _created_key, newest_first=True, limit=limit, cursor=cursor)

    def owing_differences(self) -> list[str]:
        return sorted(r.rma for r in self._all() if r.owes_difference_refund)


def _created_key(r: ReturnRequest) -> str:
    # gsi1sk and gsi3sk of a return.
    return f"RETURN#{r.created_at.isoformat()}#{r.rma}"


def _page(
    returns: list[ReturnRequest], key: Callable[[ReturnRequest], str], *, newest_first: bool, limit: int,
    cursor: str | None,
) -> ReturnsPage:
    """A page of `returns` ordered by `key` as an index orders its sort key, after `cursor`."""
    found = sorted(returns, key=key, reverse=newest_first)
    if cursor is not None:
        try:
            after = base64.urlsafe_b64decode(cursor.encode()).decode()
        except ValueError as error:
            raise ValidationError("cursor is not one this API gave out", fields=("cursor",)) from error
        found = [r for r in found if (key(r) < after if newest_first else key(r) > after)]
    page = found[:limit]
    more = len(found) > limit
    next_cursor = base64.urlsafe_b64encode(key(page[-1]).encode()).decode() if more else None
    return ReturnsPage(tuple(page), next_cursor)
