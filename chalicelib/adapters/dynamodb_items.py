"""Shared plumbing of the DynamoDB adapters: attribute values, keys, conditional-write errors."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Plain Python values as DynamoDB attribute values (None attributes are left out)."""
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """DynamoDB attribute values as plain Python; numbers come back as int."""
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        # We store only integers (money in minor units, counters, versions).
        return int(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def email_key(email: str) -> str:
    """A stable key for a shopper's normalised email that keeps the address out of key names."""
    return hashlib.sha256(email.encode("utf-8")).hexdigest()[:32]


def iso(moment: datetime | None) -> str | None:
    """A UTC timestamp that sorts as text, second precision."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def is_conditional_check_failure(error: Exception) -> bool:
    """True when DynamoDB refused a write because its condition did not hold."""
    response = getattr(error, "response", None)
    code = (response or {}).get("Error", {}).get("Code")
    return code in ("ConditionalCheckFailedException", "TransactionCanceledException")
