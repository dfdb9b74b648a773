"""The return repository and history contract, held by the in-memory fake and by DynamoDB alike."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.dynamodb_rate_counter import DynamoDBRateCounter, InMemoryRateCounter
from chalicelib.adapters.dynamodb_returns import DynamoDBReturnHistory, DynamoDBReturnRepository
from chalicelib.adapters.in_memory_returns import InMemoryReturnRepository
from chalicelib.domain.errors import ConflictError, StaleWriteError
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ReturnRequest, RmaTakenError, rma_from_bits
from tests.builders import an_order

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
QUANTITIES = {"L1": 2}


def a_return(bits: int, quantity: int = 1, *, at: datetime = NOW, email: str = "aiko@example.jp") -> ReturnRequest:
    order = an_order(email=email)
    selections = (Selection("L1", quantity, "damaged", "torn seam <b>"),)
    priced = quote(order, selections, DEFAULT_POLICY, resolution="store_credit")
    return ReturnRequest.request(
        rma=rma_from_bits(bits), order=order, selections=selections, quote=priced,
        needs_approval=False, at=at,
    )


@pytest.fixture(params=["in_memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    """(ReturnRepository, ReturnHistory) over the same data."""
    if request.param == "in_memory":
        fake = InMemoryReturnRepository()
        return fake, fake
    client, table = request.getfixturevalue("dynamodb_client"), request.getfixturevalue("fresh_table")
    return DynamoDBReturnRepository(client, table), DynamoDBReturnHistory(client, table)


def test_a_created_return_reads_back_equal_with_its_timeline(store: tuple[Any, Any]) -> None:
    returns, _ = store
    created = returns.create(a_return(1), line_quantities=QUANTITIES, now=NOW)
    assert created.version == 1
    loaded = returns.get(created.rma)
    assert loaded == created
    assert loaded.quote == created.quote
    assert loaded.lines[0].note == "torn seam <b>"
    assert [e.kind for e in loaded.events] == ["requested"]
    assert returns.get("R-ZZZZ-ZZZZ") is None


def test_the_orders_returns_and_its_reserved_units_are_known(store: tuple[Any, Any]) -> None:
    returns, history = store
    returns.create(a_return(1), line_quantities=QUANTITIES, now=NOW)
    returns.create(a_return(2, at=NOW + timedelta(minutes=1)), line_quantities=QUANTITIES, now=NOW)
    assert [r.rma for r in returns.of_order("1001")] == [rma_from_bits(1), rma_from_bits(2)]
    units = history.units_of_order("1001")
    assert dict(units.in_open_returns) == {"L1": 2}
    assert dict(units.returned) == {"L1": 0}
    assert history.units_of_order("1002").in_open_returns == {}


def test_more_units_than_the_line_has_are_never_reserved(store: tuple[Any, Any]) -> None:
    returns, history = store
    returns.create(a_return(1, quantity=2), line_quantities=QUANTITIES, now=NOW)
    with pytest.raises(ConflictError) as refused:
        returns.create(a_return(2), line_quantities=QUANTITIES, now=NOW)
    assert refused.value.code == "units_already_requested"
    assert returns.get(rma_from_bits(2)) is None
    assert dict(history.units_of_order("1001").in_open_returns) == {"L1": 2}


def test_a_taken_rma_is_refused_and_reserves_nothing(store: tuple[Any, Any]) -> None:
    returns, history = store
    returns.create(a_return(1), line_quantities=QUANTITIES, now=NOW)
    with pytest.raises(RmaTakenError):
        returns.create(a_return(1), line_quantities=QUANTITIES, now=NOW)
    assert dict(history.units_of_order("1001").in_open_returns) == {"L1": 1}


def test_concurrent_creates_of_the_same_units_have_one_winner(store: tuple[Any, Any]) -> None:
    returns, history = store

    def create(bits: int) -> str:
        try:
            returns.create(a_return(bits, quantity=2), line_quantities=QUANTITIES, now=NOW)
            return "created"
        except ConflictError:
            return "conflict"

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(create, range(1, 5)))
    assert sorted(outcomes) == ["conflict"] * 3 + ["created"]
    assert dict(history.units_of_order("1001").in_open_returns) == {"L1": 2}


def test_a_cancellation_is_saved_on_its_version_and_gives_the_units_back(store: tuple[Any, Any]) -> None:
    returns, history = store
    created = returns.create(a_return(1, quantity=2), line_quantities=QUANTITIES, now=NOW)
    later = NOW + timedelta(hours=1)
    cancelled = returns.save(created.cancel(at=later), new_events=1, now=later)
    assert cancelled.version == 2
    loaded = returns.get(created.rma)
    assert loaded.status == "cancelled"
    assert [e.kind for e in loaded.events] == ["requested", "cancelled"]
    assert dict(history.units_of_order("1001").in_open_returns) == {"L1": 0}
    with pytest.raises(StaleWriteError):
        returns.save(created.cancel(at=later), new_events=1, now=later)


def test_the_shoppers_returns_of_the_last_90_days_are_counted(store: tuple[Any, Any]) -> None:
    returns, history = store
    returns.create(a_return(1, at=NOW - timedelta(days=100)), line_quantities={"L1": 9}, now=NOW)
    returns.create(a_return(2, at=NOW - timedelta(days=10)), line_quantities={"L1": 9}, now=NOW)
    returns.create(a_return(3, at=NOW - timedelta(days=1)), line_quantities={"L1": 9}, now=NOW)
    assert history.customer_returns_90d("aiko@example.jp", now=NOW) == 2
    assert history.customer_returns_90d("sam@example.com", now=NOW) == 0


@pytest.fixture(params=["in_memory", "dynamodb"])
def counter(request: pytest.FixtureRequest) -> Any:
    if request.param == "in_memory":
        return InMemoryRateCounter()
    return DynamoDBRateCounter(request.getfixturevalue("dynamodb_client"), request.getfixturevalue("fresh_table"))


def test_a_rate_counter_counts_per_key_and_window(counter: Any) -> None:
    window = timedelta(minutes=15)
    assert [counter.hit("lookup-client", "203.0.113.7", window_start=NOW, window=window) for _ in range(3)] == [1, 2, 3]
    assert counter.hit("lookup-client", "198.51.100.1", window_start=NOW, window=window) == 1
    assert counter.hit("lookup-order", "203.0.113.7", window_start=NOW, window=window) == 1
    assert counter.hit("lookup-client", "203.0.113.7", window_start=NOW + window, window=window) == 1


def test_a_rate_counter_item_expires_by_ttl_and_keeps_the_key_out_of_sight(dynamodb_client: Any, fresh_table: str) -> None:
    DynamoDBRateCounter(dynamodb_client, fresh_table).hit(
        "lookup-client", "203.0.113.7", window_start=NOW, window=timedelta(minutes=15)
    )
    (item,) = dynamodb_client.scan(TableName=fresh_table)["Items"]
    assert item["pk"]["S"].startswith("RATE#lookup-client#") and "203.0.113.7" not in item["pk"]["S"]
    assert item["sk"]["S"] == "WINDOW#2026-11-23T12:00:00Z"
    assert int(item["expires_at"]["N"]) > int((NOW + timedelta(minutes=15)).timestamp())
