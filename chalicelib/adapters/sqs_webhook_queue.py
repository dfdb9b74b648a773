"""WebhookQueue on SQS: one `{"endpoint_id", "message_id"}` message per delivery, and the
back-off between attempts (a message's visibility set to the next delay)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


class SQSWebhookQueue:
    """The delivery queue; its URL comes from the stack (or is found by name on the local stage)."""

    def __init__(self, client: Callable[[], Any], *, queue_url: str | None, queue_name: str) -> None:
        self._client_factory = client
        self._client: Any = None
        self._queue_url = queue_url
        self._queue_name = queue_name

    def _sqs(self) -> Any:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def url(self) -> str:
        if self._queue_url is None:
            # The local stack knows its queue by name only (its URL carries moto's port).
            self._queue_url = self._sqs().get_queue_url(QueueName=self._queue_name)["QueueUrl"]
        return self._queue_url

    def enqueue(self, endpoint_id: str, message_id: str) -> None:
        self._sqs().send_message(QueueUrl=self.url(),
                                 MessageBody=json.dumps({"endpoint_id": endpoint_id, "message_id": message_id}))

    def retry_later(self, receipt_handle: str, seconds: int) -> None:
        """Hand the message out again in `seconds` (0: at once; past its last receive it goes to
        the dead-letter queue instead)."""
        self._sqs().change_message_visibility(QueueUrl=self.url(), ReceiptHandle=receipt_handle,
                                              VisibilityTimeout=seconds)


def parse_webhook_message(body: str) -> tuple[str, str]:
    """(endpoint_id, message_id) of a message body; ValueError for anything else."""
    data = json.loads(body)
    if (not isinstance(data, dict) or not isinstance(data.get("endpoint_id"), str)
            or not isinstance(data.get("message_id"), str)):
        raise ValueError('a webhook message is {"endpoint_id": str, "message_id": str}')
    return data["endpoint_id"], data["message_id"]
