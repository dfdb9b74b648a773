"""In-memory returns that keep the DynamoDB adapter's contract (unit tests, benchmarks)."""

from __future__ import annotations

import threading
from dataclasses import replace
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from ..domain.errors import ConflictError, StaleWriteError
from ..domain.exchange import ExchangeStockGoneError, OutOfStockError
from ..domain.reservations import CountReturned, ReturnedUnits, StockFulfil, StockRelease, StockReserve
from ..domain.return_limits import CreationLimits, CustomerCapReachedError, OrderDayLimitReachedError
from ..domain.return_request import (
    APPROVED,
    UNITS_TAKEN_MESSAGE,
    ReturnRequest,
    RmaTakenError,
)
from .in_memory_catalog import InMemoryProductCatalog


class InMemoryReturnRepository:
    """ReturnRepository and ReturnHistory in dicts, persisting the reservation changes the return decides."""

    def __init__(self, catalog: InMemoryProductCatalog | None = None) -> None:
        # The catalog whose stock exchanges reserve, fulfil and release (as DynamoDB's transaction).
        self._catalog = catalog
        self._returns: dict[str, ReturnRequest] = {}
        # (order number, line id) -> [reserved, returned, quantity]
        self._lines: dict[tuple[str, str], list[int]] = {}
        # The counts a creation reserves (ports.CreationLimits): shopper -> latest starts, and
        # (order number, day) -> returns started.
        self._started: dict[str, list[datetime]] = {}
        self._days: dict[tuple[str, date], int] = {}
        self._lock = threading.Lock()

    def create(self, request: ReturnRequest, *, line_quantities: Mapping[str, int], now: datetime,
               limits: CreationLimits | None = None) -> ReturnRequest:
        with self._lock:
            if request.rma in self._returns:
                raise RmaTakenError(f"RMA {request.rma} is taken")
            day = (request.order_number, limits.order_day) if limits is not None else None
            if limits is not None and day is not None and self._days.get(day, 0) >= limits.per_order_per_day:
                raise OrderDayLimitReachedError(f"order {request.order_number} started its returns for today")
            reservations = request.reservations(line_quantities)
            for reserve in reservations:
                # The DynamoDB condition: never more reserved than the line holds.
                reserved = self._lines.get((request.order_number, reserve.line_id), [0, 0, 0])[0]
                if reserved + reserve.quantity > reserve.line_quantity:
                    raise ConflictError(UNITS_TAKEN_MESSAGE, code="units_already_requested")
            cap = limits.customer_cap if limits is not None else None
            shopper = request.customer_email.strip().lower()
            if cap:
                # The same count as DynamoDB's item: the shopper's `cap` latest starts.
                recent = sorted(at for at in self._started.get(shopper, []) if at >= now - timedelta(days=90))
                if request.status == APPROVED and len(recent) >= cap:
                    raise CustomerCapReachedError(f"the shopper started {len(recent)} returns in 90 days")
            self._reserve_stock(request.stock_reservations())
            if cap:
                self._started[shopper] = sorted([*recent, request.created_at])[-cap:]
            if day is not None:
                self._days[day] = self._days.get(day, 0) + 1
            for reserve in reservations:
                entry = self._lines.setdefault((request.order_number, reserve.line_id), [0, 0, 0])
                entry[0] += reserve.quantity
                entry[2] = reserve.line_quantity
            stored = request.with_version(1)
            self._returns[request.rma] = stored
            return stored

    def get(self, rma: str, *, consistent: bool = True) -> ReturnRequest | None:
        return self._returns.get(rma)

    def all(self) -> list[ReturnRequest]:
        """Every stored return (the in-memory stand-in for an index query)."""
        return list(self._returns.values())

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
            self._move_stock(request, request.stock_changes(new_events=new_events))
            for change in request.reservation_changes(new_events=new_events):
                entry = self._lines[(stored.order_number, change.line_id)]
                if isinstance(change, CountReturned):
                    entry[1] += change.quantity
                    entry[0] -= change.released
                else:
                    entry[0] -= change.quantity
            self._returns[request.rma] = stored
            return stored

    def _reserve_stock(self, reservations: tuple[StockReserve, ...]) -> None:
        """Promise every replacement or none (OutOfStockError naming the SKU that ran short)."""
        done: list[StockReserve] = []
        for reserve in reservations:
            if self._catalog is None:
                raise OutOfStockError(f"{reserve.sku} is out of stock", sku=reserve.sku)
            try:
                self._catalog.reserve(reserve.product_id, reserve.sku, reserve.quantity)
            except ConflictError as short:
                for undo in done:
                    self._catalog.release(undo.product_id, undo.sku, undo.quantity)
                raise OutOfStockError(f"{reserve.sku} is out of stock", sku=reserve.sku) from short
            done.append(reserve)

    def _move_stock(self, request: ReturnRequest, changes: tuple[StockFulfil | StockRelease, ...]) -> None:
        """A move's stock changes, all checked before any is made (DynamoDB's all or nothing)."""
        if not changes or self._catalog is None:
            return
        taken: dict[tuple[str, str], int] = {}
        for change in changes:
            if isinstance(change, StockFulfil):
                taken[(change.product_id, change.sku)] = taken.get((change.product_id, change.sku), 0) + change.quantity
        gone = []
        for (product_id, sku), n in taken.items():
            levels = self._catalog.stock_levels(product_id)
            level = levels[1].get(sku) if levels is not None else None
            if level is None or level.stock < n or level.reserved < n:
                gone.append(sku)
        if gone:
            raise ExchangeStockGoneError(
                f"return {request.rma}: not enough of {', '.join(sorted(gone))} on hand for the replacement order",
                skus=tuple(sorted(gone)))
        for change in changes:
            if isinstance(change, StockFulfil):
                self._catalog.fulfil(change.product_id, change.sku, change.quantity)
            else:
                self._catalog.release(change.product_id, change.sku, change.quantity)

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
