"""Time and chance, injected so that the rules about them can be tested."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """Tells the time; injected so that rules about dates can be tested."""

    def now(self) -> datetime: ...


class RandomBits(Protocol):
    """Unguessable random numbers (the RMA's 40 bits)."""

    def bits(self, count: int) -> int:
        """A uniformly random integer of `count` bits."""
        ...
