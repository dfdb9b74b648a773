"""The one error family of Retour; the web layer maps each class to an HTTP status."""

from __future__ import annotations


class RetourError(Exception):
    """Base of every error Retour raises on purpose."""

    code = "retour_error"

    def __init__(self, message: str, *, code: str | None = None, fields: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = fields


class ValidationError(RetourError):
    """Input that breaks a rule of the domain; `fields` names what is wrong."""

    code = "invalid_request"


class CurrencyMismatchError(ValidationError):
    """Two amounts in different currencies were combined."""

    code = "currency_mismatch"


class NotFoundError(RetourError):
    """The thing asked for does not exist (or may not be seen by the caller)."""

    code = "not_found"


class AuthenticationError(RetourError):
    """No credentials, or wrong ones."""

    code = "unauthorized"


class ForbiddenError(RetourError):
    """Valid credentials that do not grant this action."""

    code = "forbidden"


class ConflictError(RetourError):
    """The request clashes with the current state."""

    code = "conflict"


class StaleWriteError(ConflictError):
    """Someone else changed the aggregate since it was read; nothing was written."""

    code = "stale_write"


class RateLimitedError(RetourError):
    """Too many attempts in a short time; `retry_after` says in how many seconds to try again."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after
