"""Admin API authentication: a bearer key compared in constant time."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from ..domain.errors import AuthenticationError


def require_admin(headers: Mapping[str, str], admin_api_key: str) -> None:
    """Pass when the request carries `Authorization: Bearer <admin key>`; else 401."""
    value = headers.get("authorization", "")
    scheme, _, presented = value.partition(" ")
    if scheme.lower() != "bearer" or not presented:
        raise AuthenticationError("an admin API key is required (Authorization: Bearer <key>)")
    # Compare bytes of equal meaning in constant time so timing never reveals the key.
    if not hmac.compare_digest(presented.strip().encode(), admin_api_key.encode()):
        raise AuthenticationError("the admin API key is not valid")
