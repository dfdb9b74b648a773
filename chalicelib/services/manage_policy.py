"""Use cases: read the policy in force, its history, and replace it with a new version."""

from __future__ import annotations

from typing import Protocol

from ..domain.errors import ConflictError, NotFoundError, StaleWriteError
from ..domain.policy import DEFAULT_POLICY, Policy
from .ports.policy import PolicyRepository, StoredPolicyVersion
from .ports.system import Clock

# Each PUT replaces the whole document, so a writer that lost the race simply stores its policy
# as the next version; it gives up only when this many other writers beat it in a row.
_ATTEMPTS = 8


class ManagePolicyDeps(Protocol):
    """What managing the policy needs."""

    @property
    def policies(self) -> PolicyRepository: ...

    @property
    def clock(self) -> Clock: ...


def read_policy(policies: PolicyRepository) -> Policy:
    """The policy in force (the default policy, version 0, until one is stored)."""
    return policies.current()


def read_policy_version(policies: PolicyRepository, version: int) -> Policy:
    """One version of the policy; version 0 is the default a new store started on."""
    if version == 0:
        return DEFAULT_POLICY
    found = policies.get_version(version)
    if found is None:
        raise NotFoundError(f"there is no policy version {version}", code="policy_version_not_found")
    return found


def policy_history(policies: PolicyRepository) -> list[Policy]:
    """Every stored version of the policy, newest first."""
    return policies.versions()


def replace_policy(deps: ManagePolicyDeps, policy: Policy) -> Policy:
    """Store `policy` as the next version and make it current; return it as stored."""
    for _ in range(_ATTEMPTS):
        current = deps.policies.current()
        try:
            return deps.policies.save(policy, expected_version=current.version, now=deps.clock.now())
        except StaleWriteError:
            continue  # another change landed first: ours becomes the version after it
    raise ConflictError("the policy is being changed by other requests; try again", code="policy_busy")


def save_policy_edit(deps: ManagePolicyDeps, policy: Policy, *, opened_at: int, saved_by: str) -> Policy:
    """Store `policy`, edited from version `opened_at`, as the next version; return it as stored.

    Unlike a PUT, an edit made on a form is not retried on top of a newer version: its author saw
    `opened_at`, so a version saved meanwhile raises StaleWriteError and nothing is written.
    """
    return deps.policies.save(policy, expected_version=opened_at, now=deps.clock.now(), saved_by=saved_by)


def recent_policy_versions(policies: PolicyRepository, limit: int) -> list[StoredPolicyVersion]:
    """The newest `limit` stored versions with when and by whom each was saved, newest first."""
    return policies.history(limit)
