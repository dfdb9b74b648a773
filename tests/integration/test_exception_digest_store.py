"""The merchant's exception emails per order and day (ports.ExceptionDigests), held by the
in-memory fake and by DynamoDB alike."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any

import pytest

from chalicelib.adapters.dynamodb_exception_digests import DynamoDBExceptionDigests, InMemoryExceptionDigests

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DAY = date(2026, 11, 23)


@pytest.fixture(params=["in_memory", "dynamodb"])
def digests(request: pytest.FixtureRequest) -> Any:
    if request.param == "in_memory":
        return InMemoryExceptionDigests()
    return DynamoDBExceptionDigests(request.getfixturevalue("dynamodb_client"), request.getfixturevalue("fresh_table"))


def test_the_first_exception_of_an_order_s_day_goes_at_once_and_the_others_wait_in_order(digests: Any) -> None:
    assert digests.record("1001", DAY, "R-A", now=NOW) is True
    assert digests.record("1001", DAY, "R-B", now=NOW) is False
    assert digests.record("1001", DAY, "R-C", now=NOW) is False
    assert digests.record("1002", DAY, "R-D", now=NOW) is True  # another order has its own first
    assert digests.record("1001", date(2026, 11, 24), "R-E", now=NOW) is True  # and so has another day
    due = digests.due(DAY)
    assert [(d.order_number, d.rmas) for d in due] == [("1001", ("R-B", "R-C"))]


def test_a_digest_is_claimed_once_and_a_late_exception_then_goes_at_once(digests: Any) -> None:
    digests.record("1001", DAY, "R-A", now=NOW)
    digests.record("1001", DAY, "R-B", now=NOW)
    assert digests.claim("1001", DAY, now=NOW) is True
    assert digests.claim("1001", DAY, now=NOW) is False
    assert digests.due(DAY) == []
    assert digests.record("1001", DAY, "R-C", now=NOW) is True


def test_of_many_exceptions_at_once_exactly_one_is_first(digests: Any) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        firsts = list(pool.map(lambda i: digests.record("1001", DAY, f"R-{i:02d}", now=NOW), range(16)))
    assert firsts.count(True) == 1
    assert len(digests.due(DAY)[0].rmas) == 15
