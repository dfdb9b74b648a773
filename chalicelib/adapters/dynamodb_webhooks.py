"""Outbound events in the single table: the outbox, the endpoints and the delivery log.

Keys (docs/data-model.md, "webhook endpoint", "outbox event", "webhook delivery"):
- outbox: `OUTBOX#{shard}` / `{at}#{message_id}`, written only in the transaction of the move
  that made the event (DynamoDBReturnRepository), deleted by the relay once fanned out;
- endpoints: `WEBHOOKS` / `ENDPOINT#{id}` (one small partition: a store has a handful);
- deliveries: `WEBHOOK#{endpoint_id}` / `DELIVERY#{message_id}`, newest first through gsi1
  (`WEBHOOK#{endpoint_id}#DELIVERIES` / `{created_at}#{message_id}`), kept 30 days (TTL).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from ..domain.errors import NotFoundError
from ..domain.outbound_events import (
    DELIVERED,
    FAILED,
    OUTBOX_SHARDS,
    PENDING,
    Delivery,
    DeliveryAttempt,
    OutboundEvent,
    WebhookEndpoint,
    outbox_shard,
)
from .dynamodb_items import from_item, is_conditional_check_failure, iso, parse_iso, query_all, to_attribute, to_item

ENDPOINTS_PARTITION = "WEBHOOKS"
# The delivery log is kept this long; the table's TTL removes older entries.
DELIVERIES_KEPT = timedelta(days=30)
# An outbox item is kept at most this long if no relay ever reads it (a safety net, not a path).
OUTBOX_KEPT = timedelta(days=14)


def outbox_record(event: OutboundEvent) -> dict[str, Any]:
    """The outbox item of one event (plain values; to_item() makes the attribute values)."""
    return {
        "pk": f"OUTBOX#{outbox_shard(event.rma)}",
        "sk": f"{iso(event.at)}#{event.message_id}",
        "entity": "outbox_event",
        "message_id": event.message_id,
        "type": event.type,
        "at": iso(event.at),
        "rma": event.rma,
        "body": event.body,
        "expires_at": int((event.at + OUTBOX_KEPT).timestamp()),
    }


def endpoint_key(endpoint_id: str) -> dict[str, Any]:
    return {"pk": {"S": ENDPOINTS_PARTITION}, "sk": {"S": f"ENDPOINT#{endpoint_id}"}}


def delivery_key(endpoint_id: str, message_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"WEBHOOK#{endpoint_id}"}, "sk": {"S": f"DELIVERY#{message_id}"}}


class DynamoDBWebhooks:
    """WebhookStore on DynamoDB: endpoints, the outbox and the delivery log."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # Endpoints -------------------------------------------------------------------------------

    def add_endpoint(self, endpoint: WebhookEndpoint) -> None:
        self._client.put_item(
            TableName=self._table, ConditionExpression="attribute_not_exists(pk)",
            Item=to_item({
                "pk": ENDPOINTS_PARTITION, "sk": f"ENDPOINT#{endpoint.endpoint_id}", "entity": "webhook_endpoint",
                "endpoint_id": endpoint.endpoint_id, "url": endpoint.url, "events": list(endpoint.events),
                "secret": endpoint.secret, "created_at": iso(endpoint.created_at), "created_by": endpoint.created_by,
            }),
        )

    def endpoints(self) -> list[WebhookEndpoint]:
        records = query_all(self._client, {
            "TableName": self._table, "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": ENDPOINTS_PARTITION}, ":prefix": {"S": "ENDPOINT#"}},
            "ConsistentRead": True,
        })
        return sorted((_endpoint(r) for r in records), key=lambda e: (e.created_at, e.endpoint_id))

    def endpoint(self, endpoint_id: str) -> WebhookEndpoint | None:
        item = self._client.get_item(TableName=self._table, Key=endpoint_key(endpoint_id),
                                     ConsistentRead=True).get("Item")
        return _endpoint(from_item(item)) if item else None

    def set_paused(self, endpoint_id: str, paused_at: datetime | None) -> WebhookEndpoint:
        change: dict[str, Any] = (
            {"UpdateExpression": "SET paused_at = :at", "ExpressionAttributeValues": {":at": {"S": iso(paused_at) or ""}}}
            if paused_at is not None else {"UpdateExpression": "REMOVE paused_at"})
        try:
            response = self._client.update_item(
                TableName=self._table, Key=endpoint_key(endpoint_id), ConditionExpression="attribute_exists(pk)",
                ReturnValues="ALL_NEW", **change)
        except ClientError as error:
            if is_conditional_check_failure(error):
                raise NotFoundError(f"no webhook endpoint {endpoint_id}") from error
            raise
        return _endpoint(from_item(response["Attributes"]))

    def remove_endpoint(self, endpoint_id: str) -> None:
        try:
            self._client.delete_item(TableName=self._table, Key=endpoint_key(endpoint_id),
                                     ConditionExpression="attribute_exists(pk)")
        except ClientError as error:
            if is_conditional_check_failure(error):
                raise NotFoundError(f"no webhook endpoint {endpoint_id}") from error
            raise

    # Outbox ----------------------------------------------------------------------------------

    def outbox(self, *, limit: int = 100) -> list[OutboundEvent]:
        """The oldest waiting events of every shard (at most `limit` of each)."""
        found: list[OutboundEvent] = []
        for shard in range(OUTBOX_SHARDS):
            response = self._client.query(
                TableName=self._table, KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"OUTBOX#{shard}"}}, ConsistentRead=True, Limit=limit)
            for item in response.get("Items", []):
                record = from_item(item)
                at = parse_iso(record["at"])
                assert at is not None
                found.append(OutboundEvent(message_id=record["message_id"], type=record["type"], at=at,
                                           rma=record["rma"], body=record["body"]))
        return sorted(found, key=lambda e: (e.at, e.message_id))

    def remove_from_outbox(self, event: OutboundEvent) -> None:
        record = outbox_record(event)
        self._client.delete_item(TableName=self._table,
                                 Key={"pk": {"S": record["pk"]}, "sk": {"S": record["sk"]}})

    # Deliveries ------------------------------------------------------------------------------

    def add_delivery(self, delivery: Delivery) -> bool:
        """Record a new delivery; False when it was already there (another relay fanned out first)."""
        try:
            self._client.put_item(
                TableName=self._table, ConditionExpression="attribute_not_exists(pk)",
                Item=to_item({
                    **{k: v["S"] for k, v in delivery_key(delivery.endpoint_id, delivery.message_id).items()},
                    "entity": "webhook_delivery",
                    "gsi1pk": f"WEBHOOK#{delivery.endpoint_id}#DELIVERIES",
                    "gsi1sk": f"{iso(delivery.created_at)}#{delivery.message_id}",
                    "endpoint_id": delivery.endpoint_id, "message_id": delivery.message_id,
                    "type": delivery.type, "body": delivery.body, "created_at": iso(delivery.created_at),
                    "status": delivery.status, "attempts": [], "replays": 0,
                    "expires_at": int((delivery.created_at + DELIVERIES_KEPT).timestamp()),
                }),
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True

    def mark_queued(self, endpoint_id: str, message_id: str, *, now: datetime, held_at: datetime | None = None) -> None:
        """The delivery's message is on the queue (a relay that finds a delivery never queued sends
        it); no longer held, unless a hold came after the one the caller saw (its condition fails
        and the newer hold stands: a worker held it while the message was on its way)."""
        seen = "attribute_not_exists(held_at)" if held_at is None else "held_at = :seen"
        try:
            self._client.update_item(
                TableName=self._table, Key=delivery_key(endpoint_id, message_id),
                UpdateExpression="SET queued_at = :now REMOVE gsi2pk, gsi2sk, held_at",
                ConditionExpression=f"attribute_exists(pk) AND {seen}",
                ExpressionAttributeValues={":now": {"S": iso(now) or ""},
                                           **({":seen": {"S": _precise(held_at)}} if held_at is not None else {})})
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise

    def hold(self, endpoint_id: str, message_id: str, *, now: datetime) -> None:
        """Listed in the endpoint's held partition of gsi2 (sparse: only held deliveries have it)."""
        self._client.update_item(
            TableName=self._table, Key=delivery_key(endpoint_id, message_id),
            UpdateExpression="SET gsi2pk = :held, gsi2sk = created_at, held_at = :now REMOVE queued_at",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":held": {"S": _held_partition(endpoint_id)}, ":now": {"S": _precise(now)}})

    def held(self, endpoint_id: str) -> list[Delivery]:
        records = query_all(self._client, {
            "TableName": self._table, "IndexName": "gsi2", "KeyConditionExpression": "gsi2pk = :held",
            "ExpressionAttributeValues": {":held": {"S": _held_partition(endpoint_id)}},
        })
        return [_delivery(record) for record in records]

    def delivery(self, endpoint_id: str, message_id: str) -> Delivery | None:
        item = self._client.get_item(TableName=self._table, Key=delivery_key(endpoint_id, message_id),
                                     ConsistentRead=True).get("Item")
        return _delivery(from_item(item)) if item else None

    def queued_at(self, endpoint_id: str, message_id: str) -> datetime | None:
        item = self._client.get_item(TableName=self._table, Key=delivery_key(endpoint_id, message_id),
                                     ConsistentRead=True, ProjectionExpression="queued_at").get("Item")
        return parse_iso(item["queued_at"]["S"]) if item and "queued_at" in item else None

    def deliveries(self, endpoint_id: str, *, limit: int = 50) -> list[Delivery]:
        response = self._client.query(
            TableName=self._table, IndexName="gsi1", KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"WEBHOOK#{endpoint_id}#DELIVERIES"}},
            ScanIndexForward=False, Limit=limit)
        return [_delivery(from_item(item)) for item in response.get("Items", [])]

    def record_attempt(self, delivery: Delivery, attempt: DeliveryAttempt, *, status: str) -> None:
        """Append one attempt and set the delivery's state (`delivered`, `pending` for a retry,
        `failed` after the last); a delivered one is never set back by a late duplicate."""
        entry = to_attribute({"at": iso(attempt.at), "status_code": attempt.status_code, "error": attempt.error,
                              "duration_ms": attempt.duration_ms})
        # Delivered: no longer held (a duplicate message held it while this one was sending).
        unheld = " REMOVE gsi2pk, gsi2sk, held_at" if status == DELIVERED else ""
        try:
            self._client.update_item(
                TableName=self._table, Key=delivery_key(delivery.endpoint_id, delivery.message_id),
                UpdateExpression="SET attempts = list_append(attempts, :one), #status = :status" + unheld,
                ConditionExpression="attribute_exists(pk) AND (#status <> :delivered OR :status = :delivered)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":one": {"L": [entry]}, ":status": {"S": status},
                                           ":delivered": {"S": DELIVERED}},
            )
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise

    def start_replay(self, endpoint_id: str, message_id: str) -> Delivery:
        """Set the delivery pending again for a replay; NotFoundError when there is none."""
        try:
            response = self._client.update_item(
                TableName=self._table, Key=delivery_key(endpoint_id, message_id),
                # The earlier attempts stay in the log; the replay's are appended after them.
                UpdateExpression="SET #status = :pending ADD replays :one",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":pending": {"S": PENDING}, ":one": {"N": "1"}},
                ReturnValues="ALL_NEW")
        except ClientError as error:
            if is_conditional_check_failure(error):
                raise NotFoundError(f"no delivery {message_id} for endpoint {endpoint_id}") from error
            raise
        return _delivery(from_item(response["Attributes"]))


