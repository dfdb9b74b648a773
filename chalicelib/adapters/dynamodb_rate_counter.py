"""Fixed-window rate counters in the single DynamoDB table, removed by its TTL."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from .dynamodb_items import iso

# TTL deletes within days of expiry, not at once; the window in the key keeps counting right.
_KEEP_AFTER_WINDOW = timedelta(hours=1)


def counter_key(scope: str, key: str, window_start: datetime) -> dict[str, Any]:
    # Hashed: client addresses and order numbers stay out of key names (metrics, traces).
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return {"pk": {"S": f"RATE#{scope}#{digest}"}, "sk": {"S": f"WINDOW#{iso(window_start)}"}}


class DynamoDBRateCounter:
    """RateCounter on DynamoDB: one atomic ADD per hit, returning the new count."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def hit(self, scope: str, key: str, *, window_start: datetime, window: timedelta) -> int:
        expires_at = int((window_start + window + _KEEP_AFTER_WINDOW).timestamp())
        response = self._client.update_item(
            TableName=self._table,
            Key=counter_key(scope, key, window_start),
            UpdateExpression="ADD #count :one SET expires_at = :expires, entity = :entity",
            ExpressionAttributeNames={"#count": "count"},
            ExpressionAttributeValues={
                ":one": {"N": "1"}, ":expires": {"N": str(expires_at)},
                ":entity": {"S": "rate_counter"},
            },
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["count"]["N"])

    def count(self, scope: str, key: str, *, window_start: datetime) -> int:
        # Eventually consistent: a limit that lets one more attempt through for a second is fine.
        response = self._client.get_item(TableName=self._table, Key=counter_key(scope, key, window_start),
                                         ProjectionExpression="#count", ExpressionAttributeNames={"#count": "count"})
        item = response.get("Item")
        return int(item["count"]["N"]) if item else 0


class InMemoryRateCounter:
    """RateCounter in a dict (unit tests)."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, datetime], int] = {}

    def hit(self, scope: str, key: str, *, window_start: datetime, window: timedelta) -> int:
        slot = (scope, key, window_start)
        self.counts[slot] = self.counts.get(slot, 0) + 1
        return self.counts[slot]

    def count(self, scope: str, key: str, *, window_start: datetime) -> int:
        return self.counts.get((scope, key, window_start), 0)
