"""The store-credit ledger replayed FIFO: what is spendable and what expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.money import Money
from chalicelib.domain.store_credit import (
    CREDIT_CODE_BITS,
    ENTRY_KINDS,
    CreditEntry,
    EntryKind,
    StoreCreditAccount,
    credit_lots,
    due_to_expire,
    expire_entry_id,
    next_to_expire,
    credit_code_from_bits,
    normalize_credit_code,
    spendable,
)

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)


def an_issue(entry_id: str, amount: int, at: datetime, expires_in_days: int | None = None) -> CreditEntry:
    expires = at + timedelta(days=expires_in_days) if expires_in_days is not None else None
    return CreditEntry(id=entry_id, kind="issue", amount=Money(amount, "JPY"), at=at, expires_at=expires)


def a_spend(amount: int, at: datetime) -> CreditEntry:
    return CreditEntry(id=f"redeem-{at.timestamp()}", kind="redeem", amount=Money(-amount, "JPY"), at=at)


def an_account(*entries: CreditEntry) -> StoreCreditAccount:
    return StoreCreditAccount("a@example.jp", "JPY", Money(sum(e.amount.minor for e in entries), "JPY"), entries)


def test_a_spend_takes_the_oldest_credit_first() -> None:
    old = an_issue("old", 1000, T0, expires_in_days=30)
    new = an_issue("new", 1000, T0 + timedelta(days=1))
    lots = credit_lots([new, old, a_spend(1500, T0 + timedelta(days=2))], "JPY")
    assert [(lot.issue.id, lot.remaining.minor) for lot in lots] == [("old", 0), ("new", 500)]


def test_credit_past_its_date_is_not_spendable_and_its_rest_is_due() -> None:
    account = an_account(an_issue("old", 1000, T0, expires_in_days=30), a_spend(300, T0 + timedelta(days=1)),
                         an_issue("new", 500, T0 + timedelta(days=2)))
    later = T0 + timedelta(days=31)
    assert spendable(account, now=T0 + timedelta(days=29)) == Money(1200, "JPY")
    assert spendable(account, now=later) == Money(500, "JPY")
    assert [(lot.issue.id, lot.remaining.minor) for lot in due_to_expire(account, now=later)] == [("old", 700)]


def test_written_off_credit_is_no_longer_due_and_a_later_spend_skips_it() -> None:
    expire = CreditEntry(id=expire_entry_id("old"), kind="expire", amount=Money(-1000, "JPY"),
                         at=T0 + timedelta(days=31))
    account = an_account(an_issue("old", 1000, T0, expires_in_days=30), an_issue("new", 800, T0), expire,
                         a_spend(800, T0 + timedelta(days=32)))
    assert due_to_expire(account, now=T0 + timedelta(days=40)) == []
    assert spendable(account, now=T0 + timedelta(days=40)) == Money(0, "JPY")
    assert [lot.remaining.minor for lot in credit_lots(account.entries, "JPY")] == [0, 0]


def test_entry_kinds_are_stored_as_their_plain_words() -> None:
    assert [str(kind) for kind in ENTRY_KINDS] == ["issue", "redeem", "expire", "void"]
    assert EntryKind("expire") is EntryKind.EXPIRE and EntryKind.ISSUE == "issue"


# --- credit codes ------------------------------------------------------------------------------


def test_a_credit_code_is_four_groups_of_four_without_ambiguous_letters() -> None:
    for bits in (0, 1, (1 << CREDIT_CODE_BITS) - 1, 0x1234_5678_9ABC_DEF0_1234):
        code = credit_code_from_bits(bits)
        groups = code.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4]
        assert not set(code) & set("ILOU")


def test_different_bits_give_different_codes() -> None:
    assert len({credit_code_from_bits(1 << shift) for shift in range(CREDIT_CODE_BITS)}) == CREDIT_CODE_BITS


def test_a_code_takes_exactly_eighty_bits() -> None:
    for bad in (-1, 1 << CREDIT_CODE_BITS):
        with pytest.raises(ValueError):
            credit_code_from_bits(bad)


def test_a_code_typed_in_lower_case_with_spaces_and_look_alikes_reads_as_the_code() -> None:
    code = credit_code_from_bits(0x0F0F_0F0F_0F0F_0F0F_0F0F)
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert normalize_credit_code(typed) == code
    assert normalize_credit_code(code.replace("-", "")) == code


def test_what_cannot_be_a_code_normalizes_to_none() -> None:
    for text in ("", "ABCD-EFGH-JKMN", "ABCD-EFGH-JKMN-PQRSU", "ABCD-EFGH-JKMN-PQR!", "R-ABCD-EFGH"):
        assert normalize_credit_code(text) is None


def test_the_credit_told_to_expire_next_is_what_is_left_of_the_oldest_dated_issue() -> None:
    entries = (an_issue("a", 1000, T0, expires_in_days=30), an_issue("b", 500, T0 + timedelta(days=1)),
               a_spend(400, T0 + timedelta(days=2)), an_issue("c", 800, T0 + timedelta(days=3), expires_in_days=60))
    account = StoreCreditAccount(email="s@example.com", currency="JPY", balance=Money(1900, "JPY"), entries=entries)
    soon = next_to_expire(account, now=T0 + timedelta(days=5))
    assert soon is not None and soon.issue.id == "a" and soon.remaining == Money(600, "JPY")
    later = next_to_expire(account, now=T0 + timedelta(days=31))
    assert later is not None and later.issue.id == "c"
    undated = StoreCreditAccount(email="s@example.com", currency="JPY", balance=Money(500, "JPY"),
                                 entries=(an_issue("b", 500, T0),))
    assert next_to_expire(undated, now=T0) is None
