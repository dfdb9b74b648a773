"""Approval links, reminder marks and return listings in the single DynamoDB table.

Keys and indexes: docs/data-model.md (approval link, approval reminder; patterns 5, 7, 14 and 19).
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from ..domain.approvals import ApprovalLink
from ..domain.errors import ConflictError, ValidationError
from ..domain.return_request import ReturnRequest, ReturnStatus
from ..services.ports.returns import ReturnsPage
from .dynamodb_items import (
    email_key, from_item, iso, is_conditional_check_failure, order_partition, parse_iso, query_all, to_item,
)
from .dynamodb_returns import DIFFERENCES_OWED, return_from_record

_CURSOR_SK = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ#R-[0-9A-Z]{4}-[0-9A-Z]{4}$")
# gsi1sk and gsi3sk of a return: RETURN#{created_at}#{rma}.
_CURSOR_RETURN_SK = re.compile(r"^RETURN#\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ#R-[0-9A-Z]{4}-[0-9A-Z]{4}$")


def _epoch(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp())


class DynamoDBApprovalLinks:
    """ApprovalLinkStore: `APPROVAL#{sha256(token)}` items, removed by TTL after they expire."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def put(self, link: ApprovalLink) -> None:
        item = {
            "pk": f"APPROVAL#{link.token_hash}", "sk": "APPROVAL", "entity": "approval_link",
            "rma": link.rma, "actions": list(link.actions), "approver": link.approver,
            "quote_hash": link.quote_hash, "return_version": link.return_version,
            "issued_at": iso(link.issued_at), "expires_on": iso(link.expires_at),
            # The table's TTL attribute: DynamoDB deletes the item a while after this instant;
            # expiry itself is judged on `expires_on`, since TTL deletion may lag by days.
            "expires_at": _epoch(link.expires_at),
        }
        try:
            self._client.put_item(TableName=self._table, Item=to_item(item),
                                  ConditionExpression="attribute_not_exists(pk)")
        except ClientError as error:
            if is_conditional_check_failure(error):
                raise ConflictError("this approval link exists already", code="approval_link_taken") from error
            raise

    def get(self, token_hash: str) -> ApprovalLink | None:
        response = self._client.get_item(
            TableName=self._table, ConsistentRead=True,
            Key={"pk": {"S": f"APPROVAL#{token_hash}"}, "sk": {"S": "APPROVAL"}},
        )
        if "Item" not in response:
            return None
        record = from_item(response["Item"])
        issued, expires = parse_iso(record["issued_at"]), parse_iso(record["expires_on"])
        assert issued is not None and expires is not None
        return ApprovalLink(
            token_hash=token_hash, rma=record["rma"], actions=tuple(record["actions"]),
            approver=record["approver"], quote_hash=record["quote_hash"],
            return_version=record["return_version"], issued_at=issued, expires_at=expires,
        )

    def mark_reminded(self, rma: str, *, at: datetime, keep_until: datetime) -> bool:
        item = {"pk": f"APPROVAL_REMINDER#{rma}", "sk": "REMINDER", "entity": "approval_reminder",
                "rma": rma, "reminded_at": iso(at), "expires_at": _epoch(keep_until)}
        try:
            self._client.put_item(TableName=self._table, Item=to_item(item),
                                  ConditionExpression="attribute_not_exists(pk)")
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True


class DynamoDBReturnListings:
    """ReturnListings: gsi2 `RETURNS#{status}` by status, gsi3 `ORDER#{number}` by order, gsi1
    `CUSTOMER#{email_key}` by shopper."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def with_status(self, status: ReturnStatus, *, newest_first: bool, limit: int, cursor: str | None) -> ReturnsPage:
        request: dict[str, Any] = {
            "TableName": self._table, "IndexName": "gsi2",
            "KeyConditionExpression": "gsi2pk = :status",
            "ExpressionAttributeValues": {":status": {"S": f"RETURNS#{status}"}},
            "ScanIndexForward": not newest_first, "Limit": limit,
        }
        if cursor is not None:
            sk = _decode_cursor(cursor)
            rma = sk.partition("#")[2]
            request["ExclusiveStartKey"] = {
                "gsi2pk": {"S": f"RETURNS#{status}"}, "gsi2sk": {"S": sk},
                "pk": {"S": f"RETURN#{rma}"}, "sk": {"S": "RETURN"},
            }
        response = self._client.query(**request)
        found = tuple(return_from_record(from_item(item), []) for item in response.get("Items", []))
        last = response.get("LastEvaluatedKey")
        next_cursor = _encode_cursor(last["gsi2sk"]["S"]) if last and found else None
        return ReturnsPage(found, next_cursor)

    def of_customer(self, email: str, *, limit: int) -> list[ReturnRequest]:
        return list(self.by_customer(email, limit=limit, cursor=None).returns)

    def owing_differences(self) -> list[str]:
        records = query_all(self._client, {
            "TableName": self._table, "KeyConditionExpression": "pk = :owed",
            "ExpressionAttributeValues": {":owed": {"S": DIFFERENCES_OWED}},
        })
        return [str(record["rma"]) for record in records]

    def by_customer(self, email: str, *, limit: int, cursor: str | None) -> ReturnsPage:
        # The partition also holds the shopper's orders (ORDER#...): the prefix keeps them out.
        return self._returns_under("gsi1", f"CUSTOMER#{email_key(email)}", limit=limit, cursor=cursor)

    def by_order(self, order_number: str, *, limit: int, cursor: str | None) -> ReturnsPage:
        return self._returns_under("gsi3", order_partition(order_number), limit=limit, cursor=cursor)

    def _returns_under(self, index: str, partition: str, *, limit: int, cursor: str | None) -> ReturnsPage:
        """A page of the returns in `index`'s `partition` (sort key RETURN#{created_at}#{rma}), newest first."""
        pk, sk = f"{index}pk", f"{index}sk"
        request: dict[str, Any] = {
            "TableName": self._table, "IndexName": index,
            "KeyConditionExpression": f"{pk} = :partition AND begins_with({sk}, :prefix)",
            "ExpressionAttributeValues": {":partition": {"S": partition}, ":prefix": {"S": "RETURN#"}},
            "ScanIndexForward": False, "Limit": limit,
        }
        if cursor is not None:
            after = _decode_cursor(cursor, _CURSOR_RETURN_SK)
            rma = after.rpartition("#")[2]
            request["ExclusiveStartKey"] = {
                pk: {"S": partition}, sk: {"S": after}, "pk": {"S": f"RETURN#{rma}"}, "sk": {"S": "RETURN"},
            }
        response = self._client.query(**request)
        found = tuple(return_from_record(from_item(item), []) for item in response.get("Items", []))
        last = response.get("LastEvaluatedKey")
        next_cursor = _encode_cursor(last[sk]["S"]) if last and found else None
        return ReturnsPage(found, next_cursor)


def _encode_cursor(sort_key: str) -> str:
    """Opaque to clients: where the next page starts, in URL-safe base64 without padding."""
    raw = json.dumps({"after": sort_key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, shape: re.Pattern[str] = _CURSOR_SK) -> str:
    """The sort key a cursor of this listing (its keys have `shape`) starts after."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        sort_key = json.loads(raw)["after"]
    except (ValueError, KeyError, TypeError, RecursionError) as error:
        # RecursionError: a made-up cursor of a thousand nested `[`.
        raise ValidationError("cursor is not one this API gave out", fields=("cursor",)) from error
    if not isinstance(sort_key, str) or not shape.match(sort_key):
        raise ValidationError("cursor is not one this API gave out", fields=("cursor",))
    return sort_key
