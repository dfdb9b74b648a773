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
