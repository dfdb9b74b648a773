"""The table's unit of work: named items in one TransactWriteItems, refusals reported by name."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters.dynamodb_transaction import DynamoDBTransaction, TransactionRefusedError


class Client:
    """Records the call, or refuses it the way DynamoDB does."""

    def __init__(self, *, error: ClientError | None = None) -> None:
        self.error = error
        self.written: list[dict[str, Any]] = []

    def transact_write_items(self, *, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        if self.error is not None:
            raise self.error
        self.written = TransactItems
        return {}


def cancelled(*codes: str) -> ClientError:
    return ClientError(
        {"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
         "CancellationReasons": [{"Code": code} for code in codes]},
        "TransactWriteItems",
    )


def a_transaction(client: Client) -> DynamoDBTransaction:
    transaction = DynamoDBTransaction(client, "retour")
    transaction.put("return", {"pk": {"S": "RETURN#R-1"}}, condition="attribute_not_exists(pk)")
    transaction.update("payment", {"pk": {"S": "ORDER#1001"}}, "SET remaining = remaining - :n",
                       condition="remaining >= :n", values={":n": {"N": "5"}})
    return transaction


def test_the_items_are_written_in_one_call_in_the_order_they_were_added() -> None:
    client = Client()
    a_transaction(client).commit()
    assert client.written == [
        {"Put": {"TableName": "retour", "Item": {"pk": {"S": "RETURN#R-1"}},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": "retour", "Key": {"pk": {"S": "ORDER#1001"}},
                    "UpdateExpression": "SET remaining = remaining - :n", "ConditionExpression": "remaining >= :n",
                    "ExpressionAttributeValues": {":n": {"N": "5"}}}},
    ]


def test_a_refusal_names_the_items_whose_condition_failed() -> None:
    with pytest.raises(TransactionRefusedError) as refused:
        a_transaction(Client(error=cancelled("None", "ConditionalCheckFailed"))).commit()
    assert refused.value.codes == {"payment": "ConditionalCheckFailed"}
    assert refused.value.failed == {"payment"} and not refused.value.conflicted


def test_a_concurrent_write_is_a_conflict_not_a_failed_condition() -> None:
    with pytest.raises(TransactionRefusedError) as refused:
        a_transaction(Client(error=cancelled("TransactionConflict", "None"))).commit()
    assert refused.value.failed == frozenset() and refused.value.conflicted


def test_throttling_is_not_a_refusal() -> None:
    with pytest.raises(ClientError):
        a_transaction(Client(error=cancelled("None", "ThrottlingError"))).commit()


def test_two_items_never_share_a_name() -> None:
    transaction = a_transaction(Client())
    with pytest.raises(ValueError):
        transaction.put("payment", {"pk": {"S": "X"}})
