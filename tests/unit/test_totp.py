"""The local Cognito's TOTP (devstack/totp.py) is RFC 6238's: the tests compute the codes an
authenticator app shows from it, and the local server refuses any other."""

from __future__ import annotations

import base64

from devstack import totp

# RFC 6238 appendix B, SHA-1: the 8-digit codes' last six digits.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_CODES = {59: "287082", 1111111109: "081804", 1111111111: "050471", 1234567890: "005924",
             2000000000: "279037", 20000000000: "353130"}


def test_codes_are_rfc_6238s() -> None:
    for at, code in RFC_CODES.items():
        assert totp.code_at(RFC_SECRET, at) == code


def test_a_code_counts_one_step_either_side_and_no_further() -> None:
    at = 1111111111
    assert totp.is_valid(RFC_SECRET, totp.code_at(RFC_SECRET, at - 30), at)
    assert totp.is_valid(RFC_SECRET, totp.code_at(RFC_SECRET, at + 30), at)
    assert not totp.is_valid(RFC_SECRET, totp.code_at(RFC_SECRET, at - 90), at)
    assert not totp.is_valid(RFC_SECRET, "28708", at) and not totp.is_valid(RFC_SECRET, "abcdef", at)


def test_each_new_secret_is_its_own_and_reads_with_spaces() -> None:
    first, second = totp.new_secret(), totp.new_secret()
    assert first != second and len(first) == 32
    grouped = " ".join(first[i:i + 4] for i in range(0, 32, 4))
    assert totp.code_at(grouped, 1234567890) == totp.code_at(first, 1234567890)
