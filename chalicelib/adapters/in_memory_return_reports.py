"""In-memory returns report reads with the DynamoDB adapter's contract (unit tests)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

from ..domain.return_request import ReturnRequest, ReturnStatus
from .in_memory_returns import InMemoryReturnRepository


class InMemoryReturnReports:
    """ReturnReports over an InMemoryReturnRepository, by the second as the index keys are."""

    def __init__(self, returns: InMemoryReturnRepository) -> None:
        self._returns = returns

    def reached_between(self, status: ReturnStatus, *, since: datetime, until: datetime) -> Iterator[ReturnRequest]:
        def moved(r: ReturnRequest) -> datetime:
            return r.status_changed_at.replace(microsecond=0)

        found = [r for r in self._returns._returns.values()
                 if r.status == status and since.replace(microsecond=0) <= moved(r) < until.replace(microsecond=0)]
        # Without timelines, as the index answers.
        for request in sorted(found, key=lambda r: (moved(r), r.rma)):
            yield replace(request, events=(), listed_changed_at=request.status_changed_at)

    def count_in(self, status: ReturnStatus) -> int:
        return sum(1 for r in self._returns._returns.values() if r.status == status)
