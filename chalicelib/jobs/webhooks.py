"""Outbound events: the relay (outbox -> delivery queue, every minute) and the delivery worker (SQS).

The relay runs on a one-minute schedule rather than on the table's stream: simpler to deploy and
to run locally (devstack/webhook_worker.py calls the same function every second); an event
waits at most about a minute before its first attempt. docs/webhooks.md.

The worker takes one message at a time (batch_size=1, as the refund worker: Chalice has no
partial-batch answer). A failed attempt sets the message's visibility to the next delay of the
back-off schedule and fails the invocation, so SQS hands it out again then; after the last
attempt the queue's redrive policy (maxReceiveCount = MAX_ATTEMPTS, infra/retour.yaml) moves it
to the dead-letter queue.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Rate, SQSEvent

from ..adapters.sqs_webhook_queue import parse_webhook_message
from ..bootstrap import get_deps
from ..domain.errors import RetourError, ValidationError
from ..services.webhooks import deliver, relay_outbox

if TYPE_CHECKING:
    from ..bootstrap import Deps

log = logging.getLogger("retour.webhooks")

webhook_jobs = Blueprint(__name__)

# Chalice writes the queue's ARN as a Fn::Sub of this name; infra/retour.yaml names WebhookQueue so.
QUEUE_NAME = "${AWS::StackName}-webhooks"
MAXIMUM_CONCURRENCY = 5


class DeliveryRetryError(RetourError):
    """The attempt failed: the message comes back after its back-off delay (never a bug)."""

    code = "webhook_delivery_retry"


def handle_webhook_message(deps: Deps, body: str, *, receipt_handle: str, receive_count: int) -> bool:
    """One queue message; True when it is done (delete it). A failed attempt has already set the
    message's visibility to its back-off delay; False leaves the message to come back then."""
    try:
        endpoint_id, message_id = parse_webhook_message(body)
    except ValueError as error:
        log.error("unreadable webhook message left for the dead-letter queue", extra={"body": body[:200]})
        raise ValidationError('a webhook message must be {"endpoint_id": str, "message_id": str}',
                              code="unreadable_webhook_message") from error
    outcome = deliver(deps, endpoint_id, message_id, attempt=max(receive_count, 1))
    if outcome.retry_in is None:
        return True
    deps.webhook_queue.retry_later(receipt_handle, outcome.retry_in)
    return False


@webhook_jobs.on_sqs_message(queue=QUEUE_NAME, batch_size=1, name="webhook_worker",
                             maximum_concurrency=MAXIMUM_CONCURRENCY)
def webhook_worker(event: SQSEvent) -> None:
    """Sign and POST each delivery; a failed attempt raises so SQS keeps the message for later."""
    deps = get_deps()
    for record in event:
        attributes = record.to_dict().get("attributes") or {}
        count = int(attributes.get("ApproximateReceiveCount") or 1)
        if not handle_webhook_message(deps, record.body, receipt_handle=record.receipt_handle, receive_count=count):
            raise DeliveryRetryError("webhook delivery failed; retried after its back-off delay")


@webhook_jobs.schedule(Rate(1, unit=Rate.MINUTES), name="relay_webhooks")
def relay_webhooks(event: Any) -> None:
    """Every minute: fan the outbox's events out to the endpoints' delivery queue."""
    relayed = relay_outbox(get_deps())
    if relayed:
        log.info("webhook events relayed", extra={"count": relayed})
