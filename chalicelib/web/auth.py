"""Admin API authentication: the bearer key, checked in constant time and limited per address."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from chalice.app import Request

from ..services.check_admin_key import check_admin_key
from .shopper_api import client_address

if TYPE_CHECKING:
    from ..services.check_admin_key import CheckAdminKeyDeps


def require_admin(request: Request, deps: CheckAdminKeyDeps) -> None:
    """Pass when the request carries `Authorization: Bearer <admin key>`; else 401, or 429.

    Wrong keys from one address are counted (services/check_admin_key.py): past ten in the
    window, every admin call from that address is a 429 with Retry-After until the window ends,
    whatever key it carries. A missing header, or one without the Bearer scheme, is a 401 that
    does not count (no key was compared).
    """
    check_admin_key(deps, bearer_key(request.headers), client_address=client_address(request.context))


def bearer_key(headers: Mapping[str, str]) -> str | None:
    """The key of `Authorization: Bearer <key>`; None when the header or the scheme is missing."""
    scheme, _, presented = headers.get("authorization", "").partition(" ")
    return presented if scheme.lower() == "bearer" else None
