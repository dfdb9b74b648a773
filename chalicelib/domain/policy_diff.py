"""What changed between two versions of the policy, field by field and list entry by list entry."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from .policy import Policy, Rule, RuleMatch

ChangeKind = Literal["changed", "added", "removed"]

# The single-valued settings, in the order the editor shows them.
SETTINGS: tuple[str, ...] = (
    "window_days",
    "window_starts",
    "exception_grace_days",
    "time_zone",
    "final_sale_returnable",
    "resolutions.refund",
    "resolutions.store_credit",
    "resolutions.store_credit_bonus_percent",
    "store_credit_expiry_days",
    "refund_trigger",
    "fees.restocking_percent",
    "merchant_email",
    "approval_sla_hours",
    "approval_link_ttl_hours",
    "approval_expiry_hours",
    "on_approval_timeout",
    "ship_within_days",
    "ship_reminder_days_before",
    "max_returns_per_customer_90d",
    # shipping: the occasions on which the original shipping is refunded (a tuple; empty: never).
    "original_shipping_refund",
    # exchanges (issue 19): which variants, when the replacement order is made, what if stock runs out.
    "exchanges",
    "exchange_trigger",
    "exchange_out_of_stock",
)


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """One difference: a setting's old and new value, or a list entry added, removed or changed.

    `entry` names the list entry (a rule's RuleMatch, a reason's code, a fee's currency); None for
    a setting. `before` is None for an added entry, `after` for a removed one.
    """

    field: str
    kind: ChangeKind
    before: object
    after: object
    entry: object = None


def setting(policy: Policy, name: str) -> object:
    """The value of a dotted setting name ("fees.restocking_percent") in `policy`."""
    value: object = policy
    for part in name.split("."):
        value = getattr(value, part)
    return value


def diff_policies(old: Policy, new: Policy) -> list[PolicyChange]:
    """Every difference from `old` to `new`: settings first, then rules, reasons and fees by entry."""
    changes = [
        PolicyChange(name, "changed", setting(old, name), setting(new, name))
        for name in SETTINGS
        if setting(old, name) != setting(new, name)
    ]
    changes += _entries("rules", _keyed_rules(old.rules), _keyed_rules(new.rules))
    changes += _entries("reasons", {r.code: r for r in old.reasons}, {r.code: r for r in new.reasons})
    changes += _entries(
        "fees.return_shipping",
        {fee.currency: fee for fee in old.fees.return_shipping},
        {fee.currency: fee for fee in new.fees.return_shipping},
    )
    return changes


def _keyed_rules(rules: Sequence[Rule]) -> dict[tuple[RuleMatch, int], Rule]:
    # A rule is known by what it matches; two rules on the same match are told apart by order.
    seen: dict[RuleMatch, int] = {}
    keyed: dict[tuple[RuleMatch, int], Rule] = {}
    for rule in rules:
        nth = seen.get(rule.match, 0)
        seen[rule.match] = nth + 1
        keyed[(rule.match, nth)] = rule
    return keyed


def _entries[K: Hashable](name: str, old: Mapping[K, object], new: Mapping[K, object]) -> list[PolicyChange]:
    changes: list[PolicyChange] = []
    for key, before in old.items():
        entry = key[0] if isinstance(key, tuple) else key
        if key not in new:
            changes.append(PolicyChange(name, "removed", before, None, entry))
        elif new[key] != before:
            changes.append(PolicyChange(name, "changed", before, new[key], entry))
    for key, after in new.items():
        if key not in old:
            entry = key[0] if isinstance(key, tuple) else key
            changes.append(PolicyChange(name, "added", None, after, entry))
    return changes
