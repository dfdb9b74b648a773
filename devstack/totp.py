"""RFC 6238 time-based one-time passwords as Cognito's SOFTWARE_TOKEN_MFA uses them: HMAC-SHA1,
six digits, a 30-second step, and a code of the step before or after accepted too.

The local AWS server checks codes with it (aws_server.SoftwareTokens), and the tests compute the
code an authenticator app would show from the secret the console displayed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time

STEP_SECONDS = 30
DIGITS = 6
# Codes of this many steps before and after now are accepted too (a phone's clock drifts).
TOLERANCE_STEPS = 1


def new_secret() -> str:
    """A fresh base32 secret (160 bits, 32 characters, no padding), as Cognito hands out."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def _key(secret: str) -> bytes:
    compact = secret.replace(" ", "").upper()
    return base64.b32decode(compact + "=" * (-len(compact) % 8))


def code_at(secret: str, at: float) -> str:
    """The six-digit code for `secret` at Unix time `at`."""
    counter = int(at) // STEP_SECONDS
    digest = hmac.new(_key(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def code_now(secret: str) -> str:
    """The code an authenticator app shows now."""
    return code_at(secret, time.time())


def is_valid(secret: str, code: str, at: float | None = None) -> bool:
    """Whether `code` is `secret`'s code now, or one step before or after."""
    when = time.time() if at is None else at
    if len(code) != DIGITS or not code.isdigit():
        return False
    return any(hmac.compare_digest(code_at(secret, when + step * STEP_SECONDS), code)
               for step in range(-TOLERANCE_STEPS, TOLERANCE_STEPS + 1))
