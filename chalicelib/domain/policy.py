"""The store's return policy: what may be returned, for how long, and what it costs."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ValidationError
from .money import Money
from .order import OrderLine, is_plausible_email
from .shipping import SHIPPING_REFUND_OCCASIONS, ShippingRefundOccasion

WindowStart = Literal["delivered", "fulfilled", "placed"]
RefundTrigger = Literal["on_approval", "on_receipt"]
ApprovalTimeout = Literal["approve", "reject"]
Resolution = Literal["refund", "store_credit", "exchange"]
# exchanges: which variants a line may be exchanged for (domain/exchange.py), when the
# replacement order is made, and what the shopper gets when its stock ran out before then.
Exchanges = Literal["off", "same_price", "any_price"]
ExchangeTrigger = Literal["on_approval", "on_receipt"]
ExchangeFallback = Literal["refund", "store_credit"]

WINDOW_STARTS: tuple[WindowStart, ...] = ("delivered", "fulfilled", "placed")
REFUND_TRIGGERS: tuple[RefundTrigger, ...] = ("on_approval", "on_receipt")
APPROVAL_TIMEOUTS: tuple[ApprovalTimeout, ...] = ("approve", "reject")
RESOLUTIONS: tuple[Resolution, ...] = ("refund", "store_credit", "exchange")
EXCHANGES: tuple[Exchanges, ...] = ("off", "same_price", "any_price")
EXCHANGE_TRIGGERS: tuple[ExchangeTrigger, ...] = ("on_approval", "on_receipt")
EXCHANGE_FALLBACKS: tuple[ExchangeFallback, ...] = ("refund", "store_credit")


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """Which lines a rule is about; every criterion given must hold (AND)."""

    product_type: str | None = None
    tag: str | None = None
    sku: str | None = None

    def matches(self, line: OrderLine) -> bool:
        if self.product_type is not None and line.product_type != self.product_type:
            return False
        if self.tag is not None and self.tag not in line.tags:
            return False
        if self.sku is not None and line.sku != self.sku:
            return False
        return self.product_type is not None or self.tag is not None or self.sku is not None

    @property
    def specificity(self) -> tuple[bool, bool, bool]:
        """How narrowly this match aims: a sku beats a tag, a tag beats a product type."""
        return (self.sku is not None, self.tag is not None, self.product_type is not None)


@dataclass(frozen=True, slots=True)
class Rule:
    """Overrides the policy for matching lines: not returnable, or a window of their own."""

    match: RuleMatch
    returnable: bool = True
    window_days: int | None = None


@dataclass(frozen=True, slots=True)
class Reason:
    """A return reason a shopper can pick."""

    code: str
    requires_note: bool = False
    waive_fees: bool = False
    # photos (issue 18, item 10): the shopper may add up to 3 photos of a line returned for it.
    accepts_photos: bool = False


@dataclass(frozen=True, slots=True)
class Resolutions:
    """How the store is willing to pay a return back."""

    refund: bool = True
    store_credit: bool = True
    store_credit_bonus_percent: int = 10

    def offers(self, resolution: str) -> bool:
        return (resolution == "refund" and self.refund) or (
            resolution == "store_credit" and self.store_credit
        )


@dataclass(frozen=True, slots=True)
class Fees:
    """What a return costs the shopper; `return_shipping` holds at most one amount per currency."""

    restocking_percent: int = 0
    return_shipping: tuple[Money, ...] = ()

    def return_shipping_in(self, currency: str) -> Money:
        """The return-shipping fee for an order in `currency` (zero when the store set none)."""
        for fee in self.return_shipping:
            if fee.currency == currency:
                return fee
        return Money.zero(currency)


_DEFAULT_RULES = (Rule(match=RuleMatch(product_type="gift_card"), returnable=False),)
# photos: the reasons whose lines take photos when a stored policy or an API body says nothing.
PHOTO_REASONS = frozenset({"damaged", "not_as_described"})


def accepts_photos_by_default(code: str) -> bool:
    """Whether a reason stored before `accepts_photos` existed (or sent without it) takes photos."""
    return code in PHOTO_REASONS


_DEFAULT_REASONS = (
    Reason("too_small"),
    Reason("too_large"),
    Reason("changed_mind"),
    Reason("not_as_described", requires_note=True, accepts_photos=True),
    Reason("damaged", requires_note=True, waive_fees=True, accepts_photos=True),
    Reason("wrong_item", waive_fees=True),
)


@dataclass(frozen=True, slots=True)
class Policy:
    """One immutable version of a store's return policy; defaults are PRODUCT.md's default policy.

    `version` counts stored versions; 0 is the built-in default a new store starts on. It does
    not take part in equality, so two versions with the same rules compare equal.
    """

    window_days: int = 30
    window_starts: WindowStart = "delivered"
    exception_grace_days: int = 30
    rules: tuple[Rule, ...] = _DEFAULT_RULES
    final_sale_returnable: bool = False
    reasons: tuple[Reason, ...] = _DEFAULT_REASONS
    resolutions: Resolutions = Resolutions()
    fees: Fees = Fees()
    refund_trigger: RefundTrigger = "on_receipt"
    # Days store credit may be spent after it is issued; None: it never expires.
    store_credit_expiry_days: int | None = None
    # Days after approval within which the parcel must arrive; later, the daily job expires the
    # return and its units are returnable again. None: an approved return never expires.
    ship_within_days: int | None = 30
    # Days before the send-by date (approval + ship_within_days) that the shopper is reminded to
    # send the parcel, once (services/ship_reminders.py). None: no reminder.
    ship_reminder_days_before: int | None = 3
    # None: no limit. 0: every return needs the merchant's approval.
    max_returns_per_customer_90d: int | None = 10
    merchant_email: str = "returns@merchant.example"
    approval_link_ttl_hours: int = 168
    time_zone: str = "UTC"
    approval_sla_hours: int = 24
    approval_expiry_hours: int = 168
    on_approval_timeout: ApprovalTimeout = "reject"
    # shipping: when a return pays back the order's original shipping (domain/shipping.py); any
    # listed occasion is enough, empty never refunds it.
    original_shipping_refund: tuple[ShippingRefundOccasion, ...] = ()
    # exchanges (issue 19): another variant of the same product instead of money back.
    exchanges: Exchanges = "same_price"
    exchange_trigger: ExchangeTrigger = "on_receipt"
    exchange_out_of_stock: ExchangeFallback = "refund"
    version: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        problems = policy_problems(self)
        if problems:
            raise ValidationError(
                "; ".join(message for _, message in problems),
                fields=tuple(name for name, _ in problems),
            )

    @property
    def zone(self) -> ZoneInfo:
        """The store's time zone, in which return windows are counted."""
        return _zone(self.time_zone)

    def reason(self, code: str) -> Reason | None:
        return next((reason for reason in self.reasons if reason.code == code), None)

    def deciding_rule(self, line: OrderLine) -> Rule | None:
        """The rule that governs `line`, if any.

        The most specific matching rule decides (a sku beats a tag, a tag beats a product type;
        more criteria beat fewer at the same level). Among equally specific matches the stricter
        wins: `returnable: false` first, then the shortest own window. This lets a merchant carve
        an exception (`{"sku": ...}, "returnable": true`) out of a broad ban without ordering rules.
        """
        best: Rule | None = None
        best_key: tuple[tuple[bool, bool, bool], bool, int] | None = None
        for rule in self.rules:
            if not rule.match.matches(line):
                continue
            window = rule.window_days if rule.window_days is not None else self.window_days
            # Larger key wins: more specific, then not returnable, then the shorter window.
            key = (rule.match.specificity, not rule.returnable, -window)
            if best_key is None or key > best_key:
                best, best_key = rule, key
        return best

    def with_version(self, version: int) -> Policy:
        return replace(self, version=version)


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_known_time_zone(name: str) -> bool:
    """True for an IANA zone name (Asia/Tokyo, America/New_York, UTC) this runtime can load."""
    if not name or name != name.strip() or name.startswith("/") or ".." in name:
        return False
    try:
        _zone(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def policy_problems(policy: Policy) -> list[tuple[str, str]]:
    """Every broken invariant of `policy` as (field path, message); empty when it is sound."""
    problems: list[tuple[str, str]] = []

    def non_negative(name: str, value: int | None) -> None:
        if value is not None and (type(value) is not int or value < 0):
            problems.append((name, f"{name} must be a whole number, zero or more"))

    def percent(name: str, value: int) -> None:
        if type(value) is not int or not 0 <= value <= 100:
            problems.append((name, f"{name} must be a whole number from 0 to 100"))

    non_negative("window_days", policy.window_days)
    non_negative("exception_grace_days", policy.exception_grace_days)
    non_negative("max_returns_per_customer_90d", policy.max_returns_per_customer_90d)
    expiry = policy.store_credit_expiry_days
    if expiry is not None and (type(expiry) is not int or not 1 <= expiry <= 3650):
        problems.append(("store_credit_expiry_days", "store_credit_expiry_days must be 1 to 3650 days, or null"))
    ship = policy.ship_within_days
    if ship is not None and (type(ship) is not int or not 1 <= ship <= 365):
        problems.append(("ship_within_days", "ship_within_days must be 1 to 365 days, or null"))
    reminder = policy.ship_reminder_days_before
    if reminder is not None and (type(reminder) is not int or not 1 <= reminder <= 30):
        problems.append(("ship_reminder_days_before", "ship_reminder_days_before must be 1 to 30 days, or null"))
    non_negative("version", policy.version)
    for name in ("approval_link_ttl_hours", "approval_sla_hours", "approval_expiry_hours"):
        value = getattr(policy, name)
        if type(value) is not int or value < 1:
            problems.append((name, f"{name} must be a whole number of hours, at least 1"))
    if policy.window_starts not in WINDOW_STARTS:
        problems.append(("window_starts", f"window_starts must be one of {', '.join(WINDOW_STARTS)}"))
    if policy.refund_trigger not in REFUND_TRIGGERS:
        problems.append(("refund_trigger", f"refund_trigger must be one of {', '.join(REFUND_TRIGGERS)}"))
    if policy.on_approval_timeout not in APPROVAL_TIMEOUTS:
        problems.append(
            ("on_approval_timeout", f"on_approval_timeout must be one of {', '.join(APPROVAL_TIMEOUTS)}")
        )
    if not is_known_time_zone(policy.time_zone):
        problems.append(("time_zone", "time_zone must be an IANA time zone name such as Asia/Tokyo"))
    if not is_plausible_email(policy.merchant_email):
        problems.append(("merchant_email", "merchant_email is not a valid email address"))
    # shipping: the original-shipping occasions, each known and listed once.
    occasions = policy.original_shipping_refund
    if type(occasions) is not tuple or any(o not in SHIPPING_REFUND_OCCASIONS for o in occasions):
        problems.append(("original_shipping_refund",
                         f"original_shipping_refund lists occasions among {', '.join(SHIPPING_REFUND_OCCASIONS)}"))
    elif len(set(occasions)) != len(occasions):
        problems.append(("original_shipping_refund", "original_shipping_refund lists an occasion twice"))

    # exchanges: each setting one of its values.
    for name, values in (("exchanges", EXCHANGES), ("exchange_trigger", EXCHANGE_TRIGGERS),
                         ("exchange_out_of_stock", EXCHANGE_FALLBACKS)):
        if getattr(policy, name) not in values:
            problems.append((name, f"{name} must be one of {', '.join(values)}"))

    for i, rule in enumerate(policy.rules):
        where = f"rules[{i}]"
        m = rule.match
        if m.product_type is None and m.tag is None and m.sku is None:
            problems.append((f"{where}.match", "a rule must match on product_type, tag or sku"))
        non_negative(f"{where}.window_days", rule.window_days)
        if not rule.returnable and rule.window_days is not None:
            problems.append(
                (f"{where}.window_days", "a rule that makes lines not returnable cannot give them a window")
            )

    if not policy.reasons:
        problems.append(("reasons", "the policy needs at least one return reason"))
    seen: set[str] = set()
    for i, reason in enumerate(policy.reasons):
        if not reason.code.strip():
            problems.append((f"reasons[{i}].code", "a reason code must not be empty"))
        elif reason.code in seen:
            problems.append((f"reasons[{i}].code", f"reason {reason.code!r} appears twice"))
        seen.add(reason.code)

    if not (policy.resolutions.refund or policy.resolutions.store_credit):
        problems.append(("resolutions", "offer at least one resolution: refund or store_credit"))
    percent("resolutions.store_credit_bonus_percent", policy.resolutions.store_credit_bonus_percent)

    percent("fees.restocking_percent", policy.fees.restocking_percent)
    currencies: set[str] = set()
    for fee in policy.fees.return_shipping:
        where = f"fees.return_shipping.{fee.currency}"
        if fee.currency in currencies:
            problems.append((where, f"return shipping for {fee.currency} is set twice"))
        currencies.add(fee.currency)
        if fee.is_negative():
            problems.append((where, "a return shipping fee must not be negative"))
    return problems


DEFAULT_POLICY = Policy()


def policy_document(policy: Policy) -> dict[str, Any]:
    """The policy as plain data (money in minor units): what is stored, and what the API shows."""
    return {
        "time_zone": policy.time_zone,
        "window_days": policy.window_days,
        "window_starts": policy.window_starts,
        "exception_grace_days": policy.exception_grace_days,
        "rules": [
            {
                "match": {
                    name: value
                    for name, value in (
                        ("product_type", rule.match.product_type),
                        ("tag", rule.match.tag),
                        ("sku", rule.match.sku),
                    )
                    if value is not None
                },
                "returnable": rule.returnable,
                "window_days": rule.window_days,
            }
            for rule in policy.rules
        ],
        "final_sale_returnable": policy.final_sale_returnable,
        "reasons": [
            {"code": r.code, "requires_note": r.requires_note, "waive_fees": r.waive_fees,
             "accepts_photos": r.accepts_photos}
            for r in policy.reasons
        ],
        "resolutions": {
            "refund": policy.resolutions.refund,
            "store_credit": policy.resolutions.store_credit,
            "store_credit_bonus_percent": policy.resolutions.store_credit_bonus_percent,
        },
        "fees": {
            "restocking_percent": policy.fees.restocking_percent,
            "return_shipping": {fee.currency: fee.minor for fee in policy.fees.return_shipping},
        },
        "refund_trigger": policy.refund_trigger,
        "store_credit_expiry_days": policy.store_credit_expiry_days,
        "ship_within_days": policy.ship_within_days,
        "ship_reminder_days_before": policy.ship_reminder_days_before,
        "max_returns_per_customer_90d": policy.max_returns_per_customer_90d,
        "merchant_email": policy.merchant_email,
        "approval_link_ttl_hours": policy.approval_link_ttl_hours,
        "approval_sla_hours": policy.approval_sla_hours,
        "approval_expiry_hours": policy.approval_expiry_hours,
        "on_approval_timeout": policy.on_approval_timeout,
        "original_shipping_refund": list(policy.original_shipping_refund),
        "exchanges": policy.exchanges,
        "exchange_trigger": policy.exchange_trigger,
        "exchange_out_of_stock": policy.exchange_out_of_stock,
    }
