"""Requesting a return with fakes: what is judged, what is priced, what is stored, who is told."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.dynamodb_rate_counter import InMemoryRateCounter
from chalicelib.adapters.in_memory import InMemoryOrderRepository, InMemoryPolicyRepository
from chalicelib.adapters.in_memory_returns import InMemoryReturnRepository
from chalicelib.domain.errors import ConflictError, NotFoundError, RateLimitedError, ValidationError
from chalicelib.domain.order import Order
from chalicelib.domain.quote import Selection
from chalicelib.domain.return_request import ReturnRequest
from chalicelib.services.limit_lookups import limit_lookups
from chalicelib.services.read_return import read_return
from chalicelib.services.request_return import quote_return, request_return
from chalicelib.web.schemas.orders import OrderIn
from tests.documents import an_order_document
from tests.fakes import FixedClock

# Delivered 2026-11-03; the default 30-day window's last day is 3 December (UTC).
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass
class CountingBits:
    """RandomBits that hands out 0, 1, 2 ... (predictable RMAs in tests)."""

    drawn: int = 0

    def bits(self, count: int) -> int:
        self.drawn += 1
        return self.drawn - 1


@dataclass
class Outbox:
    sent: list[tuple[ReturnRequest, Order]] = field(default_factory=list)

    def return_requested(self, request: ReturnRequest, order: Order) -> None:
        self.sent.append((request, order))


@dataclass
class Deps:
    orders: Any = field(default_factory=InMemoryOrderRepository)
    policies: Any = field(default_factory=InMemoryPolicyRepository)
    returns: Any = field(default_factory=InMemoryReturnRepository)
    clock: FixedClock = field(default_factory=lambda: FixedClock(NOW))
    random: Any = field(default_factory=CountingBits)
    shopper_notifier: Outbox = field(default_factory=Outbox)
    rate_counter: Any = field(default_factory=InMemoryRateCounter)
    lookups_per_window: int = 10

    @property
    def return_history(self) -> Any:
        return self.returns


@pytest.fixture
def deps() -> Deps:
    deps = Deps()
    deps.orders.save(OrderIn.model_validate(an_order_document()).to_domain(), now=NOW)
    return deps


def one(line_id: str = "L1", quantity: int = 1, reason: str = "too_small", note: str = "") -> list[Selection]:
    return [Selection(line_id, quantity, reason, note)]


def test_a_quote_prices_the_chosen_units_and_writes_nothing(deps: Deps) -> None:
    priced = quote_return(deps, order_number="1001", selections=one(quantity=2), resolution="store_credit")
    assert (priced.items.minor, priced.tax.minor, priced.bonus.minor, priced.total.minor) == (6600, 600, 720, 7920)
    assert deps.returns.of_order("1001") == []


def test_a_returnable_line_makes_an_approved_return_stored_with_its_reservation_and_email(deps: Deps) -> None:
    created = request_return(deps, order_number="1001", selections=one(), resolution="refund")
    assert created.rma == "R-0000-0000"
    assert created.status == "approved"
    assert created.version == 1
    assert deps.returns.get(created.rma) == created
    assert deps.returns.units_of_order("1001").in_open_returns == {"L1": 1}
    assert [(r.rma, o.number) for r, o in deps.shopper_notifier.sent] == [(created.rma, "1001")]


def test_a_line_outside_the_window_makes_the_return_pending_approval(deps: Deps) -> None:
    deps.clock.at = NOW + timedelta(days=20)  # 10 days late, within 30 days of grace
    created = request_return(deps, order_number="1001", selections=one(), resolution="refund")
    assert created.status == "pending_approval"


@pytest.mark.parametrize(
    ("selections", "resolution", "fields"),
    [
        (one("L9"), "refund", ("lines[0].line_id",)),
        (one(quantity=3), "refund", ("lines[0].quantity",)),
        (one(reason="damaged"), "refund", ("lines[0].note",)),
        (one("L2"), "refund", ("lines[0].line_id",)),
        (one(), "cash", ("resolution",)),
        ([Selection("L2", 1, "too_small"), Selection("L1", 5, "damaged")], "refund",
         ("lines[0].line_id", "lines[1].quantity", "lines[1].note")),
    ],
)
def test_every_bad_choice_is_named_and_nothing_is_stored_or_sent(
    deps: Deps, selections: list[Selection], resolution: str, fields: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationError) as refused:
        request_return(deps, order_number="1001", selections=selections, resolution=resolution)
    assert set(refused.value.fields) == set(fields)
    assert deps.returns.of_order("1001") == []
    assert deps.returns.units_of_order("1001").in_open_returns == {}
    assert deps.shopper_notifier.sent == []


def test_units_in_an_open_return_cannot_be_chosen_again(deps: Deps) -> None:
    request_return(deps, order_number="1001", selections=one(), resolution="refund")
    with pytest.raises(ValidationError) as refused:
        request_return(deps, order_number="1001", selections=one(quantity=2), resolution="refund")
    assert refused.value.fields == ("lines[0].quantity",)
    assert "1" in refused.value.message


def test_a_cancelled_return_gives_its_units_back(deps: Deps) -> None:
    created = request_return(deps, order_number="1001", selections=one(quantity=2), resolution="refund")
    deps.returns.save(created.cancel(at=NOW), new_events=1, now=NOW)
    again = request_return(deps, order_number="1001", selections=one(quantity=2), resolution="refund")
    assert again.status == "approved"


def test_a_lost_race_for_the_units_is_a_conflict_and_stores_nothing(deps: Deps) -> None:
    class Stale(InMemoryReturnRepository):
        """A history read before another request reserved both units."""

        def units_of_order(self, order_number: str) -> Any:
            return InMemoryReturnRepository().units_of_order(order_number)

    deps.returns = Stale()
    request_return(deps, order_number="1001", selections=one(quantity=2), resolution="refund")
    with pytest.raises(ConflictError) as lost:
        request_return(deps, order_number="1001", selections=one(quantity=1), resolution="refund")
    assert lost.value.code == "units_already_requested"
    assert len(deps.returns.of_order("1001")) == 1
    assert len(deps.shopper_notifier.sent) == 1


def test_a_taken_rma_is_drawn_again(deps: Deps) -> None:
    first = request_return(deps, order_number="1001", selections=one(), resolution="refund")
    deps.random = CountingBits()  # draws R-0000-0000 again first
    second = request_return(deps, order_number="1001", selections=one(), resolution="refund")
    assert second.rma != first.rma


def test_an_unknown_order_is_not_found(deps: Deps) -> None:
    with pytest.raises(NotFoundError):
        request_return(deps, order_number="nope", selections=one(), resolution="refund")


def test_a_return_is_read_only_with_its_own_order(deps: Deps) -> None:
    created = request_return(deps, order_number="1001", selections=one(), resolution="refund")
    assert read_return(deps, created.rma.lower(), order_number="1001") == created
    assert read_return(deps, created.rma, order_number=None) == created
    with pytest.raises(NotFoundError) as other:
        read_return(deps, created.rma, order_number="1002")
    with pytest.raises(NotFoundError) as missing:
        read_return(deps, "R-ZZZZ-ZZZZ", order_number="1001")
    with pytest.raises(NotFoundError):
        read_return(deps, "not an rma", order_number="1001")
    assert other.value.message == missing.value.message


def test_the_eleventh_lookup_of_a_client_in_the_window_is_limited(deps: Deps) -> None:
    for i in range(10):
        limit_lookups(deps, client_address="203.0.113.7", order_number=f"{i}")
    with pytest.raises(RateLimitedError) as limited:
        limit_lookups(deps, client_address="203.0.113.7", order_number="99")
    assert 1 <= limited.value.retry_after <= 900
    # Another client is not slowed down by this one.
    limit_lookups(deps, client_address="198.51.100.1", order_number="100")


def test_the_eleventh_lookup_of_an_order_from_many_clients_is_limited(deps: Deps) -> None:
    for i in range(10):
        limit_lookups(deps, client_address=f"203.0.113.{i}", order_number="1001")
    with pytest.raises(RateLimitedError):
        limit_lookups(deps, client_address="198.51.100.1", order_number="1001")


def test_a_new_window_starts_counting_again(deps: Deps) -> None:
    for _ in range(11):
        try:
            limit_lookups(deps, client_address="203.0.113.7", order_number="1001")
        except RateLimitedError:
            pass
    deps.clock.at = NOW + timedelta(minutes=15)
    limit_lookups(deps, client_address="203.0.113.7", order_number="1001")
