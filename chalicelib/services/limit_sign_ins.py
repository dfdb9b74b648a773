"""Use case: slow down anyone guessing the admin key on the warehouse sign-in form.

Only failed sign-ins count, per client address, so staff who sign in every morning never meet
the limit; past it, even the right key is refused until the window ends, so guessing on does
not tell a right key from a wrong one.
"""

from __future__ import annotations

from typing import Final, Protocol

from ..domain.errors import RateLimitedError
from .limit_lookups import LOOKUP_WINDOW, seconds_left, window_start
from .ports import Clock, RateCounter

SCOPE: Final = "staff-sign-in"
FAILURES_PER_WINDOW: Final = 10
SIGN_IN_LIMITED_MESSAGE: Final = "Too many failed sign-ins from this address. Please wait and try again."


class LimitSignInsDeps(Protocol):
    """What the sign-in limit needs."""

    @property
    def rate_counter(self) -> RateCounter: ...

    @property
    def clock(self) -> Clock: ...


def check_sign_in_allowed(deps: LimitSignInsDeps, *, client_address: str) -> None:
    """RateLimitedError (with the seconds to wait) once this address failed too often in the window."""
    now = deps.clock.now()
    if deps.rate_counter.count(SCOPE, _key(client_address), window_start=window_start(now)) >= FAILURES_PER_WINDOW:
        raise RateLimitedError(SIGN_IN_LIMITED_MESSAGE, retry_after=seconds_left(now))


def record_failed_sign_in(deps: LimitSignInsDeps, *, client_address: str) -> None:
    """Count one wrong key from this address."""
    deps.rate_counter.hit(SCOPE, _key(client_address), window_start=window_start(deps.clock.now()),
                          window=LOOKUP_WINDOW)


def _key(client_address: str) -> str:
    return client_address.strip() or "unknown"
