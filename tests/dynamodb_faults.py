"""DynamoDB's throttling answer, a replica behind the table and a lost answer, injected at the
wire by a `before-send` hook on a client."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectionClosedError


class Throttle:
    """Lets the first `skip` requests through, then answers the next `times` (all of them when
    None, until `left` is set to 0) with DynamoDB's throttling error `code`."""

    def __init__(self, times: int | None = None, *, skip: int = 0,
                 code: str = "ProvisionedThroughputExceededException") -> None:
        self.left, self.skip, self.code = times, skip, code
        self.seen = 0
        self.throttled = 0

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        self.seen += 1
        if self.seen <= self.skip or self.left == 0:
            return None
        if self.left is not None:
            self.left -= 1
        self.throttled += 1
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{self.code}",
                           "message": "The level of configured provisioned throughput for the table was exceeded."})
        raw = type("Raw", (), {"stream": lambda self, *a, **k: iter([body.encode()])})()
        return AWSResponse(request.url, 400, {"x-amzn-RequestId": "throttled"}, raw)


class AnswerLost:
    """Delivers the first transaction to the server, then drops the connection before its answer
    is read: the commit happened, the caller cannot know."""

    def __init__(self) -> None:
        self.tokens: list[str] = []

    def __call__(self, request: Any, **_: Any) -> None:
        self.tokens.append(json.loads(request.body)["ClientRequestToken"])
        if len(self.tokens) > 1:
            return None
        parts = urlsplit(request.url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        connection.request("POST", parts.path or "/", body=request.body,
                           headers={k: (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()})
        assert connection.getresponse().status == 200  # committed
        connection.close()
        raise ConnectionClosedError(endpoint_url=request.url)


class BehindReplica:
    """An eventually consistent Query of one partition answered with an older copy of it, as a
    DynamoDB replica that has not seen the latest writes yet may answer. Consistent reads, and
    every other partition, go to the table."""

    def __init__(self, partition_key: str, answer: dict[str, Any]) -> None:
        self.partition_key = partition_key
        self.body = json.dumps({k: v for k, v in answer.items() if k != "ResponseMetadata"}).encode()
        self.served = 0

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        params = json.loads(request.body)
        asked = (params.get("ExpressionAttributeValues") or {}).get(":pk", {}).get("S")
        if params.get("ConsistentRead") or asked != self.partition_key:
            return None
        self.served += 1
        body = self.body
        raw = type("Raw", (), {"stream": lambda self, *a, **k: iter([body])})()
        return AWSResponse(request.url, 200, {"x-amzn-RequestId": "behind-replica"}, raw)


# A replica that has not seen a return created a moment ago.
NOTHING_YET: dict[str, Any] = {"Items": [], "Count": 0, "ScannedCount": 0}


def return_partition(deps: Any, rma: str) -> dict[str, Any]:
    """The return's partition as a consistent Query answers it now, to serve later as an old copy."""
    answer: dict[str, Any] = deps.orders._client.query(
        TableName=deps.settings.table_name, KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"RETURN#{rma}"}}, ConsistentRead=True)
    return answer


@contextmanager
def replica_behind(deps: Any, rma: str, copy: dict[str, Any]) -> Iterator[BehindReplica]:
    """While inside, the app's eventually consistent reads of return `rma` answer `copy`."""
    events = deps.orders._client.meta.events
    replica = BehindReplica(f"RETURN#{rma}", copy)
    events.register_first("before-send.dynamodb.Query", replica)
    try:
        yield replica
    finally:
        events.unregister("before-send.dynamodb.Query", replica)
