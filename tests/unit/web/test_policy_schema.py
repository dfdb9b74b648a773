"""The policy document of the admin API: PRODUCT.md's body, our extensions, and every bad field."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import ValidationError
from chalicelib.domain.money import Money
from chalicelib.domain.policy import DEFAULT_POLICY, Rule, RuleMatch
from chalicelib.web.schemas.policy import PolicyIn, parse_policy, policy_to_json
from tests.documents import PRODUCT_MD_POLICY, a_policy_document


def test_the_product_md_body_is_the_default_policy() -> None:
    assert parse_policy(a_policy_document(), version=0) == DEFAULT_POLICY


def test_an_empty_document_takes_every_default() -> None:
    assert parse_policy({}, version=1) == DEFAULT_POLICY


def test_the_extensions_reach_the_domain() -> None:
    document = a_policy_document(
        time_zone="Asia/Tokyo", window_starts="fulfilled",
        rules=[{"match": {"tag": "holiday"}, "window_days": 60},
               {"match": {"sku": "GIFT-BOX", "product_type": "gift_card"}, "returnable": True}],
        fees={"restocking_percent": 10, "return_shipping": {"USD": 595, "JPY": 800}},
        refund_trigger="on_approval", max_returns_per_customer_90d=None,
        approval_sla_hours=12, approval_expiry_hours=72, on_approval_timeout="approve",
    )

    policy = parse_policy(document, version=5)

    assert policy.version == 5
    assert policy.time_zone == "Asia/Tokyo"
    assert policy.rules == (Rule(RuleMatch(tag="holiday"), window_days=60),
                            Rule(RuleMatch(product_type="gift_card", sku="GIFT-BOX")))
    assert policy.fees.return_shipping_in("JPY") == Money(800, "JPY")
    assert policy.fees.return_shipping_in("USD") == Money(595, "USD")
    assert (policy.refund_trigger, policy.max_returns_per_customer_90d) == ("on_approval", None)
    assert (policy.approval_sla_hours, policy.approval_expiry_hours, policy.on_approval_timeout) == (12, 72, "approve")


@pytest.mark.parametrize("days", [1, 14, 365, None])
def test_ship_within_days_reaches_the_domain_and_comes_back(days: int | None) -> None:
    policy = parse_policy(a_policy_document(ship_within_days=days), version=3)

    assert policy.ship_within_days == days
    assert policy_to_json(policy)["ship_within_days"] == days
    # Left out, it is the default: 30 days after approval.
    assert parse_policy(a_policy_document(), version=3).ship_within_days == 30


def test_a_policy_read_with_get_can_be_sent_back_with_put() -> None:
    policy = parse_policy(a_policy_document(time_zone="Asia/Seoul", fees={"return_shipping": {"KRW": 3000}}),
                          version=9)

    document = policy_to_json(policy)

    assert document["version"] == 9
    assert parse_policy(document, version=10) == policy


def test_policy_to_json_keeps_the_product_md_field_names() -> None:
    document = policy_to_json(DEFAULT_POLICY)

    for name, value in PRODUCT_MD_POLICY.items():
        if name != "reasons":
            assert document[name] == value, name
    assert [reason["code"] for reason in document["reasons"]] == [r["code"] for r in PRODUCT_MD_POLICY["reasons"]]


# (what, overrides, field named)
BAD_FIELDS: list[tuple[str, dict[str, Any], str]] = [
    ("a negative window", {"window_days": -1}, "window_days"),
    ("a window as text", {"window_days": "30"}, "window_days"),
    ("a window with decimals", {"window_days": 30.5}, "window_days"),
    ("an unknown window start", {"window_starts": "ordered"}, "window_starts"),
    ("an unknown time zone", {"time_zone": "Tokyo"}, "time_zone"),
    ("a rule matching nothing", {"rules": [{"match": {}, "returnable": False}]}, "rules[0].match"),
    ("a rule on an unknown criterion", {"rules": [{"match": {"brand": "x"}}]}, "rules[0].match.brand"),
    ("a ban with a window", {"rules": [{"match": {"sku": "A"}, "returnable": False, "window_days": 3}]},
     "rules[0].window_days"),
    ("a reason code with spaces", {"reasons": [{"code": "too small"}]}, "reasons[0].code"),
    ("a reason twice", {"reasons": [{"code": "a"}, {"code": "a"}]}, "reasons"),
    ("no reasons", {"reasons": []}, "reasons"),
    ("no resolution", {"resolutions": {"refund": False, "store_credit": False}}, "resolutions"),
    ("a bonus over 100", {"resolutions": {"store_credit_bonus_percent": 150}},
     "resolutions.store_credit_bonus_percent"),
    ("a fee in an unknown currency", {"fees": {"return_shipping": {"XYZ": 100}}}, "fees.return_shipping.XYZ"),
    ("a fee as a float", {"fees": {"return_shipping": {"USD": 5.95}}}, "fees.return_shipping.USD"),
    ("a negative restocking fee", {"fees": {"restocking_percent": -5}}, "fees.restocking_percent"),
    ("an unknown refund trigger", {"refund_trigger": "later"}, "refund_trigger"),
    ("a merchant email that is no address", {"merchant_email": "returns"}, "merchant_email"),
    ("a link that never lives", {"approval_link_ttl_hours": 0}, "approval_link_ttl_hours"),
    ("no time to ship", {"ship_within_days": 0}, "ship_within_days"),
    ("over a year to ship", {"ship_within_days": 366}, "ship_within_days"),
    ("days to ship as text", {"ship_within_days": "30"}, "ship_within_days"),
    ("an unknown field", {"window_length": 30}, "window_length"),
]


@pytest.mark.parametrize(("what", "overrides", "field"), BAD_FIELDS, ids=[case[0] for case in BAD_FIELDS])
def test_a_bad_field_is_named(what: str, overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        parse_policy(a_policy_document(**overrides), version=1)

    assert error.value.fields == (field,)


def test_a_bad_policy_reports_every_bad_field_at_once() -> None:
    document = a_policy_document(
        window_days=-3, time_zone="Nowhere/Land", merchant_email="x",
        rules=[{"match": {}}, {"match": {"tag": "a"}, "returnable": False, "window_days": 2}],
        fees={"restocking_percent": 101, "return_shipping": {"usd": 5}},
    )

    with pytest.raises(ValidationError) as error:
        parse_policy(document, version=1)

    assert set(error.value.fields) == {
        "window_days", "time_zone", "merchant_email", "rules[0].match", "rules[1].window_days",
        "fees.restocking_percent", "fees.return_shipping.usd",
    }


@given(
    window_days=st.integers(0, 3650), grace=st.integers(0, 3650), bonus=st.integers(0, 100),
    restocking=st.integers(0, 100), fees=st.dictionaries(st.sampled_from(["USD", "JPY", "KRW", "EUR"]),
                                                          st.integers(0, 10**6)),
    limit=st.none() | st.integers(0, 1000),
)
def test_every_valid_document_survives_a_round_trip(
    window_days: int, grace: int, bonus: int, restocking: int, fees: dict[str, int], limit: int | None
) -> None:
    document = a_policy_document(
        window_days=window_days, exception_grace_days=grace, max_returns_per_customer_90d=limit,
        resolutions={"store_credit_bonus_percent": bonus},
        fees={"restocking_percent": restocking, "return_shipping": fees},
    )

    policy = PolicyIn.model_validate(document).to_domain(2)

    assert parse_policy(policy_to_json(policy), version=2) == policy