def _held_partition(endpoint_id: str) -> str:
    return f"WEBHOOK#{endpoint_id}#HELD"


def _precise(moment: datetime) -> str:
    """A hold's time to the microsecond: two holds of one delivery never read the same."""
    return moment.astimezone(UTC).isoformat()


def _parse_precise(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _endpoint(record: dict[str, Any]) -> WebhookEndpoint:
    created = parse_iso(record["created_at"])
    assert created is not None
    return WebhookEndpoint(endpoint_id=record["endpoint_id"], url=record["url"], events=tuple(record["events"]),
                           secret=record["secret"], created_at=created, created_by=record.get("created_by", "admin"),
                           paused_at=parse_iso(record["paused_at"]) if record.get("paused_at") else None)


def _delivery(record: dict[str, Any]) -> Delivery:
    created = parse_iso(record["created_at"])
    assert created is not None
    attempts = []
    for a in record.get("attempts") or []:
        at = parse_iso(a["at"])
        assert at is not None
        attempts.append(DeliveryAttempt(at=at, status_code=a.get("status_code"), error=a.get("error") or "",
                                        duration_ms=int(a.get("duration_ms") or 0)))
    status = record.get("status", PENDING)
    return Delivery(endpoint_id=record["endpoint_id"], message_id=record["message_id"], type=record["type"],
                    body=record["body"], created_at=created,
                    status=status if status in (PENDING, DELIVERED, FAILED) else PENDING,
                    attempts=tuple(attempts), replays=int(record.get("replays") or 0),
                    held_at=_parse_precise(record["held_at"]) if record.get("held_at") else None)
