"""The return listings' contract, held by the DynamoDB adapter (local server) and the in-memory fake
alike: an order's and a shopper's returns, newest first, page by page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.dynamodb_approvals import DynamoDBReturnListings
from chalicelib.adapters.dynamodb_returns import DynamoDBReturnRepository
from chalicelib.adapters.in_memory_approvals import InMemoryReturnListings
from chalicelib.adapters.in_memory_returns import InMemoryReturnRepository
from chalicelib.domain.errors import ValidationError
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ReturnRequest, rma_from_bits
from tests.builders import an_order

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def a_return(bits: int, *, number: str, email: str, at: datetime) -> ReturnRequest:
    order = an_order(number=number, email=email)
    selections = (Selection("L1", 1, "too_small"),)
    return ReturnRequest.request(
        rma=rma_from_bits(bits), order=order, selections=selections,
        quote=quote(order, selections, DEFAULT_POLICY, resolution="refund"), needs_approval=False, at=at,
    )


@pytest.fixture(params=["in_memory", "dynamodb"])
def stored(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    """(ReturnRepository, ReturnListings) over the same data."""
    if request.param == "in_memory":
        fake = InMemoryReturnRepository()
        return fake, InMemoryReturnListings(fake)
    client, table = request.getfixturevalue("dynamodb_client"), request.getfixturevalue("fresh_table")
    return DynamoDBReturnRepository(client, table), DynamoDBReturnListings(client, table)


def every_page(listing: Any, key: str, **scope: Any) -> list[list[str]]:
    """The RMAs of each page of `listing.<key>` with limit 2, following the cursors to the end."""
    pages: list[list[str]] = []
    cursor = None
    while True:
        page = getattr(listing, key)(**scope, limit=2, cursor=cursor)
        pages.append([r.rma for r in page.returns])
        cursor = page.cursor
        if cursor is None:
            return pages
        assert len(pages) < 10, "the cursor never ends"


def test_an_orders_returns_come_newest_first_in_pages_and_no_other_orders(stored: tuple[Any, Any]) -> None:
    returns, listings = stored
    for bits in range(1, 6):
        # Order 1001 has lines of 2 units: one order per return keeps the reservations simple.
        number = "1001" if bits % 2 else "1002"
        returns.create(a_return(bits, number=number, email="aiko@example.jp", at=NOW + timedelta(minutes=bits)),
                       line_quantities={"L1": 5}, now=NOW)

    pages = every_page(listings, "by_order", order_number="1001")

    rmas = [rma for page in pages for rma in page]
    assert rmas == [rma_from_bits(5), rma_from_bits(3), rma_from_bits(1)]
    assert all(len(page) <= 2 for page in pages)
    assert every_page(listings, "by_order", order_number="9999") == [[]]


def test_a_shoppers_returns_span_their_orders_newest_first(stored: tuple[Any, Any]) -> None:
    returns, listings = stored
    mine = [a_return(1, number="2001", email="mia@example.com", at=NOW),
            a_return(2, number="2002", email="mia@example.com", at=NOW + timedelta(days=3)),
            a_return(3, number="2003", email="mia@example.com", at=NOW + timedelta(days=1))]
    for request in [*mine, a_return(4, number="2004", email="someone@example.com", at=NOW)]:
        returns.create(request, line_quantities={"L1": 2}, now=NOW)

    pages = every_page(listings, "by_customer", email="mia@example.com")

    assert [rma for page in pages for rma in page] == [rma_from_bits(2), rma_from_bits(3), rma_from_bits(1)]
    # The merchant email's "earlier returns" read the same listing.
    assert [r.rma for r in listings.of_customer("mia@example.com", limit=2)] == [rma_from_bits(2), rma_from_bits(3)]


def test_a_cursor_of_another_listing_or_made_up_is_refused(dynamodb_client: Any, fresh_table: str) -> None:
    # DynamoDB's listings only: the fake's cursors are plain base64 of the sort key.
    returns = DynamoDBReturnRepository(dynamodb_client, fresh_table)
    listings = DynamoDBReturnListings(dynamodb_client, fresh_table)
    for bits in (1, 2, 3):
        returns.create(a_return(bits, number="3001", email="kim@example.kr", at=NOW + timedelta(minutes=bits)),
                       line_quantities={"L1": 5}, now=NOW)
    by_status = listings.with_status("approved", newest_first=True, limit=1, cursor=None)
    assert by_status.cursor is not None
    with pytest.raises(ValidationError):
        listings.by_order("3001", limit=1, cursor=by_status.cursor)
    with pytest.raises(ValidationError):
        listings.by_customer("kim@example.kr", limit=1, cursor="eyJhZnRlciI6IngifQ")


def test_a_listed_return_tells_how_long_it_has_been_in_its_status_not_since_it_was_made(
    stored: tuple[Any, Any],
) -> None:
    """Listings carry no timeline: the age staff see and the jobs act on must still count from the
    return's last move (here an approval two days after the request), not from its creation."""
    returns, listings = stored
    late = a_return(7, number="1003", email="mina@example.kr", at=NOW)
    pending = returns.create(
        ReturnRequest.request(rma=late.rma, order=an_order(number="1003", email="mina@example.kr"),
                              selections=(Selection("L1", 1, "too_small"),), quote=late.quote,
                              needs_approval=True, at=NOW),
        line_quantities={"L1": 5}, now=NOW)
    approved_at = NOW + timedelta(days=2)
    returns.save(pending.approve(at=approved_at, actor="merchant"), new_events=1, now=approved_at)
    listed = listings.with_status("approved", newest_first=True, limit=10, cursor=None).returns
    assert [r.rma for r in listed] == [late.rma]
    assert listed[0].status_changed_at == approved_at
    [of_order] = returns.of_order("1003")
    assert of_order.status_changed_at == approved_at
