"""The policy as a domain value: its defaults, its invariants and how rules pick a winner."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from chalicelib.domain.errors import ValidationError
from chalicelib.domain.money import Money
from chalicelib.domain.order import OrderLine
from chalicelib.domain.policy import (
    DEFAULT_POLICY,
    Fees,
    Policy,
    Reason,
    Resolutions,
    Rule,
    RuleMatch,
    is_known_time_zone,
)


def a_line(**overrides: Any) -> OrderLine:
    line = OrderLine(id="L1", sku="TEE", title="Tee", quantity=1, unit_price=Money(1000, "USD"),
                     tax=Money(0, "USD"), discount=Money(0, "USD"), product_type="apparel")
    return replace(line, **overrides)


def test_the_default_policy_is_the_one_product_md_gives_a_new_store() -> None:
    p = DEFAULT_POLICY

    assert (p.window_days, p.window_starts, p.exception_grace_days) == (30, "delivered", 30)
    assert p.rules == (Rule(RuleMatch(product_type="gift_card"), returnable=False),)
    assert p.final_sale_returnable is False
    assert [(r.code, r.requires_note, r.waive_fees) for r in p.reasons] == [
        ("too_small", False, False), ("too_large", False, False), ("changed_mind", False, False),
        ("not_as_described", True, False), ("damaged", True, True), ("wrong_item", False, True)]
    assert p.resolutions == Resolutions(refund=True, store_credit=True, store_credit_bonus_percent=10)
    assert p.fees == Fees(restocking_percent=0, return_shipping=())
    assert (p.refund_trigger, p.max_returns_per_customer_90d) == ("on_receipt", 10)
    assert (p.merchant_email, p.approval_link_ttl_hours) == ("returns@merchant.example", 168)
    assert (p.time_zone, p.approval_sla_hours, p.version) == ("UTC", 24, 0)
    # An approved return's parcel has 30 days to arrive before the daily job expires it.
    assert p.ship_within_days == 30


def test_the_version_does_not_change_what_a_policy_says() -> None:
    assert DEFAULT_POLICY.with_version(3) == DEFAULT_POLICY
    assert DEFAULT_POLICY.with_version(3).version == 3


# (what, overrides, the field named)
BROKEN: list[tuple[str, dict[str, Any], str]] = [
    ("a negative window", {"window_days": -1}, "window_days"),
    ("a negative grace period", {"exception_grace_days": -1}, "exception_grace_days"),
    ("an unknown time zone", {"time_zone": "Mars/Olympus"}, "time_zone"),
    ("a time zone given as a path", {"time_zone": "../../etc/passwd"}, "time_zone"),
    ("an unknown window start", {"window_starts": "ordered"}, "window_starts"),
    ("an unknown refund trigger", {"refund_trigger": "whenever"}, "refund_trigger"),
    ("an unknown timeout decision", {"on_approval_timeout": "maybe"}, "on_approval_timeout"),
    ("a merchant email that is no address", {"merchant_email": "returns"}, "merchant_email"),
    ("a link that never lives", {"approval_link_ttl_hours": 0}, "approval_link_ttl_hours"),
    ("no time at all to ship", {"ship_within_days": 0}, "ship_within_days"),
    ("over a year to ship", {"ship_within_days": 366}, "ship_within_days"),
    ("a rule that matches nothing", {"rules": (Rule(RuleMatch()),)}, "rules[0].match"),
    ("a ban with a window", {"rules": (Rule(RuleMatch(sku="A"), returnable=False, window_days=5),)},
     "rules[0].window_days"),
    ("no reasons", {"reasons": ()}, "reasons"),
    ("a reason twice", {"reasons": (Reason("a"), Reason("a"))}, "reasons[1].code"),
    ("no resolution offered", {"resolutions": Resolutions(refund=False, store_credit=False)}, "resolutions"),
    ("a bonus over 100 percent", {"resolutions": Resolutions(store_credit_bonus_percent=101)},
     "resolutions.store_credit_bonus_percent"),
    ("a restocking fee over 100 percent", {"fees": Fees(restocking_percent=120)}, "fees.restocking_percent"),
    ("two shipping fees for one currency", {"fees": Fees(return_shipping=(Money(1, "USD"), Money(2, "USD")))},
     "fees.return_shipping.USD"),
    ("a negative shipping fee", {"fees": Fees(return_shipping=(Money(-1, "JPY"),))}, "fees.return_shipping.JPY"),
]


@pytest.mark.parametrize(("what", "overrides", "field"), BROKEN, ids=[case[0] for case in BROKEN])
def test_a_broken_policy_cannot_be_built(what: str, overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        replace(DEFAULT_POLICY, **overrides)

    assert error.value.fields == (field,)


@pytest.mark.parametrize("days", [1, 30, 365, None])
def test_ship_within_days_takes_a_day_to_a_year_or_null_for_never(days: int | None) -> None:
    assert replace(DEFAULT_POLICY, ship_within_days=days).ship_within_days == days


def test_a_broken_policy_names_every_bad_field() -> None:
    with pytest.raises(ValidationError) as error:
        Policy(window_days=-1, time_zone="Nowhere", reasons=())

    assert set(error.value.fields) == {"window_days", "time_zone", "reasons"}


@pytest.mark.parametrize("name", ["UTC", "Asia/Tokyo", "Asia/Shanghai", "Asia/Seoul", "America/New_York"])
def test_iana_zone_names_are_known(name: str) -> None:
    assert is_known_time_zone(name)


def test_the_return_shipping_fee_is_looked_up_by_the_order_currency() -> None:
    fees = Fees(return_shipping=(Money(595, "USD"), Money(800, "JPY")))

    assert fees.return_shipping_in("JPY") == Money(800, "JPY")
    assert fees.return_shipping_in("KRW") == Money(0, "KRW")


# (what, line overrides, rules, index of the deciding rule or None)
DECIDING: list[tuple[str, dict[str, Any], tuple[Rule, ...], int | None]] = [
    ("no rule matches", {}, (Rule(RuleMatch(product_type="gift_card"), returnable=False),), None),
    ("a sku beats a tag", {"tags": ("sale",)},
     (Rule(RuleMatch(tag="sale"), returnable=False), Rule(RuleMatch(sku="TEE"))), 1),
    ("a tag beats a product type", {"tags": ("sale",)},
     (Rule(RuleMatch(tag="sale"), window_days=7), Rule(RuleMatch(product_type="apparel"), returnable=False)), 0),
    ("two criteria beat one at the same level", {"tags": ("sale",)},
     (Rule(RuleMatch(tag="sale"), window_days=7),
      Rule(RuleMatch(tag="sale", product_type="apparel"), window_days=90)), 1),
    ("a ban beats a window at the same level", {"tags": ("a", "b")},
     (Rule(RuleMatch(tag="a"), window_days=7), Rule(RuleMatch(tag="b"), returnable=False)), 1),
    ("a shorter window beats a longer one", {"tags": ("a", "b")},
     (Rule(RuleMatch(tag="a"), window_days=70), Rule(RuleMatch(tag="b"), window_days=7)), 1),
    ("a window of its own beats the policy's when shorter", {"tags": ("a", "b")},
     (Rule(RuleMatch(tag="a")), Rule(RuleMatch(tag="b"), window_days=7)), 1),
]


@pytest.mark.parametrize(("what", "line_overrides", "rules", "winner"), DECIDING, ids=[c[0] for c in DECIDING])
def test_the_most_specific_then_strictest_rule_decides(
    what: str, line_overrides: dict[str, Any], rules: tuple[Rule, ...], winner: int | None
) -> None:
    policy = replace(DEFAULT_POLICY, rules=rules)

    decided = policy.deciding_rule(a_line(**line_overrides))

    assert decided is (rules[winner] if winner is not None else None)


def test_reasons_are_found_by_code() -> None:
    reason = DEFAULT_POLICY.reason("damaged")

    assert reason is not None and reason.waive_fees and reason.requires_note
    assert DEFAULT_POLICY.reason("bored") is None
