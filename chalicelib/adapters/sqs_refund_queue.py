"""RefundQueue on SQS: one small JSON message per refund job, consumed by the refund worker."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


class SQSRefundQueue:
    """Sends `{"rma", "trigger"}` to the refund queue; the queue URL comes from the stack."""

    def __init__(self, client: Callable[[], Any], *, queue_url: str | None, queue_name: str) -> None:
        self._client_factory = client
        self._client: Any = None
        self._queue_url = queue_url
        self._queue_name = queue_name

    def enqueue(self, rma: str, *, trigger: str) -> None:
        if self._client is None:
            self._client = self._client_factory()
        if self._queue_url is None:
            # The local stack knows its queue by name only (its URL carries moto's port).
            self._queue_url = self._client.get_queue_url(QueueName=self._queue_name)["QueueUrl"]
        self._client.send_message(QueueUrl=self._queue_url, MessageBody=json.dumps({"rma": rma, "trigger": trigger}))


def parse_refund_message(body: str) -> tuple[str, str]:
    """(rma, trigger) of a message body; ValueError for anything else."""
    data = json.loads(body)
    if not isinstance(data, dict) or not isinstance(data.get("rma"), str) or not isinstance(data.get("trigger"), str):
        raise ValueError("a refund message is {\"rma\": str, \"trigger\": str}")
    return data["rma"], data["trigger"]
