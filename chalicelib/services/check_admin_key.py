"""Use case: check a presented admin key, and slow down anyone guessing it.

The admin key opens one door, the admin JSON API (`Authorization: Bearer <key>`), for
integrations; it signs nobody in to a page (staff use their own console accounts, whose sign-in
has its own budget per account: services/staff_sign_in.py). Ten wrong keys from one client
address in a 15-minute window close the API to that address until the window ends. While an
address is limited every call from it is refused, the right key too, so guessing on cannot tell a
right key from a wrong one. Right keys never count, so back offices that use the key all day never
meet the limit, and no guessing at the key can lock staff out of the console or /warehouse.

What it costs in DynamoDB, per admin API call:
- every call: one eventually consistent GetItem of the address's counter (half a read unit),
  before anything else, so a limited address costs no more than that (no secret read, no write);
- a wrong key: one UpdateItem (`ADD count :1`, one write unit) besides;
- a right key, or no key at all: nothing more.
"""

from __future__ import annotations

import hmac
from typing import Final, Protocol

from ..domain.errors import AuthenticationError, RateLimitedError
from .limit_lookups import LOOKUP_WINDOW, seconds_left, window_start
from .ports.access import RateCounter
from .ports.system import Clock

# The counter of guesses at the key, per client address.
SCOPE: Final = "admin-key"
WRONG_KEYS_PER_WINDOW: Final = 10
LIMITED_CODE: Final = "too_many_attempts"
LIMITED_MESSAGE: Final = "Too many wrong admin keys from this address. Please wait and try again."
# The API's words.
KEY_REQUIRED_MESSAGE: Final = "an admin API key is required (Authorization: Bearer <key>)"
KEY_NOT_VALID_MESSAGE: Final = "the admin API key is not valid"


class CheckAdminKeyDeps(Protocol):
    """What the key check needs."""

    @property
    def rate_counter(self) -> RateCounter: ...

    @property
    def clock(self) -> Clock: ...

    def admin_api_key(self) -> str:
        """The stage's admin key."""
        ...


def check_admin_key(deps: CheckAdminKeyDeps, presented: str | None, *, client_address: str) -> None:
    """Pass when `presented` is the admin key and this address is not limited.

    RateLimitedError (code `too_many_attempts`, with the seconds to wait) while the address is
    limited, whatever was presented; AuthenticationError when no key was presented (`None` or
    blank: not a guess, so not counted) or a wrong one (counted).
    """
    now = deps.clock.now()
    start = window_start(now)
    address = _address(client_address)
    if deps.rate_counter.count(SCOPE, address, window_start=start) >= WRONG_KEYS_PER_WINDOW:
        raise RateLimitedError(LIMITED_MESSAGE, retry_after=seconds_left(now), code=LIMITED_CODE)
    key = (presented or "").strip()
    if not key:
        # Nothing was compared, so the answer says nothing about the key: counting it would
        # only let a client that forgot its header lock the merchant's own back office out.
        raise AuthenticationError(KEY_REQUIRED_MESSAGE)
    # Constant time, so the time of the answer never reveals how much of the key was right.
    if not hmac.compare_digest(key.encode(), deps.admin_api_key().encode()):
        deps.rate_counter.hit(SCOPE, address, window_start=start, window=LOOKUP_WINDOW)
        raise AuthenticationError(KEY_NOT_VALID_MESSAGE)


def _address(client_address: str) -> str:
    return client_address.strip() or "unknown"
