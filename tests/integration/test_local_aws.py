"""The local AWS server: loopback only, and conditional writes as atomic as in DynamoDB."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

THREADS = 16
ROUNDS = 30
# An order-sized item with index keys: moto then spends long enough between its condition check
# and its write for threads to interleave; without the lock a double winner shows within a few rounds.
PAYLOAD: dict[str, Any] = {
    f"line{i}": {"M": {"title": {"S": "Organic tee — navy, M " * 3}, "quantity": {"N": str(i)},
                       "tags": {"L": [{"S": "apparel"}] * 5}}}
    for i in range(80)
}
PAYLOAD.update({
    "gsi1pk": {"S": "EMAIL#aiko@example.jp"}, "gsi1sk": {"S": "ORDER#1001"},
    "gsi2pk": {"S": "STATUS#pending_approval"}, "gsi2sk": {"S": "2026-11-23T10:00:00Z"},
})


def test_the_local_aws_listens_on_loopback_only(
    aws_endpoint: str, listening_addresses: Callable[[int], set[str]]
) -> None:
    port = urlsplit(aws_endpoint).port
    assert port is not None
    assert listening_addresses(port) == {"127.0.0.1"}


def _client(aws_endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")


def test_concurrent_conditional_updates_of_one_item_have_exactly_one_winner(
    aws_endpoint: str, dynamodb: Any, table_name: str
) -> None:
    clients = [_client(aws_endpoint) for _ in range(THREADS)]
    key = {"pk": {"S": "RACE#1"}, "sk": {"S": "RACE"}}
    for round_number in range(ROUNDS):
        old = f"r{round_number}"
        dynamodb.put_item(TableName=table_name, Item={**key, "v": {"S": old}, **PAYLOAD})
        start = threading.Barrier(THREADS)
        winners: list[str] = []
        losers: list[str] = []
        errors: list[BaseException] = []

        def race(client: Any, new: str) -> None:
            start.wait()
            try:
                client.update_item(
                    TableName=table_name, Key=key,
                    UpdateExpression="SET v = :new",
                    ConditionExpression="v = :old",
                    ExpressionAttributeValues={":new": {"S": new}, ":old": {"S": old}},
                )
                winners.append(new)
            except client.exceptions.ConditionalCheckFailedException:
                losers.append(new)
            except BaseException as error:  # noqa: BLE001 - surfaced by the assertion below
                errors.append(error)

        threads = [
            threading.Thread(target=race, args=(client, f"{old}-t{index}"))
            for index, client in enumerate(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert not errors, errors
        assert len(winners) == 1, f"round {round_number}: {len(winners)} winners"
        assert len(losers) == THREADS - 1
        stored = dynamodb.get_item(TableName=table_name, Key=key, ConsistentRead=True)["Item"]["v"]["S"]
        assert stored == winners[0]


@pytest.mark.parametrize("service", ["s3", "ses", "sqs"])
def test_the_local_aws_serves_the_other_services_the_app_uses(aws_endpoint: str, service: str) -> None:
    client = boto3.client(service, endpoint_url=aws_endpoint, region_name="us-east-1")
    if service == "s3":
        client.create_bucket(Bucket="retour-local-documents")
        assert "retour-local-documents" in [b["Name"] for b in client.list_buckets()["Buckets"]]
    elif service == "ses":
        client.verify_email_identity(EmailAddress="returns@merchant.example")
        assert "returns@merchant.example" in client.list_identities()["Identities"]
    else:
        url = client.create_queue(QueueName="retour-local-refunds")["QueueUrl"]
        assert url in client.list_queues()["QueueUrls"]


def test_the_server_on_a_thread_holds_requests_off_while_this_process_writes_its_models(
    fake_aws_environment: None,
) -> None:
    from devstack import moto_query
    from devstack.aws_server import serve_in_thread
    from devstack.tables import ensure_table

    server = serve_in_thread()
    try:
        client = _client(server.url)
        ensure_table(client, "retour-threaded")
        answered: list[Any] = []
        with server.app.exclusive():
            asking = threading.Thread(target=lambda: answered.append(client.describe_table(TableName="retour-threaded")))
            asking.start()
            asking.join(timeout=0.5)
            assert asking.is_alive() and not answered
        asking.join(timeout=10)
        assert answered[0]["Table"]["TableName"] == "retour-threaded"
    finally:
        server.stop()
        moto_query.uninstall()  # build_app patched moto in this process
