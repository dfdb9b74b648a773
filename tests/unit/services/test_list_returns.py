"""The admin's return lists with fakes: by status (the default), by order, by shopper, one at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.in_memory_approvals import InMemoryReturnListings
from chalicelib.adapters.in_memory_returns import InMemoryReturnRepository
from chalicelib.domain.errors import ValidationError
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ReturnRequest, rma_from_bits
from chalicelib.services.list_returns import list_returns
from tests.builders import an_order
from tests.fakes import FixedClock

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass
class Deps:
    returns: InMemoryReturnRepository = field(default_factory=InMemoryReturnRepository)
    clock: FixedClock = field(default_factory=lambda: FixedClock(NOW))

    @property
    def listings(self) -> InMemoryReturnListings:
        return InMemoryReturnListings(self.returns)


def store(deps: Deps, bits: int, *, number: str, email: str, pending: bool = False, minutes: int = 0) -> str:
    order = an_order(number=number, email=email)
    selections = (Selection("L1", 1, "too_small"),)
    request = ReturnRequest.request(
        rma=rma_from_bits(bits), order=order, selections=selections,
        quote=quote(order, selections, DEFAULT_POLICY, resolution="refund"), needs_approval=pending,
        at=NOW - timedelta(minutes=minutes),
    )
    deps.returns.create(request, line_quantities={"L1": 10}, now=NOW)
    return request.rma


@pytest.fixture
def deps() -> Deps:
    return Deps()


def rmas(listed: object) -> list[str]:
    return [r.rma for r, _ in listed.returns]  # type: ignore[attr-defined]


def test_without_a_filter_the_pending_returns_are_listed(deps: Deps) -> None:
    pending = store(deps, 1, number="1001", email="a@example.com", pending=True, minutes=90)
    store(deps, 2, number="1002", email="b@example.com")
    listed = list_returns(deps)
    assert rmas(listed) == [pending]
    assert listed.returns[0][1] == timedelta(minutes=90)


def test_an_email_finds_the_shoppers_returns_whatever_its_case_and_spaces(deps: Deps) -> None:
    older = store(deps, 1, number="1001", email="Mia.Chen@Example.com", minutes=60)
    newer = store(deps, 2, number="1002", email="mia.chen@example.com", minutes=5)
    store(deps, 3, number="1003", email="other@example.com")
    assert rmas(list_returns(deps, email="  MIA.CHEN@example.COM ")) == [newer, older]
    assert rmas(list_returns(deps, email="nobody@example.com")) == []


def test_an_order_number_finds_that_orders_returns_newest_first(deps: Deps) -> None:
    first = store(deps, 1, number="A-1001", email="a@example.com", minutes=60)
    second = store(deps, 2, number="A-1001", email="a@example.com", minutes=1)
    store(deps, 3, number="A-1002", email="a@example.com")
    assert rmas(list_returns(deps, order_number=" A-1001 ")) == [second, first]


def test_pages_follow_the_cursor(deps: Deps) -> None:
    made = {store(deps, bits, number="1001", email="a@example.com", minutes=bits) for bits in range(1, 6)}
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = list_returns(deps, order_number="1001", limit=2, cursor=cursor)
        seen += rmas(page)
        cursor = page.cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(made) and len(seen) == len(made)


@pytest.mark.parametrize("asked", [
    {"status": "approved", "email": "a@example.com"},
    {"status": "approved", "order_number": "1001"},
    {"order_number": "1001", "email": "a@example.com"},
    {"status": "approved", "order_number": "1001", "email": "a@example.com"},
])
def test_two_filters_at_once_are_refused_naming_them(deps: Deps, asked: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as refused:
        list_returns(deps, **asked)  # type: ignore[arg-type]
    assert set(refused.value.fields) == set(asked)


@pytest.mark.parametrize(("asked", "field_name"), [
    ({"email": "not an address"}, "email"),
    ({"email": ""}, "email"),
    ({"order_number": ""}, "order_number"),
    ({"order_number": "10/01"}, "order_number"),
    ({"order_number": "1" * 65}, "order_number"),
    ({"status": "lost"}, "status"),
    ({"order_number": "1001", "limit": 0}, "limit"),
    ({"email": "a@example.com", "limit": 101}, "limit"),
])
def test_bad_filters_are_refused_naming_the_field(deps: Deps, asked: dict[str, object], field_name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        list_returns(deps, **asked)  # type: ignore[arg-type]
    assert refused.value.fields == (field_name,)
