"""What the returns report reads, held by the DynamoDB adapter (local server) and the in-memory fake
alike: the returns that moved to a status within [since, until), and how many wait in a status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.dynamodb_return_reports import DynamoDBReturnReports
from chalicelib.adapters.dynamodb_returns import DynamoDBReturnRepository
from chalicelib.adapters.in_memory_return_reports import InMemoryReturnReports
from chalicelib.adapters.in_memory_returns import InMemoryReturnRepository
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ReturnRequest, rma_from_bits
from tests.builders import an_order

SINCE = datetime(2026, 10, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 1, tzinfo=UTC)


def an_approved_return(bits: int) -> ReturnRequest:
    order = an_order(number=f"9{bits:03d}")
    selections = (Selection("L1", 1, "too_small"),)
    return ReturnRequest.request(
        rma=rma_from_bits(bits), order=order, selections=selections,
        quote=quote(order, selections, DEFAULT_POLICY, resolution="refund"), needs_approval=False,
        at=SINCE - timedelta(days=20),
    )


@pytest.fixture(params=["in_memory", "dynamodb"])
def stored(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    """(ReturnRepository, ReturnReports) over the same data; DynamoDB in pages of two items."""
    if request.param == "in_memory":
        fake = InMemoryReturnRepository()
        return fake, InMemoryReturnReports(fake)
    client, table = request.getfixturevalue("dynamodb_client"), request.getfixturevalue("fresh_table")
    return DynamoDBReturnRepository(client, table), DynamoDBReturnReports(client, table, page_size=2)


def cancelled_at(returns: Any, bits: int, at: datetime) -> str:
    created = returns.create(an_approved_return(bits), line_quantities={"L1": 2}, now=at)
    returns.save(created.cancel(at=at), new_events=1, now=at)
    return str(created.rma)


def test_the_returns_that_reached_a_status_in_the_period_are_read_to_the_second(stored: tuple[Any, Any]) -> None:
    returns, reports = stored
    inside = [
        cancelled_at(returns, 1, SINCE),
        cancelled_at(returns, 2, SINCE + timedelta(days=3)),
        cancelled_at(returns, 3, SINCE + timedelta(days=12)),
        cancelled_at(returns, 4, SINCE + timedelta(days=20)),
        cancelled_at(returns, 5, UNTIL - timedelta(seconds=1)),
    ]
    cancelled_at(returns, 6, SINCE - timedelta(seconds=1))
    cancelled_at(returns, 7, UNTIL)
    # Still approved: another partition.
    returns.create(an_approved_return(8), line_quantities={"L1": 2}, now=SINCE)

    found = list(reports.reached_between("cancelled", since=SINCE, until=UNTIL))

    assert [r.rma for r in found] == inside
    assert {r.status for r in found} == {"cancelled"}
    assert list(reports.reached_between("refunded", since=SINCE, until=UNTIL)) == []


def test_the_backlog_counts_every_return_in_a_status(stored: tuple[Any, Any]) -> None:
    returns, reports = stored
    for bits in range(1, 6):
        returns.create(an_approved_return(bits), line_quantities={"L1": 2}, now=SINCE)
    cancelled_at(returns, 6, SINCE)
    assert reports.count_in("approved") == 5
    assert reports.count_in("cancelled") == 1
    assert reports.count_in("pending_approval") == 0
