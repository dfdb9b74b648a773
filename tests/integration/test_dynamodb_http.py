"""The small DynamoDB client answers, fails and retries as botocore's client does, on the local server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import botocore.endpoint
import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters.aws_sigv4 import Credentials
from chalicelib.adapters.dynamodb_http import MAX_ATTEMPTS, DynamoDBHTTPClient, operation_name

KEY = {"pk": {"S": "ORDER#H1"}, "sk": {"S": "ORDER"}}
from tests.dynamodb_faults import Throttle


@pytest.fixture
def ours(aws_endpoint: str) -> DynamoDBHTTPClient:
    return DynamoDBHTTPClient(region="us-east-1", endpoint_url=aws_endpoint,
                              credentials=lambda: Credentials("local", "local"))


def without_metadata(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


def error_of(call: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call()
    response: dict[str, Any] = caught.value.response
    return response


def test_reads_and_writes_answer_as_botocore_answers(ours: DynamoDBHTTPClient, dynamodb: Any, table_name: str) -> None:
    item = {**KEY, "version": {"N": "1"}, "tags": {"L": [{"S": "a"}, {"BOOL": True}, {"NULL": True}]},
            "name": {"S": "山田 愛子"}}
    assert without_metadata(ours.put_item(TableName=table_name, Item=item)) == {}
    assert ours.get_item(TableName=table_name, Key=KEY, ConsistentRead=True)["Item"] == item
    for request in (
        lambda c: c.get_item(TableName=table_name, Key=KEY),
        lambda c: c.get_item(TableName=table_name, Key={**KEY, "sk": {"S": "NOPE"}}),
        lambda c: c.query(TableName=table_name, KeyConditionExpression="pk = :pk",
                          ExpressionAttributeValues={":pk": KEY["pk"]}),
        lambda c: c.update_item(TableName=table_name, Key=KEY, UpdateExpression="ADD version :one",
                                ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="UPDATED_NEW"),
    ):
        theirs = without_metadata(request(dynamodb))
        if "Attributes" in theirs:  # the update ran twice: ours saw one more
            assert without_metadata(request(ours))["Attributes"]["version"]["N"] == str(
                int(theirs["Attributes"]["version"]["N"]) + 1)
        else:
            assert without_metadata(request(ours)) == theirs
    answer = ours.get_item(TableName=table_name, Key=KEY)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert answer["ResponseMetadata"]["RetryAttempts"] == 0


def test_a_failed_condition_and_a_cancelled_transaction_fail_with_botocores_error(
    ours: DynamoDBHTTPClient, dynamodb: Any, table_name: str,
) -> None:
    dynamodb.put_item(TableName=table_name, Item=KEY)
    write = {"TableName": table_name, "Item": KEY, "ConditionExpression": "attribute_not_exists(pk)"}
    theirs, mine = error_of(lambda: dynamodb.put_item(**write)), error_of(lambda: ours.put_item(**write))
    assert mine["Error"] == theirs["Error"]
    assert mine["Error"]["Code"] == "ConditionalCheckFailedException"
    assert mine["ResponseMetadata"]["HTTPStatusCode"] == 400
    other = {"pk": {"S": "ORDER#H2"}, "sk": {"S": "ORDER"}}
    actions = [{"Put": {"TableName": table_name, "Item": other}}, {"Put": write}]
    theirs = error_of(lambda: dynamodb.transact_write_items(TransactItems=actions))
    mine = error_of(lambda: ours.transact_write_items(TransactItems=actions))
    assert mine["Error"] == theirs["Error"]
    assert mine["Error"]["Code"] == "TransactionCanceledException"
    assert mine["CancellationReasons"] == theirs["CancellationReasons"]
    assert [r["Code"] for r in mine["CancellationReasons"]] == ["None", "ConditionalCheckFailed"]


def test_a_bad_request_is_the_servers_validation_error(ours: DynamoDBHTTPClient, table_name: str) -> None:
    assert error_of(lambda: ours.get_item(TableName=table_name, Key={"nope": {"S": "x"}}))["Error"]["Code"] == (
        "ValidationException")


@pytest.fixture
def no_backoff() -> Iterator[list[float]]:
    waits: list[float] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.endpoint.time, "sleep", waits.append)
        yield waits


def test_throttling_is_retried_with_doubling_waits(ours: DynamoDBHTTPClient, table_name: str,
                                                   no_backoff: list[float]) -> None:
    throttle = Throttle(3)
    ours.meta.events.register_first("before-send.dynamodb.GetItem", throttle)
    answer = ours.get_item(TableName=table_name, Key=KEY)
    assert throttle.seen == 4
    assert answer["ResponseMetadata"]["RetryAttempts"] == 3
    assert no_backoff == [0.05, 0.1, 0.2]


def test_throttling_past_every_retry_is_botocores_throttling_error(ours: DynamoDBHTTPClient, table_name: str,
                                                                   no_backoff: list[float]) -> None:
    throttle = Throttle(1000)
    ours.meta.events.register_first("before-send.dynamodb.PutItem", throttle)
    error = error_of(lambda: ours.put_item(TableName=table_name, Item=KEY))
    assert throttle.seen == MAX_ATTEMPTS
    assert error["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert error["ResponseMetadata"]["RetryAttempts"] == MAX_ATTEMPTS - 1


def test_benchmark_hooks_see_each_call_with_its_parameters_and_answer(ours: DynamoDBHTTPClient, table_name: str) -> None:
    seen: list[tuple[str, str, Any]] = []
    ours.meta.events.register("before-parameter-build.dynamodb",
                              lambda params, model, **_: seen.append(("before", model.name, params["TableName"])))
    ours.meta.events.register("after-call.dynamodb.*",
                              lambda parsed, model, **_: seen.append(("after", model.name, "Item" in parsed)))
    ours.get_item(TableName=table_name, Key=KEY)
    assert seen == [("before", "GetItem", table_name), ("after", "GetItem", False)]


def test_method_names_map_to_operations() -> None:
    assert operation_name("transact_write_items") == "TransactWriteItems"
    assert operation_name("query") == "Query"
    assert operation_name("batch_get_item") == "BatchGetItem"
