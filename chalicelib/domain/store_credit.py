"""Store credit: an account per (shopper email, currency) and its append-only ledger.

Entries are `issue` (a credited return, bonus included), `redeem` (spent at checkout),
`expire` and `void`; the balance is their sum and never goes below zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from .errors import ConflictError
from .money import Money

ISSUE: Final = "issue"
REDEEM: Final = "redeem"
EXPIRE: Final = "expire"
VOID: Final = "void"
ENTRY_KINDS: tuple[str, ...] = (ISSUE, REDEEM, EXPIRE, VOID)


class InsufficientCreditError(ConflictError):
    """The balance is lower than the amount to spend; nothing was spent."""

    code = "insufficient_credit"


@dataclass(frozen=True, slots=True)
class CreditEntry:
    """One movement of an account: positive for issue, negative for redeem, expire and void."""

    id: str
    kind: str
    amount: Money
    at: datetime
    rma: str | None = None
    idempotency_key: str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoreCreditAccount:
    """A shopper's credit in one currency: its balance and entries, oldest first."""

    email: str
    currency: str
    balance: Money
    entries: tuple[CreditEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class Redemption:
    """The answer to a redeem; a repeat of the same idempotency key gets this very answer."""

    entry_id: str
    email: str
    amount: Money
    balance_after: Money
    idempotency_key: str
