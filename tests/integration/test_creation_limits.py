"""The counts a creation reserves in its own transaction (ports.CreationLimits), held by the
in-memory fake and by DynamoDB alike: the shopper's 90-day cap and the order's returns per day."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from chalicelib.adapters.dynamodb_returns import DynamoDBReturnRepository, customer_returns_key
from chalicelib.adapters.in_memory_returns import InMemoryReturnRepository
from chalicelib.domain.return_request import PENDING_APPROVAL, ReturnRequest
from chalicelib.domain.return_limits import CreationLimits, CustomerCapReachedError, OrderDayLimitReachedError
from tests.integration.test_return_repository import a_return

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
QUANTITIES = {"L1": 99}


def limits(*, cap: int | None = 2, per_day: int = 5, day: datetime = NOW) -> CreationLimits:
    return CreationLimits(customer_cap=cap, order_day=day.date(), per_order_per_day=per_day)


def pending(request: ReturnRequest) -> ReturnRequest:
    return replace(request, status=PENDING_APPROVAL)


@pytest.fixture(params=["in_memory", "dynamodb"])
def returns(request: pytest.FixtureRequest) -> Any:
    if request.param == "in_memory":
        return InMemoryReturnRepository()
    return DynamoDBReturnRepository(request.getfixturevalue("dynamodb_client"), request.getfixturevalue("fresh_table"))


def test_an_approved_return_past_the_cap_is_refused_and_nothing_is_written(returns: Any) -> None:
    returns.create(a_return(1), line_quantities=QUANTITIES, now=NOW, limits=limits())
    returns.create(pending(a_return(2)), line_quantities=QUANTITIES, now=NOW, limits=limits())
    with pytest.raises(CustomerCapReachedError):
        returns.create(a_return(3), line_quantities=QUANTITIES, now=NOW, limits=limits())
    assert returns.get(a_return(3).rma) is None
    # A pending one still counts as started, and another shopper has a cap of their own.
    returns.create(pending(a_return(4)), line_quantities=QUANTITIES, now=NOW, limits=limits())
    returns.create(a_return(5, email="sam@example.com"), line_quantities=QUANTITIES, now=NOW, limits=limits())


def test_starts_older_than_ninety_days_make_room_again(returns: Any) -> None:
    returns.create(a_return(1), line_quantities=QUANTITIES, now=NOW, limits=limits(cap=1))
    later = NOW + timedelta(days=90, seconds=1)
    returns.create(a_return(2, at=later), line_quantities=QUANTITIES, now=later, limits=limits(cap=1, day=later))
    with pytest.raises(CustomerCapReachedError):
        returns.create(a_return(3, at=later), line_quantities=QUANTITIES, now=later, limits=limits(cap=1, day=later))


def test_an_order_starts_no_more_returns_a_day_than_its_limit(returns: Any) -> None:
    for bits in range(3):
        returns.create(a_return(bits), line_quantities=QUANTITIES, now=NOW, limits=limits(cap=None, per_day=3))
    with pytest.raises(OrderDayLimitReachedError):
        returns.create(a_return(9), line_quantities=QUANTITIES, now=NOW, limits=limits(cap=None, per_day=3))
    assert returns.get(a_return(9).rma) is None
    assert len(returns.of_order(a_return(9).order_number)) == 3
    tomorrow = NOW + timedelta(days=1)
    returns.create(a_return(9, at=tomorrow), line_quantities=QUANTITIES, now=tomorrow,
                   limits=limits(cap=None, per_day=3, day=tomorrow))


class ConflictOnce:
    """DynamoDB's answer to a transaction that met another one on the same item, once."""

    def __init__(self) -> None:
        self.answered = 0

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        if self.answered:
            return None
        self.answered += 1
        items = json.loads(request.body)["TransactItems"]
        body = json.dumps({
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "message": "Transaction cancelled, please refer cancellation reasons for specific reasons",
            "CancellationReasons": [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
                                    if i == 3 else {"Code": "None"} for i in range(len(items))],
        }).encode()
        raw = type("Raw", (), {"stream": lambda self, *a, **k: iter([body])})()
        return AWSResponse(request.url, 400, {"x-amzn-RequestId": "conflict"}, raw)


def test_a_transaction_conflict_on_the_shoppers_count_is_tried_again(dynamodb_client: Any, fresh_table: str) -> None:
    returns = DynamoDBReturnRepository(dynamodb_client, fresh_table)
    conflict = ConflictOnce()
    dynamodb_client.meta.events.register_first("before-send.dynamodb.TransactWriteItems", conflict)
    try:
        created = returns.create(a_return(1), line_quantities=QUANTITIES, now=NOW, limits=limits())
    finally:
        dynamodb_client.meta.events.unregister("before-send.dynamodb.TransactWriteItems", conflict)
    assert conflict.answered == 1
    assert returns.get(created.rma) == created


class OldCopyOnce:
    """The first eventually consistent GetItem answered with an older copy of the item, as a
    DynamoDB replica that has not seen the latest write may answer."""

    def __init__(self, item: dict[str, Any]) -> None:
        self.body = json.dumps({"Item": item}).encode()
        self.served = 0

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        if self.served or json.loads(request.body).get("ConsistentRead"):
            return None
        self.served += 1
        body = self.body
        raw = type("Raw", (), {"stream": lambda self, *a, **k: iter([body])})()
        return AWSResponse(request.url, 200, {"x-amzn-RequestId": "old-copy"}, raw)


def test_a_count_read_from_a_replica_behind_the_table_never_lets_a_return_past_the_cap(
    dynamodb_client: Any, fresh_table: str
) -> None:
    returns = DynamoDBReturnRepository(dynamodb_client, fresh_table)
    key = customer_returns_key("aiko@example.jp")
    returns.create(a_return(1), line_quantities=QUANTITIES, now=NOW, limits=limits())
    one_start = dynamodb_client.get_item(TableName=fresh_table, Key=key, ConsistentRead=True)["Item"]
    returns.create(a_return(2), line_quantities=QUANTITIES, now=NOW, limits=limits())
    old_copy = OldCopyOnce(one_start)
    dynamodb_client.meta.events.register_first("before-send.dynamodb.GetItem", old_copy)
    try:
        with pytest.raises(CustomerCapReachedError):
            returns.create(a_return(3), line_quantities=QUANTITIES, now=NOW, limits=limits())
    finally:
        dynamodb_client.meta.events.unregister("before-send.dynamodb.GetItem", old_copy)
    assert old_copy.served == 1
    assert returns.get(a_return(3).rma) is None
