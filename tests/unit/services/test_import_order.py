"""Importing orders: idempotent, versioned, safe against concurrent writers (in-memory store)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.adapters.in_memory import InMemoryOrderRepository
from chalicelib.domain.errors import ConflictError, StaleWriteError
from chalicelib.domain.order import Order
from chalicelib.services.import_order import import_order
from chalicelib.web.schemas.orders import OrderIn
from tests.documents import an_order_document


class FixedClock:
    def now(self) -> datetime:
        return datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass
class Deps:
    orders: Any = field(default_factory=InMemoryOrderRepository)
    clock: FixedClock = field(default_factory=FixedClock)


def an_order(**overrides: Any) -> Order:
    return OrderIn.model_validate(an_order_document(**overrides)).to_domain()


def test_a_new_order_is_created_at_version_one() -> None:
    deps = Deps()
    result = import_order(deps, an_order())
    assert result.created
    assert result.order.version == 1
    assert deps.orders.get("1001") == an_order()


def test_the_same_order_twice_is_stored_once() -> None:
    deps = Deps()
    import_order(deps, an_order())
    again = import_order(deps, an_order())
    assert not again.created
    assert again.order.version == 1


def test_the_same_instant_in_another_time_zone_is_the_same_order() -> None:
    deps = Deps()
    import_order(deps, an_order())
    again = import_order(deps, an_order(placed_at="2026-11-01T19:00:00+09:00"))
    assert again.order.version == 1


def test_a_changed_order_is_replaced_at_the_next_version() -> None:
    deps = Deps()
    import_order(deps, an_order())
    result = import_order(deps, an_order(customer_name="Aiko Yamada"))
    assert not result.created
    assert result.order.version == 2
    assert deps.orders.get("1001").customer_name == "Aiko Yamada"


class RacingRepository(InMemoryOrderRepository):
    """Lets another writer store a different order just before each of our first `races` saves."""

    def __init__(self, races: int) -> None:
        super().__init__()
        self.races = races

    def save(self, order: Order, *, now: datetime) -> Order:
        if self.races > 0:
            self.races -= 1
            current = self.get(order.number)
            rival = an_order(customer_name=f"Rival {self.races}")
            super().save(rival.with_version(0 if current is None else current.version), now=now)
        return super().save(order, now=now)


def test_an_import_that_loses_a_race_reads_again_and_wins_on_the_next_version() -> None:
    deps = Deps(orders=RacingRepository(races=1))
    result = import_order(deps, an_order())
    assert not result.created  # the rival created it first
    assert result.order.version == 2
    assert deps.orders.get("1001").customer_name == "山田 愛子"


def test_an_import_that_keeps_losing_gives_up_with_a_conflict_and_overwrites_nothing() -> None:
    deps = Deps(orders=RacingRepository(races=10))
    with pytest.raises(ConflictError) as raised:
        import_order(deps, an_order())
    assert not isinstance(raised.value, StaleWriteError)
    assert deps.orders.get("1001").customer_name.startswith("Rival")
