"""Use case: slow down anyone guessing order numbers and emails (per client and per order)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Protocol

from ..domain.errors import RateLimitedError
from ..domain.order import order_number_key
from .ports.access import RateCounter
from .ports.system import Clock

LOOKUP_WINDOW = timedelta(minutes=15)
RATE_LIMITED_MESSAGE = "Too many attempts. Please wait a few minutes and try again."


class LimitLookupsDeps(Protocol):
    """What the lookup limit needs."""

    @property
    def rate_counter(self) -> RateCounter: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def lookups_per_window(self) -> int: ...


def window_start(now: datetime, window: timedelta = LOOKUP_WINDOW) -> datetime:
    """The start of the fixed window `now` falls in (windows are aligned to the epoch)."""
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def seconds_left(now: datetime, window: timedelta = LOOKUP_WINDOW) -> int:
    """Whole seconds until the window `now` falls in ends (at least 1): a 429's Retry-After."""
    return max(1, math.ceil((window_start(now, window) + window - now).total_seconds()))


def limit_lookups(deps: LimitLookupsDeps, *, client_address: str, order_number: str) -> None:
    """Count one lookup for the client and for the order; RateLimitedError past the limit.

    Both counters are always counted, so a client cannot spread guesses over many orders, and
    many clients cannot share the guesses for one order. The order is counted by its matching
    form, so `#1002`, `１００２` and `1002` share one counter.
    """
    now = deps.clock.now()
    start = window_start(now)
    counts = [
        deps.rate_counter.hit("lookup-client", client_address.strip() or "unknown", window_start=start, window=LOOKUP_WINDOW),
        deps.rate_counter.hit("lookup-order", order_number_key(order_number) or "none", window_start=start, window=LOOKUP_WINDOW),
    ]
    if max(counts) > deps.lookups_per_window:
        raise RateLimitedError(RATE_LIMITED_MESSAGE, retry_after=seconds_left(now))
