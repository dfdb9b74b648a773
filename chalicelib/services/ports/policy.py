"""Where the store's return policy and its history are kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ...domain.policy import Policy


@dataclass(frozen=True, slots=True)
class StoredPolicyVersion:
    """One stored version with when and by whom it was saved (None: saved before that was kept)."""

    policy: Policy
    saved_at: datetime | None
    saved_by: str | None


class PolicyRepository(Protocol):
    """The store's policy history: immutable versions and a pointer to the current one."""

    def current(self, *, consistent: bool = True) -> Policy:
        """The policy in force: the latest stored version, or DEFAULT_POLICY (version 0).

        Consistent by default: a policy change must show in the very next lookup. Paths that
        only read a setting after the return was judged (the refund trigger at a receipt) may
        take an eventually consistent read.
        """
        ...

    def save(self, policy: Policy, *, expected_version: int, now: datetime, saved_by: str | None = None) -> Policy:
        """Store `policy` as version `expected_version + 1` and make it current; return it.

        `saved_by` names who saved it (`staff:<email>` from the console; None from the admin API).

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

    def history(self, limit: int) -> list[StoredPolicyVersion]:
        """The newest `limit` stored versions, newest first, with when and by whom they were saved."""
        ...
