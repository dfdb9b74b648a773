"""Use cases: the console's store-credit page finds a shopper's accounts, and staff issue or take
back credit with a reason, recorded in the ledger with who they are (`staff:<email>`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final, Protocol

from ..domain.errors import ValidationError
from ..domain.money import Money
from ..domain.store_credit import CreditAdjustment
from ..domain.typed_amount import MAX_MINOR
from .checkout_credit import keep_checkout_offer
from .ports.money import CheckoutPromotions, StoreCreditLedger
from .ports.policy import PolicyRepository
from .ports.system import Clock
from .redeem_store_credit import StoreCreditDeps, checked_account

REASON_MAX: Final = 500


class AdjustCreditDeps(Protocol):
    """What an adjustment needs: the ledger, the clock, and the policy (how long credit lasts)."""

    @property
    def store_credit(self) -> StoreCreditLedger: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def policies(self) -> PolicyRepository: ...

    @property
    def checkout_promotions(self) -> CheckoutPromotions | None: ...


def credit_expiry(deps: AdjustCreditDeps, *, now: datetime) -> datetime | None:
    """When credit issued now expires: the policy's `store_credit_expiry_days`, as for a credited return."""
    days = deps.policies.current(consistent=False).store_credit_expiry_days
    return now + timedelta(days=days) if days is not None else None


def store_credit_currencies(deps: StoreCreditDeps, email: str) -> list[str]:
    """The currencies the shopper holds store credit in (one Query of gsi1), sorted."""
    email, _ = checked_account(email, "USD")
    return deps.store_credit.currencies(email)


def adjust_store_credit(
    deps: AdjustCreditDeps, *, email: str, currency: str, amount: int, reason: str, actor: str,
    idempotency_key: str,
) -> CreditAdjustment:
    """Add `amount` minor units (negative: take them back) once per `idempotency_key`.

    Credit added expires as a credited return's does (the policy's `store_credit_expiry_days`).
    ValidationError for a zero or oversized amount, a missing or overlong reason, a bad key;
    InsufficientCreditError (409) when taking back more than the spendable balance: the balance
    never goes below zero.
    """
    email, currency = checked_account(email, currency)
    problems: list[tuple[str, str]] = []
    if type(amount) is not int or amount == 0 or abs(amount) > MAX_MINOR:
        problems.append(("amount", "amount must be a non-zero whole number of minor units"))
    said = " ".join((reason or "").split())
    if not said or len(said) > REASON_MAX:
        problems.append(("reason", f"a reason of 1 to {REASON_MAX} characters is required"))
    key = idempotency_key.strip()
    if not 8 <= len(key) <= 200 or not key.isascii() or not key.isprintable():
        problems.append(("idempotency_key", "idempotency_key must be 8 to 200 printable ASCII characters"))
    if problems:
        raise ValidationError("; ".join(m for _, m in problems), fields=tuple(f for f, _ in problems))
    now = deps.clock.now()
    expires_at = credit_expiry(deps, now=now) if amount > 0 else None
    adjustment = deps.store_credit.adjust(email, Money(amount, currency), reason=said, actor=actor,
                                          idempotency_key=key, now=now, expires_at=expires_at)
    keep_checkout_offer(deps, email, currency)
    return adjustment
