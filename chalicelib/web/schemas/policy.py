"""The policy document of the admin API (PRODUCT.md, "Policy body" plus our extensions), in and out.

Every field may be left out; a missing field takes the default policy's value, so PRODUCT.md's
body (which has no time zone) is a complete document. `version` is accepted so a document read
with GET can be sent back with PUT, but the stored version is always assigned by the store.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ...domain.currency import is_known_currency
from ...domain.money import Money
from ...domain.order import is_plausible_email
from ...domain.policy import (
    DEFAULT_POLICY,
    Fees,
    Policy,
    Reason,
    Resolutions,
    Rule,
    RuleMatch,
    accepts_photos_by_default,
    is_known_time_zone,
    policy_document,
)
from ...domain.shipping import SHIPPING_REFUND_OCCASIONS
from .base import parse

Days = Annotated[StrictInt, Field(ge=0, le=3650)]
Hours = Annotated[StrictInt, Field(ge=1, le=24 * 366)]
Percent = Annotated[StrictInt, Field(ge=0, le=100)]
MinorUnits = Annotated[StrictInt, Field(ge=0, le=10**12)]
Criterion = Annotated[str, Field(min_length=1, max_length=100)]
ReasonCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


def _currency(code: str) -> str:
    if not is_known_currency(code):
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return code


def _email(value: str) -> str:
    if not is_plausible_email(value):
        raise ValueError("is not a valid email address")
    return value


def _time_zone(name: str) -> str:
    if not is_known_time_zone(name):
        raise ValueError(f"{name!r} is not an IANA time zone name such as Asia/Tokyo")
    return name


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class RuleMatchIn(_Strict):
    product_type: Criterion | None = None
    tag: Criterion | None = None
    sku: Criterion | None = None

    @model_validator(mode="after")
    def _matches_something(self) -> RuleMatchIn:
        if self.product_type is None and self.tag is None and self.sku is None:
            raise ValueError("a rule must match on product_type, tag or sku")
        return self


class RuleIn(_Strict):
    match: RuleMatchIn
    returnable: StrictBool = True
    window_days: Days | None = None

    @field_validator("window_days")
    @classmethod
    def _window_only_when_returnable(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and info.data.get("returnable") is False:
            raise ValueError("a rule that makes lines not returnable cannot give them a window")
        return value


class ReasonIn(_Strict):
    code: ReasonCode
    requires_note: StrictBool = False
    waive_fees: StrictBool = False
    # photos: left out, the reason takes photos when it is damaged or not_as_described.
    accepts_photos: StrictBool | None = None


class ResolutionsIn(_Strict):
    refund: StrictBool = DEFAULT_POLICY.resolutions.refund
    store_credit: StrictBool = DEFAULT_POLICY.resolutions.store_credit
    store_credit_bonus_percent: Percent = DEFAULT_POLICY.resolutions.store_credit_bonus_percent

    @model_validator(mode="after")
    def _offers_something(self) -> ResolutionsIn:
        if not (self.refund or self.store_credit):
            raise ValueError("offer at least one resolution: refund or store_credit")
        return self


class FeesIn(_Strict):
    restocking_percent: Percent = DEFAULT_POLICY.fees.restocking_percent
    # Minor units per order currency: {"USD": 595, "JPY": 800}; no entry, no fee.
    return_shipping: dict[Annotated[str, AfterValidator(_currency)], MinorUnits] = {}


def _default_rules() -> list[RuleIn]:
    return [RuleIn.model_validate(document) for document in policy_to_json(DEFAULT_POLICY)["rules"]]


def _default_reasons() -> list[ReasonIn]:
    return [ReasonIn.model_validate(document) for document in policy_to_json(DEFAULT_POLICY)["reasons"]]


class PolicyIn(_Strict):
    """A store's return policy as the merchant writes it."""

    version: Annotated[StrictInt, Field(ge=0)] | None = None
    time_zone: Annotated[str, AfterValidator(_time_zone)] = DEFAULT_POLICY.time_zone
    window_days: Days = DEFAULT_POLICY.window_days
    window_starts: Literal["delivered", "fulfilled", "placed"] = DEFAULT_POLICY.window_starts
    exception_grace_days: Days = DEFAULT_POLICY.exception_grace_days
    rules: Annotated[list[RuleIn], Field(max_length=200)] = Field(default_factory=_default_rules)
    final_sale_returnable: StrictBool = DEFAULT_POLICY.final_sale_returnable
    reasons: Annotated[list[ReasonIn], Field(min_length=1, max_length=50)] = Field(
        default_factory=_default_reasons
    )
    resolutions: ResolutionsIn = ResolutionsIn()
    fees: FeesIn = FeesIn()
    refund_trigger: Literal["on_approval", "on_receipt"] = DEFAULT_POLICY.refund_trigger
    store_credit_expiry_days: Annotated[StrictInt, Field(ge=1, le=3650)] | None = (
        DEFAULT_POLICY.store_credit_expiry_days
    )
    ship_within_days: Annotated[StrictInt, Field(ge=1, le=365)] | None = DEFAULT_POLICY.ship_within_days
    ship_reminder_days_before: Annotated[StrictInt, Field(ge=1, le=30)] | None = (
        DEFAULT_POLICY.ship_reminder_days_before
    )
    max_returns_per_customer_90d: Annotated[StrictInt, Field(ge=0, le=10_000)] | None = (
        DEFAULT_POLICY.max_returns_per_customer_90d
    )
    merchant_email: Annotated[str, AfterValidator(_email)] = DEFAULT_POLICY.merchant_email
    approval_link_ttl_hours: Hours = DEFAULT_POLICY.approval_link_ttl_hours
    approval_sla_hours: Hours = DEFAULT_POLICY.approval_sla_hours
    approval_expiry_hours: Hours = DEFAULT_POLICY.approval_expiry_hours
    on_approval_timeout: Literal["approve", "reject"] = DEFAULT_POLICY.on_approval_timeout
    # shipping: when the original shipping is refunded; any listed occasion, [] never.
    original_shipping_refund: Annotated[
        list[Literal["whole_order", "fee_waiving_reasons", "eu_withdrawal"]], Field(max_length=3)
    ] = Field(default_factory=lambda: list(DEFAULT_POLICY.original_shipping_refund))

    # exchanges (issue 19): which variants, when the replacement order is made, and what the
    # shopper gets instead when its stock ran out.
    exchanges: Literal["off", "same_price", "any_price"] = DEFAULT_POLICY.exchanges
    exchange_trigger: Literal["on_approval", "on_receipt"] = DEFAULT_POLICY.exchange_trigger
    exchange_out_of_stock: Literal["refund", "store_credit"] = DEFAULT_POLICY.exchange_out_of_stock

    @field_validator("original_shipping_refund")
    @classmethod
    def _occasions_unique(cls, occasions: list[str]) -> list[str]:
        if len(set(occasions)) != len(occasions):
            raise ValueError("an occasion is listed twice")
        return occasions

    @field_validator("reasons")
    @classmethod
    def _reason_codes_unique(cls, reasons: list[ReasonIn]) -> list[ReasonIn]:
        seen: set[str] = set()
        for reason in reasons:
            if reason.code in seen:
                raise ValueError(f"reason {reason.code!r} appears twice")
            seen.add(reason.code)
        return reasons

    def to_domain(self, version: int) -> Policy:
        """The domain Policy this document describes, as stored version `version`."""
        return Policy(
            version=version,
            time_zone=self.time_zone,
            window_days=self.window_days,
            window_starts=self.window_starts,
            exception_grace_days=self.exception_grace_days,
            rules=tuple(
                Rule(
                    match=RuleMatch(
                        product_type=rule.match.product_type, tag=rule.match.tag, sku=rule.match.sku
                    ),
                    returnable=rule.returnable,
                    window_days=rule.window_days,
                )
                for rule in self.rules
            ),
            final_sale_returnable=self.final_sale_returnable,
            reasons=tuple(
                Reason(code=r.code, requires_note=r.requires_note, waive_fees=r.waive_fees,
                       accepts_photos=(accepts_photos_by_default(r.code) if r.accepts_photos is None
                                       else r.accepts_photos))
                for r in self.reasons
            ),
            resolutions=Resolutions(
                refund=self.resolutions.refund,
                store_credit=self.resolutions.store_credit,
                store_credit_bonus_percent=self.resolutions.store_credit_bonus_percent,
            ),
            fees=Fees(
                restocking_percent=self.fees.restocking_percent,
                return_shipping=tuple(
                    Money(minor, currency) for currency, minor in sorted(self.fees.return_shipping.items())
                ),
            ),
            refund_trigger=self.refund_trigger,
            store_credit_expiry_days=self.store_credit_expiry_days,
            ship_within_days=self.ship_within_days,
            ship_reminder_days_before=self.ship_reminder_days_before,
            max_returns_per_customer_90d=self.max_returns_per_customer_90d,
            merchant_email=self.merchant_email,
            approval_link_ttl_hours=self.approval_link_ttl_hours,
            approval_sla_hours=self.approval_sla_hours,
            approval_expiry_hours=self.approval_expiry_hours,
            on_approval_timeout=self.on_approval_timeout,
            # In one order whatever the document's, so two versions differ only when the occasions do.
            original_shipping_refund=tuple(o for o in SHIPPING_REFUND_OCCASIONS if o in self.original_shipping_refund),
            exchanges=self.exchanges,
            exchange_trigger=self.exchange_trigger,
            exchange_out_of_stock=self.exchange_out_of_stock,
        )


def parse_policy(document: object, *, version: int) -> Policy:
    """`document` as stored version `version`; ValidationError naming every bad field otherwise."""
    return parse(PolicyIn, document).to_domain(version)


def policy_to_json(policy: Policy) -> dict[str, Any]:
    """The policy in the shape PolicyIn reads, plus its version (a rule's own window only if set)."""
    document = policy_document(policy)
    for rule in document["rules"]:
        if rule["window_days"] is None:
            del rule["window_days"]
    return {"version": policy.version, **document}
