"""One unit of work on the single table: named items written by one TransactWriteItems, all or nothing.

A return's move and the ledger change that rides with it (the refund ceiling, a store-credit
issue) are written together this way: DynamoDBReturnRepository.move() opens the transaction with
the return's items, the ledger adds its own and commits. Items are named, so a refusal says
which condition failed ("payment", "customer") instead of an index into a list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from .dynamodb_items import is_conditional_check_failure

_CONDITION_FAILED = "ConditionalCheckFailed"
_CONFLICT = "TransactionConflict"


class TransactionRefusedError(Exception):
    """DynamoDB cancelled the transaction: a condition failed, or another write met one of its
    items at the same moment. Nothing was written. Adapters turn it into the domain's error."""

    def __init__(self, codes: Mapping[str, str]) -> None:
        # Item name -> DynamoDB's cancellation code, for the items that had one.
        self.codes = dict(codes)
        super().__init__(f"transaction cancelled: {self.codes or 'no reasons given'}")

    @property
    def failed(self) -> frozenset[str]:
        """The items whose condition did not hold."""
        return frozenset(name for name, code in self.codes.items() if code == _CONDITION_FAILED)

    @property
    def conflicted(self) -> bool:
        """True when a concurrent transaction met one of the items (conditions were not tested)."""
        return _CONFLICT in self.codes.values()


class DynamoDBTransaction:
    """The items of one TransactWriteItems call on the table, each under a name."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name
        self._names: list[str] = []
        self._items: list[dict[str, Any]] = []

    def __len__(self) -> int:
        return len(self._items)

    def put(self, name: str, item: Mapping[str, Any], *, condition: str | None = None,
            values: Mapping[str, Any] | None = None) -> None:
        """Write the whole item (DynamoDB attribute values) if `condition` holds."""
        put: dict[str, Any] = {"TableName": self._table, "Item": dict(item)}
        if condition is not None:
            put["ConditionExpression"] = condition
        if values:
            put["ExpressionAttributeValues"] = dict(values)
        self._add(name, {"Put": put})

    def update(self, name: str, key: Mapping[str, Any], expression: str, *, condition: str | None = None,
               names: Mapping[str, str] | None = None, values: Mapping[str, Any] | None = None) -> None:
        """Apply the update `expression` to the item at `key` if `condition` holds."""
        update: dict[str, Any] = {"TableName": self._table, "Key": dict(key), "UpdateExpression": expression}
        if condition is not None:
            update["ConditionExpression"] = condition
        if names:
            update["ExpressionAttributeNames"] = dict(names)
        if values:
            update["ExpressionAttributeValues"] = dict(values)
        self._add(name, {"Update": update})

    def delete(self, name: str, key: Mapping[str, Any], *, condition: str | None = None,
               names: Mapping[str, str] | None = None, values: Mapping[str, Any] | None = None) -> None:
        """Delete the item at `key` if `condition` holds."""
        delete: dict[str, Any] = {"TableName": self._table, "Key": dict(key)}
        if condition is not None:
            delete["ConditionExpression"] = condition
        if names:
            delete["ExpressionAttributeNames"] = dict(names)
        if values:
            delete["ExpressionAttributeValues"] = dict(values)
        self._add(name, {"Delete": delete})

    def commit(self) -> None:
        """Write every item or none. TransactionRefusedError when DynamoDB cancelled it over a
        condition or a concurrent write; any other failure (throttling included) as the client
        raised it."""
        try:
            self._client.transact_write_items(TransactItems=self._items)
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise
            reasons = error.response.get("CancellationReasons") or []
            codes = {
                name: reason["Code"] for name, reason in zip(self._names, reasons, strict=False)
                if reason.get("Code") not in (None, "None")
            }
            raise TransactionRefusedError(codes) from error

    def _add(self, name: str, item: dict[str, Any]) -> None:
        if name in self._names:
            raise ValueError(f"the transaction already holds an item named {name!r}")
        self._names.append(name)
        self._items.append(item)
