"""Order numbers as people type them: every way of writing one number finds the same order."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.order import normalize_email, order_number_key

# What a store prints: the numbers the admin API imports (web/schemas/orders.py).
store_numbers = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,20}\Z")
spaces = st.sampled_from([" ", "  ", "\u3000", "\t", "\u00a0"])


def full_width(text: str) -> str:
    """The text as a Japanese keyboard types it by default: every ASCII character full width."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize("typed", [
    "1002", "#1002", "＃1002", "１００２", "＃１００２", " 1002 ", "10 02", "No. 1002", "no.1002", "\u30001002\u3000",
])
def test_the_usual_ways_of_typing_a_number_are_one_key(typed: str) -> None:
    assert order_number_key(typed) == "1002"


def test_letters_are_matched_in_any_case_and_any_dash() -> None:
    for typed in ("a-1002", "A-1002", "Ａ－１００２", "a\u20101002", "a\u22121002", "aー1002", " #a-1002"):
        assert order_number_key(typed) == "A-1002", typed


def test_a_number_already_in_the_stores_format_is_its_own_key() -> None:
    # Existing orders stay where they are: "1001" was stored under ORDER#1001 and still is.
    for number in ("1001", "A-1002", "SO.2026_7"):
        assert order_number_key(number) == number


def test_a_number_that_is_only_a_prefix_has_no_key() -> None:
    assert order_number_key(" # ") == ""


@given(number=store_numbers, before=spaces, after=spaces, hash_sign=st.sampled_from(["", "#", "＃", "No.", "NO. "]))
def test_nfkc_variants_of_one_number_map_to_one_key(number: str, before: str, after: str, hash_sign: str) -> None:
    key = order_number_key(number)
    assert key == number.upper()
    for variant in (full_width(number), number.lower(), number.swapcase(),
                    unicodedata.normalize("NFKD", full_width(number)),
                    f"{before}{hash_sign}{number}{after}", f"{hash_sign}{before}{full_width(number.lower())}"):
        assert order_number_key(variant) == key, variant


@given(number=store_numbers)
def test_the_key_is_stable(number: str) -> None:
    key = order_number_key(number)
    assert order_number_key(key) == key


def test_an_email_typed_full_width_or_in_capitals_is_the_same_address() -> None:
    assert normalize_email("  Aiko@Example.JP ") == "aiko@example.jp"
    assert normalize_email("ａｉｋｏ＠ｅｘａｍｐｌｅ．ｊｐ") == "aiko@example.jp"
