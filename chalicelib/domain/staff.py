"""The store's staff: roles, what each may do, and the console session they sign in to.

Accounts live in Amazon Cognito (adapters/cognito_staff.py): its groups `owner`, `agent` and
`warehouse` are the roles. What a role may do is decided here, once, and the console checks it on
the server for every page and every POST (web/console/visit.py); a page never hides a button as
its only guard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    """A staff member's role: the Cognito group they belong to."""

    OWNER = "owner"
    AGENT = "agent"
    WAREHOUSE = "warehouse"


class Permission(StrEnum):
    """One thing the console lets staff do."""

    RECEIVE = "receive"                  # the warehouse scan page, receiving a parcel
    VIEW_RETURNS = "view_returns"        # the inbox and a return's page
    DECIDE = "decide"                    # approve, deny, counter-offer, resend the approval email, notes
    RETRY_REFUNDS = "retry_refunds"      # retry a failed refund, pay it as store credit
    ADJUST_CREDIT = "adjust_credit"      # the store-credit page
    VIEW_REPORTS = "view_reports"        # reports and their CSV
    EDIT_POLICY = "edit_policy"          # the policy editor
    MANAGE_STAFF = "manage_staff"        # invite, change role, remove
    MANAGE_WEBHOOKS = "manage_webhooks"  # Register endpoints, read and replay deliveries


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.AGENT: frozenset({Permission.RECEIVE, Permission.VIEW_RETURNS, Permission.DECIDE,
                           Permission.RETRY_REFUNDS, Permission.ADJUST_CREDIT, Permission.VIEW_REPORTS}),
    Role.WAREHOUSE: frozenset({Permission.RECEIVE}),
}


def role_of(groups: list[str] | tuple[str, ...] | set[str] | frozenset[str]) -> Role | None:
    """The strongest role among a user's Cognito groups (owner, then agent, then warehouse), or None."""
    for role in (Role.OWNER, Role.AGENT, Role.WAREHOUSE):
        if role.value in groups:
            return role
    return None


def can(role: Role, permission: Permission) -> bool:
    """Whether `role` may do `permission`."""
    return permission in ROLE_PERMISSIONS[role]


def staff_actor(email: str) -> str:
    """How a staff member is named on a return's timeline: `staff:<email>`."""
    return f"staff:{email}"


@dataclass(frozen=True, slots=True)
class StaffMember:
    """One account of the store's user pool."""

    email: str
    role: Role | None
    # Cognito's UserStatus: CONFIRMED, FORCE_CHANGE_PASSWORD, ...
    status: str
    enabled: bool
    mfa_enabled: bool
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    """A signed-in console session, stored in DynamoDB so it can be ended at once.

    The cookie carries `email` and `session_id`, signed; the stored item must exist and not be
    past `expires_at` for the cookie to count. Sign-out deletes it; removing a staff member or
    changing their role deletes all of theirs.
    """

    session_id: str
    email: str
    role: Role
    locale: str
    created_at: datetime
    expires_at: datetime
    # Where the session was opened from (the client address), for the timeline's "from where".
    address: str = ""
