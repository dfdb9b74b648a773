"""The merchant's exception emails per order and day, in the single DynamoDB table (one item per
order and day under the day's partition, so the digest job reads a day with one Query)."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from ..domain.approvals import ExceptionDigest
from .dynamodb_items import is_conditional_check_failure, iso, query_all

# The job sends a day's digests within hours of its end; TTL removes the item after.
_KEPT = timedelta(days=8)


def digest_key(order_number: str, day: date) -> dict[str, Any]:
    return {"pk": {"S": f"EXCEPTION_DIGEST#{day.isoformat()}"}, "sk": {"S": f"ORDER#{order_number}"}}


class DynamoDBExceptionDigests:
    """ExceptionDigests on DynamoDB: one UpdateItem per exception, one Query per day."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def record(self, order_number: str, day: date, rma: str, *, now: datetime) -> bool:
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=digest_key(order_number, day),
                # The first exception of the day names itself first; every one joins `rmas`.
                UpdateExpression=(
                    "SET first_rma = if_not_exists(first_rma, :rma), order_number = :order, "
                    "entity = :entity, expires_at = :expires, "
                    "rmas = list_append(if_not_exists(rmas, :none), :one_rma)"
                ),
                # A digest already sent (a request in the last instant of its day): email at once.
                ConditionExpression="attribute_not_exists(sent_at)",
                ExpressionAttributeValues={
                    ":rma": {"S": rma}, ":one_rma": {"L": [{"S": rma}]}, ":none": {"L": []}, ":order": {"S": order_number},
                    ":entity": {"S": "exception_digest"},
                    ":expires": {"N": str(int((now + _KEPT).timestamp()))},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return True
            raise
        return bool(response["Attributes"]["first_rma"]["S"] == rma)

    def due(self, day: date) -> list[ExceptionDigest]:
        records = query_all(self._client, {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"EXCEPTION_DIGEST#{day.isoformat()}"}},
            "ConsistentRead": True,
        })
        found: list[ExceptionDigest] = []
        for record in records:
            # In the order they were requested.
            waiting = [rma for rma in dict.fromkeys(record.get("rmas", ())) if rma != record.get("first_rma")]
            if waiting and not record.get("sent_at"):
                found.append(ExceptionDigest(record["order_number"], day, tuple(waiting)))
        return found

    def claim(self, order_number: str, day: date, *, now: datetime) -> bool:
        try:
            self._client.update_item(
                TableName=self._table, Key=digest_key(order_number, day),
                UpdateExpression="SET sent_at = :now",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(sent_at)",
                ExpressionAttributeValues={":now": {"S": iso(now) or ""}},
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True


class InMemoryExceptionDigests:
    """ExceptionDigests in a dict (unit tests), with DynamoDB's answers."""

    def __init__(self) -> None:
        # (order number, day) -> [first rma, every rma, sent]
        self._days: dict[tuple[str, date], tuple[str, list[str], bool]] = {}
        self._lock = threading.Lock()

    def record(self, order_number: str, day: date, rma: str, *, now: datetime) -> bool:
        with self._lock:
            first, rmas, sent = self._days.get((order_number, day), (rma, [], False))
            if sent:
                return True
            self._days[(order_number, day)] = (first, [*rmas, rma], sent)
            return first == rma

    def due(self, day: date) -> list[ExceptionDigest]:
        return [
            ExceptionDigest(number, day, tuple(rma for rma in dict.fromkeys(rmas) if rma != first))
            for (number, on), (first, rmas, sent) in sorted(self._days.items())
            if on == day and not sent and set(rmas) - {first}
        ]

    def claim(self, order_number: str, day: date, *, now: datetime) -> bool:
        with self._lock:
            entry = self._days.get((order_number, day))
            if entry is None or entry[2]:
                return False
            self._days[(order_number, day)] = (entry[0], entry[1], True)
            return True
