"""The policy repository contract, held by the in-memory fake and by DynamoDB alike."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.adapters.dynamodb_policy import DynamoDBPolicyRepository
from chalicelib.adapters.in_memory import InMemoryPolicyRepository
from chalicelib.domain.errors import StaleWriteError
from chalicelib.domain.money import Money
from chalicelib.domain.policy import DEFAULT_POLICY, Fees, Policy, Rule, RuleMatch
from chalicelib.services.manage_policy import replace_policy
from tests.fakes import FixedClock

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass
class Deps:
    policies: Any
    clock: FixedClock


def a_policy(window_days: int = 30, **changes: Any) -> Policy:
    return Policy(window_days=window_days, **changes)


@pytest.fixture(params=["in_memory", "dynamodb"])
def policies(request: pytest.FixtureRequest) -> Any:
    if request.param == "in_memory":
        return InMemoryPolicyRepository()
    return DynamoDBPolicyRepository(
        request.getfixturevalue("dynamodb_client"), request.getfixturevalue("fresh_table")
    )


def test_a_new_store_is_on_the_default_policy_at_version_zero(policies: Any) -> None:
    current = policies.current()
    assert current == DEFAULT_POLICY
    assert current.version == 0
    assert policies.versions() == []
    assert policies.get_version(1) is None


def test_a_saved_policy_becomes_current_and_reads_back_equal(policies: Any) -> None:
    policy = a_policy(
        window_days=14, time_zone="Asia/Tokyo", max_returns_per_customer_90d=None,
        rules=(Rule(RuleMatch(product_type="gift_card"), returnable=False),
               Rule(RuleMatch(tag="swimwear", sku="SW-1"), window_days=7)),
        fees=Fees(restocking_percent=5, return_shipping=(Money(800, "JPY"), Money(595, "USD"))),
    )
    saved = policies.save(policy, expected_version=0, now=NOW)
    assert saved.version == 1
    current = policies.current()
    assert current == policy
    assert current.version == 1
    assert policies.get_version(1) == policy
    assert policies.get_version(1).fees.return_shipping_in("USD") == Money(595, "USD")


def test_every_save_is_a_new_version_and_history_is_newest_first(policies: Any) -> None:
    for version, days in enumerate((30, 14, 60), start=1):
        assert policies.save(a_policy(days), expected_version=version - 1, now=NOW).version == version
    assert [p.version for p in policies.versions()] == [3, 2, 1]
    assert [p.window_days for p in policies.versions()] == [60, 14, 30]
    assert policies.current().window_days == 60
    # Old versions stay as they were: returns judged by them can be explained later.
    assert policies.get_version(2).window_days == 14


def test_a_save_on_a_stale_version_is_refused_and_changes_nothing(policies: Any) -> None:
    policies.save(a_policy(14), expected_version=0, now=NOW)
    policies.save(a_policy(21), expected_version=1, now=NOW)
    for stale in (0, 1, 5):
        with pytest.raises(StaleWriteError):
            policies.save(a_policy(99), expected_version=stale, now=NOW)
    assert policies.current().window_days == 21
    assert [p.version for p in policies.versions()] == [2, 1]


def test_of_concurrent_writers_on_one_version_exactly_one_wins(policies: Any) -> None:
    policies.save(a_policy(30), expected_version=0, now=NOW)

    def write(i: int) -> bool:
        try:
            policies.save(a_policy(100 + i), expected_version=1, now=NOW)
            return True
        except StaleWriteError:
            return False

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(write, range(8)))
    assert outcomes.count(True) == 1
    assert policies.current().window_days == 100 + outcomes.index(True)
    assert [p.version for p in policies.versions()] == [2, 1]


def test_concurrent_replacements_all_land_as_consecutive_versions(policies: Any) -> None:
    deps = Deps(policies, FixedClock(NOW))
    writers = range(6)
    with ThreadPoolExecutor(max_workers=6) as pool:
        stored = list(pool.map(lambda i: replace_policy(deps, a_policy(200 + i)), writers))
    assert sorted(p.version for p in stored) == [1, 2, 3, 4, 5, 6]
    history = policies.versions()
    assert [p.version for p in history] == [6, 5, 4, 3, 2, 1]
    assert sorted(p.window_days for p in history) == [200 + i for i in writers]
    assert policies.current() == history[0]


@pytest.mark.parametrize("days", [7, None])
def test_ship_within_days_reads_back_as_saved_null_included(policies: Any, days: int | None) -> None:
    policies.save(a_policy(ship_within_days=days), expected_version=0, now=NOW)
    assert policies.current().ship_within_days == days
    assert policies.get_version(1).ship_within_days == days


def test_a_version_stored_before_ship_within_days_existed_reads_as_the_default(
    dynamodb_client: Any, fresh_table: str,
) -> None:
    from chalicelib.adapters.dynamodb_items import to_item
    from chalicelib.domain.policy import policy_document

    policies = DynamoDBPolicyRepository(dynamodb_client, fresh_table)
    old = policy_document(a_policy(14))
    del old["ship_within_days"]
    for sk in ("CURRENT", "V#00000001"):
        dynamodb_client.put_item(TableName=fresh_table, Item=to_item({
            "pk": "POLICY", "sk": sk, "version": 1, "current_version": 1, "saved_at": "2026-01-01T00:00:00Z",
            "document": old,
        }))
    assert policies.current().ship_within_days == 30
    assert policies.get_version(1).ship_within_days == 30
    assert policies.current().window_days == 14


def test_the_history_says_when_and_by_whom_each_version_was_saved(policies: Any) -> None:
    policies.save(a_policy(window_days=14), expected_version=0, now=NOW)
    later = NOW.replace(hour=13)
    policies.save(a_policy(window_days=7), expected_version=1, now=later, saved_by="staff:owner@retour.local")
    history = policies.history(10)
    assert [(h.policy.version, h.policy.window_days) for h in history] == [(2, 7), (1, 14)]
    assert [(h.saved_at, h.saved_by) for h in history] == [(later, "staff:owner@retour.local"), (NOW, None)]
    assert [h.policy.version for h in policies.history(1)] == [2]
