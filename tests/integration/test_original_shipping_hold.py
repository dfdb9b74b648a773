"""The return paying the original shipping holds it on the order: in memory and in DynamoDB alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.dynamodb_returns import DynamoDBReturnHistory, DynamoDBReturnRepository
from chalicelib.adapters.in_memory_returns import InMemoryReturnRepository
from chalicelib.domain.errors import ConflictError
from chalicelib.domain.money import Money
from chalicelib.domain.order import ORIGINAL_SHIPPING
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ReturnRequest, rma_from_bits
from tests.builders import an_order

NOW = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)
QUANTITIES = {"L1": 2}
POLICY = replace(DEFAULT_POLICY, original_shipping_refund=("fee_waiving_reasons",))


def a_damaged_unit(bits: int, *, holding: bool = True) -> ReturnRequest:
    """One damaged tee; `holding`: priced as the return that pays back the original shipping."""
    order = an_order()
    selections = (Selection("L1", 1, "damaged", "torn seam"),)
    before = {} if holding else {ORIGINAL_SHIPPING: 1}
    priced = quote(order, selections, POLICY, resolution="refund", returned_before=before, at=NOW)
    return ReturnRequest.request(rma=rma_from_bits(bits), order=order, selections=selections, quote=priced,
                                 needs_approval=False, at=NOW)


@pytest.fixture(params=["in_memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    if request.param == "in_memory":
        fake = InMemoryReturnRepository()
        return fake, fake
    client, table = request.getfixturevalue("dynamodb_client"), request.getfixturevalue("fresh_table")
    return DynamoDBReturnRepository(client, table), DynamoDBReturnHistory(client, table)


def test_the_hold_and_the_shipping_read_back_with_the_return(store: tuple[Any, Any]) -> None:
    returns, history = store
    created = returns.create(a_damaged_unit(1), line_quantities=QUANTITIES, now=NOW)

    loaded = returns.get(created.rma)
    assert loaded == created and loaded.holds_original_shipping
    assert loaded.quote.shipping == Money(600, "JPY")
    assert history.units_of_order("1001").in_open_returns.get(ORIGINAL_SHIPPING) == 1


def test_a_second_return_cannot_hold_the_shipping_too(store: tuple[Any, Any]) -> None:
    returns, history = store
    returns.create(a_damaged_unit(1), line_quantities=QUANTITIES, now=NOW)

    # Priced on a read from before the first return: it would pay the shipping again.
    with pytest.raises(ConflictError):
        returns.create(a_damaged_unit(2), line_quantities=QUANTITIES, now=NOW)
    assert returns.get(rma_from_bits(2)) is None
    assert dict(history.units_of_order("1001").in_open_returns) == {"L1": 1, ORIGINAL_SHIPPING: 1}


def test_cancelling_the_holder_frees_the_shipping_for_the_next_return(store: tuple[Any, Any]) -> None:
    returns, history = store
    created = returns.create(a_damaged_unit(1), line_quantities=QUANTITIES, now=NOW)
    later = NOW + timedelta(hours=1)
    returns.save(created.cancel(at=later), new_events=1, now=later)

    assert history.units_of_order("1001").in_open_returns.get(ORIGINAL_SHIPPING) == 0
    assert returns.create(a_damaged_unit(2), line_quantities=QUANTITIES, now=later).holds_original_shipping
