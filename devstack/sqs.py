"""The local refund queue and its dead-letter queue on moto's SQS, shaped like infra/retour.yaml."""

from __future__ import annotations

import json
from typing import Any

# As in infra/retour.yaml (RefundQueue): a message is handed out again after 180 s, and after
# five failed receives it moves to the dead-letter queue.
VISIBILITY_TIMEOUT_SECONDS = 180
MAX_RECEIVE_COUNT = 5


def ensure_refund_queues(sqs: Any, name: str) -> str:
    """Create the queue `name` and `name-dlq` unless they exist; the queue's URL."""
    dead_letter_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dead_letter_arn = sqs.get_queue_attributes(
        QueueUrl=dead_letter_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    url: str = sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": str(VISIBILITY_TIMEOUT_SECONDS),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}
            ),
        },
    )["QueueUrl"]
    return url


def ensure_webhook_queues(sqs: Any, name: str) -> str:
    """The webhook delivery queue `name` and `name-dlq`, as infra/retour.yaml's WebhookQueue
    (eight receives, then the dead-letter queue); the queue's URL."""
    from chalicelib.domain.outbound_events import MAX_ATTEMPTS

    dead_letter_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dead_letter_arn = sqs.get_queue_attributes(
        QueueUrl=dead_letter_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    url: str = sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": str(VISIBILITY_TIMEOUT_SECONDS),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": str(MAX_ATTEMPTS)}
            ),
        },
    )["QueueUrl"]
    return url
