"""Who may do what: signed tokens and the counters that limit lookups."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol


class TokenSigner(Protocol):
    """Short-lived bearer tokens bound to one subject and one purpose."""

    def issue(self, subject: str, *, purpose: str, now: datetime, ttl: timedelta) -> str:
        """A signed token for `subject` that is valid for `purpose` until `now + ttl`."""
        ...

    def verify(self, token: str, *, purpose: str, now: datetime) -> str:
        """The subject of a genuine, unexpired `token` for `purpose`; else AuthenticationError."""
        ...


class RateCounter(Protocol):
    """Fixed-window counters that expire by themselves."""

    def hit(self, scope: str, key: str, *, window_start: datetime, window: timedelta) -> int:
        """Count one more hit of `key` in the window starting at `window_start`; the new count."""
        ...

    def count(self, scope: str, key: str, *, window_start: datetime) -> int:
        """The hits of `key` counted so far in the window starting at `window_start` (0 if none)."""
        ...
