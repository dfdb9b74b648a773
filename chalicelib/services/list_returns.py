"""Use case: the admin's list of returns in one status, newest first, page by page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ..domain.errors import ValidationError
from ..domain.return_request import PENDING_APPROVAL, STATUSES, ReturnRequest
from .ports import Clock, ReturnListings

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


class ListReturnsDeps(Protocol):
    @property
    def listings(self) -> ReturnListings: ...
    @property
    def clock(self) -> Clock: ...


@dataclass(frozen=True, slots=True)
class ListedReturns:
    """A page of returns, how long each has been in its status, and the next page's cursor."""

    returns: tuple[tuple[ReturnRequest, timedelta], ...]
    cursor: str | None
    now: datetime


def list_returns(deps: ListReturnsDeps, *, status: str | None, limit: int | None = None,
                 cursor: str | None = None) -> ListedReturns:
    """Returns in `status` (default pending_approval) newest first; ValidationError names a bad field."""
    status = status or PENDING_APPROVAL
    if status not in STATUSES:
        raise ValidationError(f"status must be one of {', '.join(STATUSES)}", fields=("status",))
    limit = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be from 1 to {MAX_LIMIT}", fields=("limit",))
    page = deps.listings.with_status(status, newest_first=True, limit=limit, cursor=cursor or None)
    now = deps.clock.now()
    return ListedReturns(
        returns=tuple((r, now - r.status_changed_at) for r in page.returns), cursor=page.cursor, now=now,
    )
