"""Looking an order up: the right pair sees every line judged; any wrong pair learns nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.in_memory import InMemoryOrderRepository, InMemoryPolicyRepository, InMemoryReturnHistory
from chalicelib.adapters.signed_tokens import SignedTokens
from chalicelib.domain.errors import AuthenticationError, NotFoundError, ValidationError
from chalicelib.domain.order import Order
from chalicelib.domain.policy import Policy
from chalicelib.services.look_up_order import (
    ORDER_NOT_FOUND_MESSAGE,
    look_up_order,
    shopper_order_number,
)
from chalicelib.domain.reservations import ReturnedUnits
from chalicelib.web.schemas.orders import OrderIn
from tests.documents import an_order_document
from tests.fakes import FixedClock

# Delivered 2026-11-03 09:00 UTC; the default 30-day window's last day is 3 December (UTC).
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass
class Deps:
    orders: Any = field(default_factory=InMemoryOrderRepository)
    policies: Any = field(default_factory=InMemoryPolicyRepository)
    return_history: Any = field(default_factory=InMemoryReturnHistory)
    clock: FixedClock = field(default_factory=lambda: FixedClock(NOW))
    tokens: Any = field(default_factory=lambda: SignedTokens(lambda: "unit-test-key"))


def an_order(**overrides: Any) -> Order:
    return OrderIn.model_validate(an_order_document(**overrides)).to_domain()


@pytest.fixture
def deps() -> Deps:
    deps = Deps()
    deps.orders.save(an_order(), now=NOW)
    return deps


def test_the_right_pair_sees_every_line_judged_by_the_current_policy(deps: Deps) -> None:
    found = look_up_order(deps, "1001", "aiko@example.jp")
    assert found.order.number == "1001"
    assert [(v.line_id, v.status, v.reason_code) for v in found.verdicts] == [
        ("L1", "returnable", "within_window"),
        ("L2", "not_returnable", "final_sale"),
    ]
    assert found.policy.version == 0


@pytest.mark.parametrize("email", ["  AIKO@Example.JP ", "aiko@example.jp\n"])
def test_the_email_matches_whatever_its_case_and_surrounding_spaces(deps: Deps, email: str) -> None:
    assert look_up_order(deps, " 1001 ", email).order.number == "1001"


@pytest.mark.parametrize(
    ("number", "email"),
    [("1001", "someone@example.jp"), ("9999", "aiko@example.jp"), ("", "aiko@example.jp"), ("#", "aiko@example.jp")],
    ids=["wrong email", "unknown number", "no number", "only a hash sign"],
)
def test_any_wrong_pair_gets_the_same_neutral_answer(deps: Deps, number: str, email: str) -> None:
    with pytest.raises(NotFoundError) as refused:
        look_up_order(deps, number, email)
    assert refused.value.code == "order_not_found"
    assert refused.value.message == ORDER_NOT_FOUND_MESSAGE


@pytest.mark.parametrize("typed", ["#1001", "＃１００１", " 10 01 ", "No.1001", "１００１"])
def test_the_number_is_found_however_it_was_typed(deps: Deps, typed: str) -> None:
    found = look_up_order(deps, typed, "  AIKO@Example.jp ")
    assert found.order.number == "1001"
    assert shopper_order_number(deps, found.token) == "1001"


@pytest.mark.parametrize("email", ["", "aiko", "aiko@example", "ai ko@example.jp", "aiko@@example.jp"])
def test_an_email_that_is_no_address_is_a_format_problem_not_a_missing_order(deps: Deps, email: str) -> None:
    with pytest.raises(ValidationError) as refused:
        look_up_order(deps, "1001", email)
    assert refused.value.fields == ("email",)
    assert not isinstance(refused.value, NotFoundError)


def test_a_new_policy_judges_the_next_lookup(deps: Deps) -> None:
    deps.policies.save(Policy(window_days=7), expected_version=0, now=NOW)
    found = look_up_order(deps, "1001", "aiko@example.jp")
    assert found.policy.version == 1
    assert found.verdicts[0].status == "needs_approval"
    assert found.verdicts[0].reason_code == "window_passed"
    assert found.verdicts[0].policy_version == 1


def test_units_already_returned_or_in_open_returns_are_counted(deps: Deps) -> None:
    deps.return_history.units["1001"] = ReturnedUnits(returned={"L1": 1}, in_open_returns={"L1": 1})
    assert look_up_order(deps, "1001", "aiko@example.jp").verdicts[0].reason_code == "already_requested"


def test_the_shoppers_recent_returns_count_against_the_abuse_limit(deps: Deps) -> None:
    deps.return_history.customer_returns["aiko@example.jp"] = 10
    assert look_up_order(deps, "1001", "aiko@example.jp").verdicts[0].reason_code == "abuse_limit"


def test_the_token_is_for_this_order_and_lasts_thirty_minutes(deps: Deps) -> None:
    token = look_up_order(deps, "1001", "aiko@example.jp").token
    deps.clock.at = NOW + timedelta(minutes=29, seconds=59)
    assert shopper_order_number(deps, token) == "1001"
    deps.clock.at = NOW + timedelta(minutes=30)
    with pytest.raises(AuthenticationError):
        shopper_order_number(deps, token)
