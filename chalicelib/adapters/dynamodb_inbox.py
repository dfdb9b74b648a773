"""The console inbox's reads in the single DynamoDB table: gsi2 `RETURNS#{status}`, gsi3
`ORDER#{number}`, gsi1 `CUSTOMER#{email_key}` and the return item itself (data-model.md,
patterns 33 to 35). Every read is a Query of one index partition or a GetItem; none is a Scan.
"""

from __future__ import annotations

import re
from typing import Any

from ..domain.errors import ValidationError
from ..domain.return_request import ReturnRequest, ReturnStatus
from ..services.ports.inbox import EntriesRead, Entry, Listing
from .dynamodb_items import email_key, from_item, order_partition
from .dynamodb_returns import return_from_record

# gsi2sk of a return: {status_changed_at}#{rma}; gsi1sk and gsi3sk: RETURN#{created_at}#{rma}.
_STATUS_KEY = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ#R-[0-9A-Z]{4}-[0-9A-Z]{4}$")
_CREATED_KEY = re.compile(r"^RETURN#\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ#R-[0-9A-Z]{4}-[0-9A-Z]{4}$")
_INDEXES = {"status": "gsi2", "order": "gsi3", "customer": "gsi1"}


class DynamoDBInboxIndex:
    """InboxIndex over the table's three listing indexes (each projects every attribute, so an
    entry is the whole return item and nothing is read after the index)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def read(self, listing: Listing, *, forward: bool, after: str | None, limit: int) -> EntriesRead:
        index = _INDEXES[listing.kind]
        pk, sk = f"{index}pk", f"{index}sk"
        partition, condition, values = _key_condition(listing, sk)
        request: dict[str, Any] = {
            "TableName": self._table, "IndexName": index,
            "KeyConditionExpression": f"{pk} = :partition{condition}",
            "ExpressionAttributeValues": {":partition": {"S": partition}, **values},
            "ScanIndexForward": forward, "Limit": limit,
        }
        if after is not None:
            shape = _STATUS_KEY if listing.kind == "status" else _CREATED_KEY
            if not shape.match(after):
                raise ValidationError("the page's position is not one this inbox gave out", fields=("page",))
            rma = after.rpartition("#")[2]
            request["ExclusiveStartKey"] = {
                pk: {"S": partition}, sk: {"S": after}, "pk": {"S": f"RETURN#{rma}"}, "sk": {"S": "RETURN"},
            }
        response = self._client.query(**request)
        entries = tuple(
            Entry(return_from_record(record, []), record[sk])
            for record in (from_item(item) for item in response.get("Items", []))
        )
        return EntriesRead(entries, more="LastEvaluatedKey" in response)

    def count(self, status: ReturnStatus, *, at_most: int) -> int:
        counted = 0
        request: dict[str, Any] = {
            "TableName": self._table, "IndexName": "gsi2", "Select": "COUNT",
            "KeyConditionExpression": "gsi2pk = :status",
            "ExpressionAttributeValues": {":status": {"S": f"RETURNS#{status}"}},
        }
        while counted < at_most:
            # COUNT still reads (and bills) every entry it counts: Limit keeps the read bounded.
            response = self._client.query(**request, Limit=at_most - counted)
            counted += int(response.get("Count", 0))
            last = response.get("LastEvaluatedKey")
            if not last:
                break
            request["ExclusiveStartKey"] = last
        return min(counted, at_most)

    def one(self, rma: str) -> ReturnRequest | None:
        response = self._client.get_item(TableName=self._table, ConsistentRead=False,
                                         Key={"pk": {"S": f"RETURN#{rma}"}, "sk": {"S": "RETURN"}})
        item = response.get("Item")
        return return_from_record(from_item(item), []) if item else None


def _key_condition(listing: Listing, sk: str) -> tuple[str, str, dict[str, Any]]:
    """The partition key value, the sort key's condition (with its leading " AND ") and its values."""
    if listing.kind == "status":
        partition = f"RETURNS#{listing.value}"
        # Keys are `{second}#{rma}`: a bare second sorts before every key of that second, so
        # `< until` (and BETWEEN's inclusive upper end) leaves that whole second out.
        if listing.since and listing.until:
            return partition, f" AND {sk} BETWEEN :since AND :until", {
                ":since": {"S": listing.since}, ":until": {"S": listing.until}}
        if listing.since:
            return partition, f" AND {sk} >= :since", {":since": {"S": listing.since}}
        if listing.until:
            return partition, f" AND {sk} < :until", {":until": {"S": listing.until}}
        return partition, "", {}
    # The shopper's partition also holds their orders (ORDER#...): the RETURN# range keeps them out.
    partition = order_partition(listing.value) if listing.kind == "order" else f"CUSTOMER#{email_key(listing.value)}"
    return partition, f" AND {sk} BETWEEN :since AND :until", {
        ":since": {"S": "RETURN#" + (listing.since or "")}, ":until": {"S": "RETURN#" + (listing.until or "~")}}
