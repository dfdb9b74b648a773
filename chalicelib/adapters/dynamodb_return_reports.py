"""What the returns report reads from the single DynamoDB table: the status index (gsi2).

Keys: docs/data-model.md (patterns 22 and 23). gsi2 holds each return once, under
`RETURNS#{status}` and sorted by `{status_changed_at}#{rma}`, projecting every attribute: the
returns that reached a status in a period are one key range, read without touching the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ..domain.return_request import ReturnRequest, ReturnStatus
from .dynamodb_items import count_all, from_item, iso
from .dynamodb_returns import return_from_record


class DynamoDBReturnReports:
    """ReturnReports on gsi2 `RETURNS#{status}`."""

    def __init__(self, client: Any, table_name: str, *, page_size: int | None = None) -> None:
        self._client = client
        self._table = table_name
        # Items per Query call (None: DynamoDB's 1 MB pages); tests make it small to see paging.
        self._paging: dict[str, Any] = {"Limit": page_size} if page_size is not None else {}

    def reached_between(self, status: ReturnStatus, *, since: datetime, until: datetime) -> Iterator[ReturnRequest]:
        # Sort keys are `{second}#{rma}`: every key of the second `until` sorts after the bare
        # `{until}`, so BETWEEN (inclusive) on these bounds reads [since, until) exactly.
        request: dict[str, Any] = {
            "TableName": self._table, "IndexName": "gsi2",
            "KeyConditionExpression": "gsi2pk = :status AND gsi2sk BETWEEN :since AND :until",
            "ExpressionAttributeValues": {
                ":status": {"S": f"RETURNS#{status}"}, ":since": {"S": iso(since) or ""},
                ":until": {"S": iso(until) or ""},
            },
            **self._paging,
        }
        while True:
            response = self._client.query(**request)
            for item in response.get("Items", []):
                yield return_from_record(from_item(item), [])
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            request["ExclusiveStartKey"] = last

    def count_in(self, status: ReturnStatus) -> int:
        # COUNT returns no items, but DynamoDB still reads (and bills) every one it counts.
        request: dict[str, Any] = {
            "TableName": self._table, "IndexName": "gsi2",
            "KeyConditionExpression": "gsi2pk = :status",
            "ExpressionAttributeValues": {":status": {"S": f"RETURNS#{status}"}},
            **self._paging,
        }
        return count_all(self._client, request)
