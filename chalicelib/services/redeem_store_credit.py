"""Use cases: read a shopper's store credit, and spend it at checkout (the storefront's call)."""

from __future__ import annotations

from typing import Protocol

from ..domain.currency import is_known_currency
from ..domain.errors import ValidationError
from ..domain.money import Money
from ..domain.order import is_plausible_email, normalize_email
from ..domain.store_credit import Redemption, StoreCreditAccount
from .ports.money import StoreCreditLedger
from .ports.system import Clock


class StoreCreditDeps(Protocol):
    """What store credit needs."""

    @property
    def store_credit(self) -> StoreCreditLedger: ...

    @property
    def clock(self) -> Clock: ...


def read_store_credit(deps: StoreCreditDeps, email: str, currency: str) -> StoreCreditAccount:
    """The balance and entries of (email, currency); an unknown account has a zero balance."""
    email, currency = checked_account(email, currency)
    return deps.store_credit.account(email, currency)


def redeem_store_credit(
    deps: StoreCreditDeps, *, email: str, currency: str, amount: int, idempotency_key: str
) -> Redemption:
    """Spend `amount` minor units once per `idempotency_key`; InsufficientCreditError (409) if short."""
    email, currency = checked_account(email, currency)
    if type(amount) is not int or amount <= 0:
        raise ValidationError("amount must be a positive whole number of minor units", fields=("amount",))
    key = idempotency_key.strip()
    if not 8 <= len(key) <= 200 or not key.isascii() or not key.isprintable():
        raise ValidationError("idempotency_key must be 8 to 200 printable ASCII characters",
                              fields=("idempotency_key",))
    return deps.store_credit.redeem(email, Money(amount, currency), idempotency_key=key, now=deps.clock.now())


def checked_account(email: str, currency: str) -> tuple[str, str]:
    """The normalised email and upper-case currency of an account; ValidationError naming the fields."""
    problems: list[tuple[str, str]] = []
    if not is_plausible_email(email):
        problems.append(("email", "email must be an email address"))
    code = currency.strip().upper()
    if not is_known_currency(code):
        problems.append(("currency", "currency must be an ISO 4217 code"))
    if problems:
        raise ValidationError("; ".join(m for _, m in problems), fields=tuple(f for f, _ in problems))
    return normalize_email(email), code
