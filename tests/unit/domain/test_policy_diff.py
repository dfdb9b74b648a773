"""The difference between two policy versions, as the version history shows it."""

from __future__ import annotations

from chalicelib.domain.money import Money
from chalicelib.domain.policy import DEFAULT_POLICY, Fees, Policy, Reason, Resolutions, Rule, RuleMatch
from chalicelib.domain.policy_diff import PolicyChange, diff_policies


def test_the_same_policy_has_no_differences() -> None:
    assert diff_policies(DEFAULT_POLICY, Policy(version=4)) == []


def test_a_changed_setting_shows_old_and_new() -> None:
    changes = diff_policies(DEFAULT_POLICY, Policy(window_days=14, approval_sla_hours=48))
    assert changes == [PolicyChange("window_days", "changed", 30, 14),
                       PolicyChange("approval_sla_hours", "changed", 24, 48)]


def test_nested_settings_are_named_by_their_path() -> None:
    new = Policy(resolutions=Resolutions(refund=False), fees=Fees(restocking_percent=5))
    assert {(c.field, c.before, c.after) for c in diff_policies(DEFAULT_POLICY, new)} == {
        ("resolutions.refund", True, False),
        ("fees.restocking_percent", 0, 5),
    }


def test_rules_are_compared_entry_by_entry_by_what_they_match() -> None:
    gift_cards = RuleMatch(product_type="gift_card")
    swimwear = RuleMatch(tag="swimwear")
    old = Policy(rules=(Rule(gift_cards, returnable=False), Rule(swimwear, window_days=7)))
    new = Policy(rules=(Rule(swimwear, window_days=14), Rule(RuleMatch(sku="X-1"), returnable=False)))
    changes = diff_policies(old, new)
    assert changes == [
        PolicyChange("rules", "removed", Rule(gift_cards, returnable=False), None, gift_cards),
        PolicyChange("rules", "changed", Rule(swimwear, window_days=7), Rule(swimwear, window_days=14), swimwear),
        PolicyChange("rules", "added", None, Rule(RuleMatch(sku="X-1"), returnable=False), RuleMatch(sku="X-1")),
    ]


def test_reasons_and_fees_are_compared_by_code_and_currency() -> None:
    old = Policy(reasons=(Reason("too_small"), Reason("damaged")),
                 fees=Fees(return_shipping=(Money(595, "USD"),)))
    new = Policy(reasons=(Reason("too_small", requires_note=True), Reason("late")),
                 fees=Fees(return_shipping=(Money(800, "JPY"), Money(695, "USD"))))
    found = {(c.field, c.kind, c.entry) for c in diff_policies(old, new)}
    assert found == {
        ("reasons", "changed", "too_small"),
        ("reasons", "removed", "damaged"),
        ("reasons", "added", "late"),
        ("fees.return_shipping", "changed", "USD"),
        ("fees.return_shipping", "added", "JPY"),
    }
