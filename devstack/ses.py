"""The local SES identity: moto sends only from a verified address, as SES itself does."""

from __future__ import annotations

from typing import Any


def ensure_ses_identity(ses: Any, address: str) -> None:
    """Verify `address` (the stage's RETOUR_MAIL_FROM) on the local SES; idempotent."""
    ses.verify_email_identity(EmailAddress=address)
