"""In-memory returns that keep the DynamoDB adapter's contract (unit tests, benchmarks)."""

from __future__ import annotations

import threading
from dataclasses import replace
from collections.abc import Mapping
from datetime import datetime, timedelta

from ..domain.errors import ConflictError, StaleWriteError
from ..domain.return_request import (
    RELEASED_STATUSES,
    UNITS_TAKEN_MESSAGE,
    ReturnRequest,
    RmaTakenError,
)
from ..services.ports import ReturnedUnits


class InMemoryReturnRepository:
    """ReturnRepository and ReturnHistory in dicts, with the same reservation rule as DynamoDB."""

    def __init__(self) -> None:
        self._returns: dict[str, ReturnRequest] = {}
        # (order number, line id) -> [reserved, returned, quantity]
        self._lines: dict[tuple[str, str], list[int]] = {}
        self._lock = threading.Lock()

    def create(self, request: ReturnRequest, *, line_quantities: Mapping[str, int], now: datetime) -> ReturnRequest:
        with self._lock:
            if request.rma in self._returns:
                raise RmaTakenError(f"RMA {request.rma} is taken")
            for line in request.lines:
                reserved = self._lines.get((request.order_number, line.line_id), [0, 0, 0])[0]
                if reserved + line.quantity > line_quantities.get(line.line_id, 0):
                    raise ConflictError(UNITS_TAKEN_MESSAGE, code="units_already_requested")
            for line in request.lines:
                entry = self._lines.setdefault((request.order_number, line.line_id), [0, 0, 0])
                entry[0] += line.quantity
                entry[2] = line_quantities[line.line_id]
            stored = request.with_version(1)
            self._returns[request.rma] = stored
            return stored

    def get(self, rma: str, *, consistent: bool = True) -> ReturnRequest | None:
        return self._returns.get(rma)

    def of_order(self, order_number: str) -> list[ReturnRequest]:
        found = [r for r in self._returns.values() if r.order_number == order_number]
        # Without timelines, as the DynamoDB index answers.
        return [replace(r, events=(), listed_changed_at=r.status_changed_at) for r in sorted(found, key=lambda r: (r.created_at, r.rma))]

    def save(self, request: ReturnRequest, *, new_events: int, now: datetime) -> ReturnRequest:
        with self._lock:
            current = self._returns.get(request.rma)
            if current is None or current.version != request.version:
                raise StaleWriteError(f"return {request.rma} was changed by someone else; read it again")
            stored = request.with_version(request.version + 1)
            if any(event.kind == "received" for event in stored.events[len(stored.events) - new_events:]):
                for line in stored.lines:
                    self._lines[(stored.order_number, line.line_id)][1] += line.quantity
            if stored.status in RELEASED_STATUSES:
                for line in stored.lines:
                    self._lines[(stored.order_number, line.line_id)][0] -= line.quantity
            self._returns[request.rma] = stored
            return stored

    def units_of_order(self, order_number: str) -> ReturnedUnits:
        returned: dict[str, int] = {}
        in_open: dict[str, int] = {}
        for (number, line_id), (reserved, done, _) in self._lines.items():
            if number == order_number:
                returned[line_id] = done
                in_open[line_id] = reserved - done
        return ReturnedUnits(returned=returned, in_open_returns=in_open)

    def customer_returns_90d(self, email: str, *, now: datetime) -> int:
        since = now - timedelta(days=90)
        return sum(1 for r in self._returns.values() if r.customer_email == email and r.created_at >= since)
