"""Store credit: an account per (shopper email, currency) and its append-only ledger.

Entries are `issue` (a credited return, bonus included, or credit staff issued), `redeem`
(spent at checkout), `expire` and `void` (credit staff took back); the balance is their sum and
never goes below zero. What staff issue or take back carries their reason and who they are
(`staff:<email>`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from .errors import ConflictError, NotFoundError
from .money import Money


class EntryKind(StrEnum):
    """What moved an account's balance (an entry's `kind`, stored as the plain value)."""

    ISSUE = "issue"
    REDEEM = "redeem"
    EXPIRE = "expire"
    VOID = "void"


ISSUE: Final = EntryKind.ISSUE
REDEEM: Final = EntryKind.REDEEM
EXPIRE: Final = EntryKind.EXPIRE
VOID: Final = EntryKind.VOID
ENTRY_KINDS: tuple[EntryKind, ...] = tuple(EntryKind)


class InsufficientCreditError(ConflictError):
    """The balance is lower than the amount to spend; nothing was spent."""

    code = "insufficient_credit"


class UnknownCreditCodeError(NotFoundError):
    """No account holds this credit code (never issued, mistyped, or another store's)."""

    code = "unknown_credit_code"

    def __init__(self) -> None:
        # One message whatever the reason, so a code's existence elsewhere never leaks.
        super().__init__("no store credit has this code")


# Crockford's base32 (as the RMA's): no I, L, O or U, so a code typed from an email survives.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_READS = {**{c: c for c in _CROCKFORD}, "O": "0", "I": "1", "L": "1"}
# 80 random bits: four groups of four, unguessable by trying (2^80 codes per store).
CREDIT_CODE_BITS: Final = 80


def credit_code_from_bits(bits: int) -> str:
    """`XXXX-XXXX-XXXX-XXXX` for 80 random bits (the caller draws them; the domain does no I/O)."""
    if type(bits) is not int or not 0 <= bits < 1 << CREDIT_CODE_BITS:
        raise ValueError(f"a credit code takes a {CREDIT_CODE_BITS}-bit non-negative integer")
    chars = "".join(_CROCKFORD[(bits >> shift) & 31] for shift in range(75, -1, -5))
    return "-".join(chars[i:i + 4] for i in range(0, 16, 4))


def normalize_credit_code(text: str) -> str | None:
    """The canonical credit code for what a person typed (any case, spaces or dashes, O for 0,
    I/L for 1), or None when it cannot be one."""
    compact = "".join(text.split()).upper().replace("-", "")
    if len(compact) != 16 or any(c not in _CROCKFORD_READS for c in compact):
        return None
    chars = "".join(_CROCKFORD_READS[c] for c in compact)
    return "-".join(chars[i:i + 4] for i in range(0, 16, 4))


@dataclass(frozen=True, slots=True)
class CreditEntry:
    """One movement of an account: positive for issue, negative for redeem, expire and void."""

    id: str
    kind: EntryKind
    amount: Money
    at: datetime
    rma: str | None = None
    idempotency_key: str | None = None
    expires_at: datetime | None = None
    # A staff adjustment's reason and who made it (`staff:<email>`); empty for the others.
    reason: str = ""
    actor: str = ""


@dataclass(frozen=True, slots=True)
class CheckoutPromotion:
    """The single-use Stripe promotion code that spends an account's credit at Stripe Checkout.

    Made for the spendable balance; made again (the next `generation`, the previous one
    deactivated) whenever the balance moves. `id` None: nothing to spend, no code is active.
    """

    id: str | None
    amount: Money
    generation: int


@dataclass(frozen=True, slots=True)
class StoreCreditAccount:
    """A shopper's credit in one currency: its balance and entries, oldest first."""

    email: str
    currency: str
    balance: Money
    entries: tuple[CreditEntry, ...] = ()
    # The code the shopper spends it with; None until credit is first issued.
    code: str | None = None
    # The Stripe Checkout promotion code for it (stores selling through Stripe Checkout).
    checkout_promotion: CheckoutPromotion | None = None


@dataclass(frozen=True, slots=True)
class Redemption:
    """The answer to a redeem; a repeat of the same idempotency key gets this very answer."""

    entry_id: str
    email: str
    amount: Money
    balance_after: Money
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class CreditAdjustment:
    """The answer to a staff adjustment; a repeat of the same idempotency key gets this very answer."""

    entry_id: str
    email: str
    amount: Money
    balance_after: Money
    idempotency_key: str


def adjustment_kind(amount: Money) -> EntryKind:
    """A staff adjustment's entry: an issue when it adds credit, a void when it takes some back."""
    return VOID if amount.is_negative() else ISSUE


def expire_entry_id(issue_id: str) -> str:
    """The id of the entry that expires the rest of issue `issue_id` (one per issue)."""
    return f"expire-{issue_id}"


@dataclass(frozen=True, slots=True)
class CreditLot:
    """What is left of one issue entry, spending taken oldest first (FIFO)."""

    issue: CreditEntry
    remaining: Money
    expired: bool  # an expire entry was written for it

    def is_past(self, now: datetime) -> bool:
        return self.issue.expires_at is not None and self.issue.expires_at <= now


def credit_lots(entries: tuple[CreditEntry, ...] | list[CreditEntry], currency: str) -> list[CreditLot]:
    """Replay the ledger: each redeem (or void) takes from the oldest issue still spendable then.

    FIFO keeps expiry simple: what expires is what is left of an old issue after every spend
    that came after it was issued, so a shopper loses the least. An issue already past its
    expiry when a spend happened is skipped by that spend (redeem never spends expired credit).
    """
    # Entry times have second precision: within one second, issues come first (a spend can
    # only have taken credit that existed), write-offs last.
    rank = {ISSUE: 0, REDEEM: 1, VOID: 1, EXPIRE: 2}
    ordered = sorted(entries, key=lambda e: (e.at, rank.get(e.kind, 1), e.id))
    lots: list[_Lot] = []
    by_expire_id: dict[str, _Lot] = {}
    for entry in ordered:
        if entry.kind == ISSUE:
            lot = _Lot(entry, entry.amount.minor)
            lots.append(lot)
            by_expire_id[expire_entry_id(entry.id)] = lot
        elif entry.kind == EXPIRE and entry.id in by_expire_id:
            written_off = by_expire_id[entry.id]
            written_off.remaining += entry.amount.minor
            written_off.expired = True
        elif entry.kind in (REDEEM, VOID):
            spend = -entry.amount.minor
            for lot in lots:
                if spend <= 0:
                    break
                if lot.expired or (lot.issue.expires_at is not None and lot.issue.expires_at <= entry.at):
                    continue
                take = min(lot.remaining, spend)
                lot.remaining -= take
                spend -= take
    return [CreditLot(lot.issue, Money(lot.remaining, currency), lot.expired) for lot in lots]


@dataclass(slots=True)
class _Lot:
    """An issue while the ledger is replayed (mutable, private to credit_lots)."""

    issue: CreditEntry
    remaining: int
    expired: bool = False


def spendable(account: StoreCreditAccount, *, now: datetime) -> Money:
    """The balance less what has expired by `now` but is not yet written off by the job."""
    overdue = sum(
        lot.remaining.minor for lot in credit_lots(account.entries, account.currency)
        if lot.is_past(now) and not lot.expired
    )
    return Money(account.balance.minor - overdue, account.currency)


def due_to_expire(account: StoreCreditAccount, *, now: datetime) -> list[CreditLot]:
    """Issues past their expiry with something left and no expire entry yet."""
    return [
        lot for lot in credit_lots(account.entries, account.currency)
        if lot.is_past(now) and not lot.expired
    ]


def promotion_is_current(account: StoreCreditAccount, *, now: datetime) -> bool:
    """True when the account's Checkout promotion code (or its absence) matches what can be spent now."""
    promotion = account.checkout_promotion
    amount = spendable(account, now=now)
    if promotion is None:
        return amount.is_zero() or account.code is None
    return promotion.amount == amount


def next_to_expire(account: StoreCreditAccount, *, now: datetime) -> CreditLot | None:
    """The spendable credit that expires first (what is left of its issue), or None when none
    of the balance has a date: what the shopper is told beside their code."""
    upcoming = [
        lot for lot in credit_lots(account.entries, account.currency)
        if not lot.expired and not lot.remaining.is_zero() and lot.issue.expires_at is not None
        and not lot.is_past(now)
    ]
    return min(upcoming, key=lambda lot: lot.issue.expires_at or now, default=None)
