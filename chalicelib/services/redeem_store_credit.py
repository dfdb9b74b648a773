"""Use cases: read a shopper's store credit, and spend it at checkout (the storefront's call)."""

from __future__ import annotations

from typing import Protocol

from ..domain.currency import is_known_currency
from ..domain.errors import ValidationError
from ..domain.money import Money
from ..domain.order import is_plausible_email, normalize_email
from ..domain.store_credit import Redemption, StoreCreditAccount, UnknownCreditCodeError
from .checkout_credit import keep_checkout_offer
from .ports.money import CheckoutPromotions, StoreCreditLedger
from .ports.system import Clock


class StoreCreditDeps(Protocol):
    """What store credit needs."""

    @property
    def store_credit(self) -> StoreCreditLedger: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def checkout_promotions(self) -> CheckoutPromotions | None: ...


def read_store_credit(deps: StoreCreditDeps, email: str, currency: str) -> StoreCreditAccount:
    """The balance and entries of (email, currency); an unknown account has a zero balance."""
    email, currency = checked_account(email, currency)
    return deps.store_credit.account(email, currency)


def read_credit_code(deps: StoreCreditDeps, code: str) -> StoreCreditAccount:
    """The account a credit code spends; UnknownCreditCodeError (404) for any code that is not one."""
    return deps.store_credit.account_by_code(code)


def redeem_store_credit(
    deps: StoreCreditDeps, *, email: str | None = None, code: str | None = None, currency: str, amount: int,
    idempotency_key: str,
) -> Redemption:
    """Spend `amount` minor units of the account named by `email` or by its credit `code`, once
    per `idempotency_key`; InsufficientCreditError (409) if short, UnknownCreditCodeError (404)
    for a code that names no account in `currency`."""
    if (email is None) == (code is None):
        raise ValidationError("give either email or code", fields=("email", "code"))
    if email is not None:
        email, currency = checked_account(email, currency)
    elif not is_known_currency(currency := currency.strip().upper()):
        raise ValidationError("currency must be an ISO 4217 code", fields=("currency",))
    if type(amount) is not int or amount <= 0:
        raise ValidationError("amount must be a positive whole number of minor units", fields=("amount",))
    key = idempotency_key.strip()
    if not 8 <= len(key) <= 200 or not key.isascii() or not key.isprintable():
        raise ValidationError("idempotency_key must be 8 to 200 printable ASCII characters",
                              fields=("idempotency_key",))
    if code is not None:
        account = deps.store_credit.account_by_code(code)
        if account.currency != currency:
            # A code spends one currency; another currency is the same unknown code.
            raise UnknownCreditCodeError()
        email = account.email
    assert email is not None
    redemption = deps.store_credit.redeem(email, Money(amount, currency), idempotency_key=key, now=deps.clock.now())
    # Spent at the storefront: what Stripe Checkout offers shrinks to what is left.
    keep_checkout_offer(deps, email, currency)
    return redemption


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
