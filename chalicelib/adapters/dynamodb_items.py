"""Shared plumbing of the DynamoDB adapters: attribute values, keys, conditional-write errors."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ..domain.order import order_number_key
from ..domain.timestamps import utc_timestamp


# Our own small codec instead of boto3.dynamodb.types: we store only these few types, and our
# numbers are integers (boto3's deserializer hands back Decimals, to convert at every read).


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Plain Python values as DynamoDB attribute values (None attributes are left out)."""
    return {k: to_attribute(v) for k, v in values.items() if v is not None}


def to_attribute(value: Any) -> dict[str, Any]:
    """One plain value (str, int, bool, None, list, dict) as a DynamoDB attribute value."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if value is None:
        return {"NULL": True}
    if isinstance(value, list | tuple):
        return {"L": [to_attribute(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {str(k): to_attribute(v) for k, v in value.items()}}
    # Floats above all: money is integer minor units, never a float.
    raise TypeError(f"cannot store a {type(value).__name__} in DynamoDB: {value!r}")


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """DynamoDB attribute values as plain Python; numbers come back as int."""
    return {k: from_attribute(v) for k, v in item.items()}


def from_attribute(attribute: Mapping[str, Any]) -> Any:
    """A DynamoDB attribute value as plain Python."""
    (kind, value), = attribute.items()
    if kind == "S":
        return value
    if kind == "N":
        # We store only integers (money in minor units, counters, versions).
        return int(Decimal(value))
    if kind == "BOOL":
        return bool(value)
    if kind == "NULL":
        return None
    if kind == "L":
        return [from_attribute(v) for v in value]
    if kind == "M":
        return {k: from_attribute(v) for k, v in value.items()}
    if kind == "SS":
        return set(value)
    raise TypeError(f"unexpected DynamoDB attribute type {kind}")


def order_partition(number: str) -> str:
    """The partition of an order (its item, line reservations, day counters, payment ledger, and
    the gsi3 entries of its returns): keyed by the number's matching form (domain/order.py
    `order_number_key`), so "a-1002" as the store wrote it and "A-1002" as a shopper typed it
    meet in one place. A number already in that form is its own key, as it always was."""
    return f"ORDER#{order_number_key(number)}"


def email_key(email: str) -> str:
    """A stable key for a shopper's normalised email that keeps the address out of key names."""
    return hashlib.sha256(email.encode("utf-8")).hexdigest()[:32]


def iso(moment: datetime | None) -> str | None:
    """A UTC timestamp that sorts as text, second precision."""
    if moment is None:
        return None
    return utc_timestamp(moment)


def parse_iso(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


_THROTTLING_CODES = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "ThrottlingError",
})


def is_conditional_check_failure(error: Exception) -> bool:
    """True when DynamoDB refused a write because its condition did not hold."""
    response = getattr(error, "response", None) or {}
    code = response.get("Error", {}).get("Code")
    if code == "TransactionCanceledException":
        # A transaction is also cancelled when DynamoDB throttles one of its items: that is
        # "try again later", not "someone else got there first".
        return not is_throttling(error)
    return bool(code == "ConditionalCheckFailedException")


def is_throttling(error: BaseException) -> bool:
    """True when DynamoDB (or a transaction item of it) was throttled past the SDK's retries."""
    response = getattr(error, "response", None) or {}
    if response.get("Error", {}).get("Code") in _THROTTLING_CODES:
        return True
    reasons = response.get("CancellationReasons") or []
    return any(reason.get("Code") in _THROTTLING_CODES for reason in reasons)


def query_all(client: Any, request: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item a Query answers over all its pages, decoded (from_item)."""
    request = dict(request)
    records: list[dict[str, Any]] = []
    while True:
        response = client.query(**request)
        records.extend(from_item(item) for item in response.get("Items", []))
        last = response.get("LastEvaluatedKey")
        if not last:
            return records
        request["ExclusiveStartKey"] = last


def count_all(client: Any, request: dict[str, Any]) -> int:
    """What a `Select=COUNT` Query answers over every page (each page counts up to 1 MB read)."""
    request = {**request, "Select": "COUNT"}
    count = 0
    while True:
        response = client.query(**request)
        count += int(response.get("Count", 0))
        last = response.get("LastEvaluatedKey")
        if not last:
            return count
        request["ExclusiveStartKey"] = last
