"""Staff accounts (Amazon Cognito) and their console sessions (DynamoDB)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from ...domain.staff import ConsoleSession, Role, StaffMember


@dataclass(frozen=True, slots=True)
class SignInStep:
    """What Cognito answered a sign-in (or a challenge answer) with.

    `signed_in` with the member's `role`; or a challenge to answer next: `new_password` (first
    sign-in with a temporary password) or `mfa_code` (TOTP), carrying Cognito's opaque `session`.
    A `signed_in` step carries Cognito's `access_token` (used only to register a TOTP app, never stored).
    """

    outcome: Literal["signed_in", "new_password", "mfa_code"]
    email: str
    role: Role | None = None
    session: str = ""
    access_token: str = ""


@dataclass(frozen=True, slots=True)
class TotpSetup:
    """Between "switch TOTP on" and its first code: Cognito's access token (to verify the code
    with) and the secret shown, kept on the console session item until `until`."""

    access_token: str
    secret: str
    until: datetime


class StaffDirectory(Protocol):
    """The store's user pool: signing in, and the owner's staff management."""

    def sign_in(self, email: str, password: str) -> SignInStep:
        """USER_PASSWORD_AUTH; AuthenticationError for a wrong pair (one message for both)."""
        ...

    def set_new_password(self, email: str, session: str, new_password: str) -> SignInStep:
        """Answer NEW_PASSWORD_REQUIRED; ValidationError when the pool's password rules refuse it."""
        ...

    def answer_mfa(self, email: str, session: str, code: str) -> SignInStep:
        """Answer SOFTWARE_TOKEN_MFA; AuthenticationError for a wrong or expired code."""
        ...

    def start_totp(self, access_token: str) -> str:
        """Associate a TOTP app: the base32 secret to show (as text and an otpauth URI)."""
        ...

    def confirm_totp(self, access_token: str, email: str, code: str) -> None:
        """Verify the first code and switch TOTP on for the member; AuthenticationError if wrong."""
        ...

    def disable_totp(self, email: str) -> None:
        """Switch TOTP off for `email` (the owner's staff page)."""
        ...

    def member(self, email: str) -> StaffMember | None:
        """One account, or None when there is none."""
        ...

    def members(self) -> list[StaffMember]:
        """Every account of the pool, by email."""
        ...

    def invite(self, email: str, role: Role) -> StaffMember:
        """Create the account (Cognito emails the temporary password) in `role`'s group;
        ConflictError when the email already has an account."""
        ...

    def change_role(self, email: str, role: Role) -> None:
        """Move the member to `role`'s group (and out of the others)."""
        ...

    def remove(self, email: str) -> None:
        """Delete the account."""
        ...


class ConsoleSessions(Protocol):
    """Stored console sessions: the cookie is only a signed pointer to one of these."""

    def open(self, session: ConsoleSession) -> None:
        """Store a new session (conditional on its id being new)."""
        ...

    def get(self, email: str, session_id: str, *, now: datetime) -> ConsoleSession | None:
        """The session, or None when it was ended or is past its expiry (read consistently)."""
        ...

    def set_locale(self, email: str, session_id: str, locale: str) -> None:
        """Remember the language the member picked for the rest of the session."""
        ...

    def close(self, email: str, session_id: str) -> None:
        """End one session (sign-out); ending an ended one is fine."""
        ...

    def close_all(self, email: str) -> int:
        """End every session of `email` (removed, or role changed); how many were ended."""
        ...

    def hold_totp_setup(self, email: str, session_id: str, setup: TotpSetup) -> None:
        """Keep a TOTP app being registered on the session (server-side, never in a page)."""
        ...

    def totp_setup(self, email: str, session_id: str, *, now: datetime) -> TotpSetup | None:
        """The TOTP registration under way on the session, or None (none, or past `until`)."""
        ...

    def drop_totp_setup(self, email: str, session_id: str) -> None:
        """Forget the TOTP registration of the session (done, or given up)."""
        ...
