"""The counts a new return reserves in its own write: the shopper's 90-day cap and the order's day."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.in_memory_returns import InMemoryReturnRepository
from chalicelib.domain.errors import RateLimitedError
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.services.request_return import RETURNS_PER_ORDER_PER_DAY, request_return
from chalicelib.web.schemas.orders import OrderIn
from tests.documents import an_order_document
from tests.unit.services.test_request_return import NOW, Deps, one


class BlindHistory(InMemoryReturnRepository):
    """A 90-day count read before the shopper's other returns were written (the index lags, or
    they were created at the same instant): it always answers none."""

    def customer_returns_90d(self, email: str, *, now: datetime) -> int:
        return 0


def a_store(*, cap: int | None, orders: int = 1, returns: Any = None) -> Deps:
    deps = Deps(returns=returns or InMemoryReturnRepository())
    deps.policies.save(replace(DEFAULT_POLICY, max_returns_per_customer_90d=cap), expected_version=0, now=NOW)
    for i in range(orders):
        document = an_order_document(number=f"{1001 + i}")
        deps.orders.save(OrderIn.model_validate(document).to_domain(), now=NOW)
    return deps


def test_the_cap_holds_when_the_count_read_before_the_write_missed_the_other_returns() -> None:
    deps = a_store(cap=2, orders=4, returns=BlindHistory())
    made = [request_return(deps, order_number=f"{1001 + i}", selections=one(), resolution="refund")
            for i in range(4)]
    assert [r.status for r in made] == ["approved", "approved", "pending_approval", "pending_approval"]


def test_cancelled_returns_still_count_as_started_toward_the_cap() -> None:
    deps = a_store(cap=2, orders=3, returns=BlindHistory())
    first = request_return(deps, order_number="1001", selections=one(), resolution="refund")
    deps.returns.save(first.cancel(at=NOW), new_events=1, now=NOW)
    request_return(deps, order_number="1002", selections=one(), resolution="refund")
    third = request_return(deps, order_number="1003", selections=one(), resolution="refund")
    assert third.status == "pending_approval"


def test_returns_older_than_ninety_days_leave_the_cap() -> None:
    deps = a_store(cap=1, returns=BlindHistory())
    request_return(deps, order_number="1001", selections=one(), resolution="refund")
    # A second order delivered 91 days later, still in its own window.
    later = NOW + timedelta(days=91)
    document = an_order_document(number="1002", placed_at="2027-02-20T10:00:00Z", delivered_at="2027-02-21T10:00:00Z")
    deps.orders.save(OrderIn.model_validate(document).to_domain(), now=later)
    deps.clock.at = later
    assert request_return(deps, order_number="1002", selections=one(), resolution="refund").status == "approved"


def test_an_order_starts_a_few_returns_a_day_then_is_told_to_come_back_tomorrow() -> None:
    deps = a_store(cap=None)
    for _ in range(RETURNS_PER_ORDER_PER_DAY):
        created = request_return(deps, order_number="1001", selections=one(quantity=2), resolution="refund")
        deps.returns.save(created.cancel(at=NOW), new_events=1, now=NOW)
    with pytest.raises(RateLimitedError) as limited:
        request_return(deps, order_number="1001", selections=one(quantity=2), resolution="refund")
    assert limited.value.code == "too_many_returns"
    # The store's day (UTC here) ends at midnight, twelve hours after NOW.
    assert limited.value.retry_after == 12 * 3600
    assert len(deps.returns.of_order("1001")) == RETURNS_PER_ORDER_PER_DAY
    deps.clock.at = datetime(2026, 11, 24, 0, 0, 1, tzinfo=UTC)
    assert request_return(deps, order_number="1001", selections=one(), resolution="refund").status == "approved"


def test_a_policy_that_drops_the_cap_between_judging_and_writing_approves_without_looping() -> None:
    deps = a_store(cap=2, orders=3, returns=BlindHistory())
    for number in ("1001", "1002"):
        request_return(deps, order_number=number, selections=one(), resolution="refund")

    class CapDroppedMeanwhile:
        """The cap of 2 for the first judging; saved without a cap right after it."""

        def __init__(self) -> None:
            self.reads = 0

        def current(self, *, consistent: bool = True) -> Any:
            self.reads += 1
            assert self.reads < 10, "the creation keeps judging again"
            cap = 2 if self.reads == 1 else None
            return replace(DEFAULT_POLICY, max_returns_per_customer_90d=cap)

    deps.policies = CapDroppedMeanwhile()
    assert request_return(deps, order_number="1003", selections=one(), resolution="refund").status == "approved"
