"""Use case: a staff member signs in to the console with their Cognito account.

Wrong passwords are counted per client address AND email together: ten in a 15-minute window
close the form for that pair until the window ends. Guessing at one member's password therefore
never locks out another member, even from the same office network, and the admin key's own
budget (services/check_admin_key.py) no longer guards any page: its guesses lock nobody out of the
console. Cognito adds its own protection per account behind this.
"""

from __future__ import annotations

import hashlib
from typing import Final, Protocol

from ..domain.errors import AuthenticationError, RateLimitedError, ValidationError
from .limit_lookups import LOOKUP_WINDOW, seconds_left, window_start
from .ports.access import RateCounter
from .ports.staff import SignInStep, StaffDirectory
from .ports.system import Clock

SCOPE: Final = "staff-sign-in"
WRONG_PASSWORDS_PER_WINDOW: Final = 10
WRONG_PAIR_MESSAGE: Final = "the email or password is not right"


class StaffSignInDeps(Protocol):
    @property
    def staff(self) -> StaffDirectory: ...

    @property
    def rate_counter(self) -> RateCounter: ...

    @property
    def clock(self) -> Clock: ...


def normalize_email(email: str | None) -> str:
    """A staff email as Cognito knows it: trimmed and lower-case."""
    return (email or "").strip().lower()


def _pair(client_address: str, email: str) -> str:
    return hashlib.sha256(f"{client_address.strip() or 'unknown'}\n{email}".encode()).hexdigest()


def staff_sign_in(deps: StaffSignInDeps, email: str | None, password: str | None, *,
                  client_address: str) -> SignInStep:
    """Cognito's answer to `email` and `password`: signed in, or the next challenge.

    ValidationError for an empty field (not counted); RateLimitedError while the pair is limited
    (the right password too, so guessing on tells nothing); AuthenticationError for a wrong pair.
    """
    email = normalize_email(email)
    if not email or not password:
        raise ValidationError("enter your email and password", code="missing_fields")
    now = deps.clock.now()
    start = window_start(now)
    pair = _pair(client_address, email)
    if deps.rate_counter.count(SCOPE, pair, window_start=start) >= WRONG_PASSWORDS_PER_WINDOW:
        raise RateLimitedError("too many wrong passwords", retry_after=seconds_left(now), code="too_many_attempts")
    try:
        return deps.staff.sign_in(email, password)
    except AuthenticationError:
        deps.rate_counter.hit(SCOPE, pair, window_start=start, window=LOOKUP_WINDOW)
        raise AuthenticationError(WRONG_PAIR_MESSAGE, code="wrong_password") from None


def answer_sign_in_code(deps: StaffSignInDeps, email: str | None, session: str, code: str, *,
                        client_address: str) -> SignInStep:
    """Cognito's answer to a TOTP code; a wrong one counts as a wrong password does.

    A wrong code spends Cognito's challenge, so guessing codes means signing in again each time:
    counting them against the same pair keeps someone who has the password from guessing on.
    """
    email = normalize_email(email)
    try:
        return deps.staff.answer_mfa(email, session, code)
    except AuthenticationError:
        now = deps.clock.now()
        deps.rate_counter.hit(SCOPE, _pair(client_address, email), window_start=window_start(now),
                              window=LOOKUP_WINDOW)
        raise
