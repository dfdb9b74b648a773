"""Short-lived bearer tokens signed with HMAC-SHA256 (the shopper's token from the lookup).

A token is `v1.<payload>.<signature>`, both parts unpadded base64url; the payload is JSON with
the subject (`sub`), the purpose (`purpose`) and the expiry in epoch seconds (`exp`). The
signature covers `v1.<payload>`, so the version, subject, purpose and expiry are all signed.

Decoding is strict: a token is exactly what `issue` wrote, or nothing. Padding, whitespace,
characters outside the alphabet and non-canonical last characters are refused, so one token
has one spelling (and a link with a stray `=` or a trailing character is no link).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta

from ..domain.errors import AuthenticationError

_VERSION = "v1"
# Unpadded base64url: the alphabet only; a length of 4n+1 encodes no whole byte.
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


class SignedTokens:
    """TokenSigner with one HMAC key, fetched on first use (an SSM read only when needed)."""

    def __init__(self, key: Callable[[], str]) -> None:
        self._key = key

    def issue(self, subject: str, *, purpose: str, now: datetime, ttl: timedelta) -> str:
        expires = int((now + ttl).timestamp())
        payload = json.dumps(
            {"sub": subject, "purpose": purpose, "exp": expires},
            separators=(",", ":"), ensure_ascii=False, sort_keys=True,
        ).encode("utf-8")
        signed = f"{_VERSION}.{_b64(payload)}"
        return f"{signed}.{_b64(self._sign(signed))}"

    def verify(self, token: str, *, purpose: str, now: datetime) -> str:
        version, _, rest = token.partition(".")
        encoded_payload, _, encoded_signature = rest.partition(".")
        if version != _VERSION or not encoded_payload or not encoded_signature:
            raise AuthenticationError("the token is not valid", code="invalid_token")
        try:
            signature = _unb64(encoded_signature)
        except (ValueError, binascii.Error) as error:
            raise AuthenticationError("the token is not valid", code="invalid_token") from error
        # Check the signature before reading anything the payload claims.
        if not hmac.compare_digest(signature, self._sign(f"{version}.{encoded_payload}")):
            raise AuthenticationError("the token is not valid", code="invalid_token")
        try:
            claims = json.loads(_unb64(encoded_payload))
            subject, token_purpose, expires = claims["sub"], claims["purpose"], claims["exp"]
        except (ValueError, binascii.Error, KeyError, TypeError) as error:
            raise AuthenticationError("the token is not valid", code="invalid_token") from error
        if not isinstance(subject, str) or not isinstance(expires, int):
            raise AuthenticationError("the token is not valid", code="invalid_token")
        if token_purpose != purpose:
            raise AuthenticationError("the token is not valid for this call", code="invalid_token")
        if now.timestamp() >= expires:
            raise AuthenticationError("the token has expired; look the order up again", code="token_expired")
        return subject

    def _sign(self, text: str) -> bytes:
        return hmac.new(self._key().encode("utf-8"), text.encode("utf-8"), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    """The bytes of the one canonical unpadded base64url spelling `_b64` makes; ValueError else.

    The standard decoder forgives too much: it drops characters outside the alphabet, takes
    padding, and ignores the spare low bits of the last character (so several spellings decode
    to the same bytes). Encoding the result again must give back exactly `text`.
    """
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise ValueError("not the canonical spelling")
    return data
