"""The order repository contract, held by the in-memory fake and by DynamoDB alike."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from chalicelib.adapters.dynamodb_orders import DynamoDBOrderRepository
from chalicelib.adapters.in_memory import InMemoryOrderRepository
from chalicelib.domain.errors import StaleWriteError
from chalicelib.domain.order import Order
from chalicelib.web.schemas.orders import OrderIn
from devstack.tables import ensure_table
from tests.documents import an_order_document

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def an_order(**overrides: Any) -> Order:
    return OrderIn.model_validate(an_order_document(**overrides)).to_domain()


@pytest.fixture(scope="module")
def dynamodb_client(aws_endpoint: str) -> Any:
    return boto3.client(
        "dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",
    )


@pytest.fixture
def fresh_table(dynamodb_client: Any) -> Iterator[str]:
    name = f"orders-{uuid.uuid4().hex[:8]}"
    ensure_table(dynamodb_client, name)
    yield name
    dynamodb_client.delete_table(TableName=name)


@pytest.fixture(params=["in_memory", "dynamodb"])
def orders(request: pytest.FixtureRequest) -> Any:
    if request.param == "in_memory":
        return InMemoryOrderRepository()
    return DynamoDBOrderRepository(
        request.getfixturevalue("dynamodb_client"), request.getfixturevalue("fresh_table")
    )


def test_a_saved_order_reads_back_equal_at_version_one(orders: Any) -> None:
    order = an_order(customer_name="김민지", currency="KRW", locale="ko")
    saved = orders.save(order, now=NOW)
    assert saved.version == 1
    loaded = orders.get(order.number)
    assert loaded == order
    assert loaded.version == 1
    assert loaded.lines[0].unit_price.minor == 3300
    assert loaded.placed_at == datetime(2026, 11, 1, 10, tzinfo=UTC)


def test_an_order_never_saved_is_none(orders: Any) -> None:
    assert orders.get("missing") is None


def test_a_write_on_a_stale_version_is_refused_and_changes_nothing(orders: Any) -> None:
    first = orders.save(an_order(), now=NOW)
    orders.save(an_order(customer_name="Second writer").with_version(first.version), now=NOW)
    with pytest.raises(StaleWriteError):
        orders.save(an_order(customer_name="Stale writer").with_version(first.version), now=NOW)
    assert orders.get("1001").customer_name == "Second writer"
    assert orders.get("1001").version == 2


def test_creating_an_order_that_exists_is_refused(orders: Any) -> None:
    orders.save(an_order(), now=NOW)
    with pytest.raises(StaleWriteError):
        orders.save(an_order(customer_name="Duplicate"), now=NOW)
    assert orders.get("1001").customer_name == "山田 愛子"


def test_a_replace_can_clear_the_delivery_date(orders: Any) -> None:
    first = orders.save(an_order(), now=NOW)
    orders.save(an_order(delivered_at=None).with_version(first.version), now=NOW)
    assert orders.get("1001").delivered_at is None


def test_of_many_concurrent_writers_on_one_version_exactly_one_wins(orders: Any) -> None:
    first = orders.save(an_order(), now=NOW)

    def write(i: int) -> bool:
        try:
            orders.save(an_order(customer_name=f"Writer {i}").with_version(first.version), now=NOW)
            return True
        except StaleWriteError:
            return False

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(write, range(16)))
    assert outcomes.count(True) == 1
    winner = outcomes.index(True)
    assert orders.get("1001").customer_name == f"Writer {winner}"
    assert orders.get("1001").version == 2
