"""Fakes shared by the tests: the Clock port standing still, or running at an offset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass
class FixedClock:
    """A clock that stands at `at` until the test moves it (assign `at`, or `advance`)."""

    at: datetime

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@dataclass
class ShiftedClock:
    """The machine's time moved by `shift`: the app's clock as it will read later (or earlier)."""

    shift: timedelta

    def now(self) -> datetime:
        return datetime.now(UTC) + self.shift
