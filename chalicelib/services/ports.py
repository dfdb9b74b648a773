"""The ports use cases talk through: Protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from ..domain.order import Order
from ..domain.policy import Policy


class Clock(Protocol):
    """Tells the time; injected so that rules about dates can be tested."""

    def now(self) -> datetime: ...


class OrderRepository(Protocol):
    """Stored orders, each saved with a conditional write on its version."""

    def get(self, number: str) -> Order | None:
        """The order with this number, or None."""
        ...

    def save(self, order: Order, *, now: datetime) -> Order:
        """Store `order` and return it with its new version.

        `order.version` is the version it was read at (0: new). Raises StaleWriteError when the
        stored version is not that one any more (or, for a new order, when one now exists).
        """
        ...

    def recent(self, limit: int, *, now: datetime) -> list[Order]:
        """Up to `limit` orders placed in the month of `now` or before, newest first.

        Walks the store's months backwards from `now`'s and stops after a long run of months
        without orders, so a sparse store costs a bounded number of reads, never a Scan.
        """
        ...


class PolicyRepository(Protocol):
    """The store's policy history: immutable versions and a pointer to the current one."""

    def current(self) -> Policy:
        """The policy in force: the latest stored version, or DEFAULT_POLICY (version 0)."""
        ...

    def save(self, policy: Policy, *, expected_version: int, now: datetime) -> Policy:
        """Store `policy` as version `expected_version + 1` and make it current; return it.

        Raises StaleWriteError when the current version is no longer `expected_version`;
        then nothing is written.
        """
        ...

    def get_version(self, version: int) -> Policy | None:
        """Stored version `version`, or None (the built-in default is never stored)."""
        ...

    def versions(self) -> list[Policy]:
        """Every stored version, newest first."""
        ...


@dataclass(frozen=True, slots=True)
class ReturnedUnits:
    """Units of each line of one order already returned, and still in open returns."""

    returned: Mapping[str, int] = field(default_factory=dict)
    in_open_returns: Mapping[str, int] = field(default_factory=dict)


class ReturnHistory(Protocol):
    """What earlier returns mean for judging a line (filled in by the returns feature)."""

    def units_of_order(self, order_number: str) -> ReturnedUnits:
        """Units per line of the order already returned or in an open return."""
        ...

    def customer_returns_90d(self, email: str, *, now: datetime) -> int:
        """Returns the shopper (normalised email) started in the 90 days before `now`."""
        ...


class TokenSigner(Protocol):
    """Short-lived bearer tokens bound to one subject and one purpose."""

    def issue(self, subject: str, *, purpose: str, now: datetime, ttl: timedelta) -> str:
        """A signed token for `subject` that is valid for `purpose` until `now + ttl`."""
        ...

    def verify(self, token: str, *, purpose: str, now: datetime) -> str:
        """The subject of a genuine, unexpired `token` for `purpose`; else AuthenticationError."""
        ...
