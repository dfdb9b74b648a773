"""Use case: create or replace an order sent by the store (admin API, seed, webhooks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..domain.errors import ConflictError, StaleWriteError
from ..domain.order import Order
from .ports import Clock, OrderRepository

# A writer that keeps losing the race to other writers of the same order gives up after this.
_ATTEMPTS = 3


class ImportOrderDeps(Protocol):
    """What importing an order needs."""

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def clock(self) -> Clock: ...


@dataclass(frozen=True, slots=True)
class ImportResult:
    """The order as stored, and whether this import created it."""

    created: bool
    order: Order


def import_order(deps: ImportOrderDeps, incoming: Order) -> ImportResult:
    """Store `incoming`: created when new, replaced when different, untouched when the same."""
    for _ in range(_ATTEMPTS):
        current = deps.orders.get(incoming.number, consistent=True)
        if current is None:
            try:
                return ImportResult(True, deps.orders.save(incoming.with_version(0), now=deps.clock.now()))
            except StaleWriteError:
                continue  # created by a concurrent import: compare against that one
        # Same body, same stored result: no write, so importing is idempotent.
        if current == incoming:
            return ImportResult(False, current)
        try:
            replaced = deps.orders.save(incoming.with_version(current.version), now=deps.clock.now())
            return ImportResult(False, replaced)
        except StaleWriteError:
            continue
    raise ConflictError(
        f"order {incoming.number} is being changed by another request; try again",
        code="order_busy",
    )
