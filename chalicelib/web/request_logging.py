"""Structured JSON logs: one object per line, a request id on each, no personal data in clear."""

from __future__ import annotations

import contextvars
import hashlib
import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# Our tokens, wherever a message or a value quotes them (an address, an error): signed ones
# (v1.<payload>.<signature>: bearer tokens, status links) and approval links' 43 random characters.
_TOKEN = re.compile(
    r"\bv1\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}|(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"
)
# Extra fields that may carry personal data or secrets are never written, whatever their value.
_WITHHELD = frozenset({
    "email", "customer_name", "name", "shipping_address", "address", "token",
    "authorization", "api_key", "note",
})
_SDK_LOGGERS = ("botocore", "boto3", "urllib3", "stripe", "s3transfer")
_STANDARD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


def redact(text: str) -> str:
    """`text` with every email address replaced by a short stable hash of it, and every token by `[token]`."""
    text = _TOKEN.sub("[token]", text)
    return _EMAIL.sub(
        lambda m: "email:" + hashlib.sha256(m.group(0).lower().encode()).hexdigest()[:10], text
    )


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object with the current request id."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": request_id.get(),
            "message": redact(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key.startswith("_"):
                continue
            entry[key] = "[withheld]" if key.lower() in _WITHHELD else _safe(value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def _safe(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact(str(value))


def configure_logging(level: str = "INFO") -> None:
    """Make every handler of the root logger write JSON (Lambda installs one of its own)."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stdout))
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter())
    root.setLevel(level)
    # At DEBUG the SDK and HTTP libraries log whole request and response bodies (orders with
    # names and addresses, tokens in headers); they speak only from WARNING up, whatever `level`.
    for chatty in _SDK_LOGGERS:
        logging.getLogger(chatty).setLevel(logging.WARNING)
