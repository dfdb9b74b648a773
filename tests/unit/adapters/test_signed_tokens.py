"""Shopper tokens: bound to one order and one purpose, short-lived, and useless once altered."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.signed_tokens import SignedTokens
from chalicelib.domain.errors import AuthenticationError

ISSUED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=30)


def signer(key: str = "test-signing-key") -> SignedTokens:
    return SignedTokens(lambda: key)


def a_token(subject: str = "1001", purpose: str = "shopper") -> str:
    return signer().issue(subject, purpose=purpose, now=ISSUED, ttl=TTL)


def test_a_fresh_token_names_its_order() -> None:
    assert signer().verify(a_token(), purpose="shopper", now=ISSUED) == "1001"


def test_a_token_is_valid_until_its_last_second() -> None:
    last_second = ISSUED + TTL - timedelta(seconds=1)
    assert signer().verify(a_token(), purpose="shopper", now=last_second) == "1001"


def test_an_expired_token_is_refused() -> None:
    with pytest.raises(AuthenticationError) as refused:
        signer().verify(a_token(), purpose="shopper", now=ISSUED + TTL)
    assert refused.value.code == "token_expired"


def test_a_token_for_another_purpose_is_refused() -> None:
    token = a_token(purpose="merchant_approval")
    with pytest.raises(AuthenticationError):
        signer().verify(token, purpose="shopper", now=ISSUED)


def test_a_token_signed_with_another_key_is_refused() -> None:
    with pytest.raises(AuthenticationError):
        signer("another-key").verify(a_token(), purpose="shopper", now=ISSUED)


def _reencode(token: str, **claims: object) -> str:
    version, payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    decoded.update(claims)
    altered = base64.urlsafe_b64encode(json.dumps(decoded).encode()).rstrip(b"=").decode()
    return f"{version}.{altered}.{signature}"


@pytest.mark.parametrize(
    "claims",
    [{"sub": "1002"}, {"exp": 4_000_000_000}, {"purpose": "admin"}],
    ids=["another order", "later expiry", "another purpose"],
)
def test_a_tampered_token_is_refused(claims: dict[str, object]) -> None:
    with pytest.raises(AuthenticationError) as refused:
        signer().verify(_reencode(a_token(), **claims), purpose="shopper", now=ISSUED)
    assert refused.value.code == "invalid_token"


@pytest.mark.parametrize(
    "token",
    ["", "v1", "v1..", "v2.e30.AAAA", "v1.e30.AAAA", "v1.%%%.***", "v1.é.é", "not a token at all"],
)
def test_garbage_is_refused_as_not_valid(token: str) -> None:
    with pytest.raises(AuthenticationError):
        signer().verify(token, purpose="shopper", now=ISSUED)


def test_the_key_is_fetched_only_when_a_token_is_made() -> None:
    fetched: list[str] = []

    def key() -> str:
        fetched.append("key")
        return "k"

    tokens = SignedTokens(key)
    assert fetched == []
    tokens.issue("1001", purpose="shopper", now=ISSUED, ttl=TTL)
    assert fetched == ["key"]


def _non_canonical_last_character(part: str) -> str:
    """The same bytes spelled another way: a last character whose unused low bits are set."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    spare_bits = {2: 4, 3: 2}[len(part) % 4]  # 2 or 3 characters in the last group
    value = alphabet.index(part[-1])
    assert value % (1 << spare_bits) == 0, "issue() writes the canonical spelling"
    return part[:-1] + alphabet[value + 1]


@pytest.mark.parametrize("spelling", [
    "an extra '=' on the signature", "padding on the payload", "a trailing character",
    "a trailing dot", "a space at either end", "a newline at the end",
    "a non-canonical last signature character", "a non-canonical last payload character",
])
def test_only_the_exact_spelling_of_a_token_is_accepted(spelling: str) -> None:
    token = a_token()
    version, payload, signature = token.split(".")
    # A 32-byte signature is 43 characters and a short payload is chosen to end mid-group too.
    assert len(signature) % 4 == 3
    if len(payload) % 4 == 0:
        token = a_token(subject="10011")
        version, payload, signature = token.split(".")
    assert len(payload) % 4 in (2, 3)
    altered = {
        "an extra '=' on the signature": token + "=",
        "padding on the payload": f"{version}.{payload}{'=' * (-len(payload) % 4)}.{signature}",
        "a trailing character": token + "A",
        "a trailing dot": token + ".",
        "a space at either end": f" {token} ",
        "a newline at the end": token + "\n",
        "a non-canonical last signature character": f"{version}.{payload}.{_non_canonical_last_character(signature)}",
        "a non-canonical last payload character": f"{version}.{_non_canonical_last_character(payload)}.{signature}",
    }[spelling]
    # The lenient decoder reads most of these as the very same bytes: only strictness refuses them.
    with pytest.raises(AuthenticationError) as refused:
        signer().verify(altered, purpose="shopper", now=ISSUED)
    assert refused.value.code == "invalid_token"
