"""The local webhook worker: relays the outbox and drains moto's webhook queue into the Lambda's
own handler function, as the deployed relay schedule and SQS worker do (chalicelib/jobs/webhooks.py).

`make run` starts it beside the app. The relay runs every second here (every minute deployed), so
a receiver on the local stack hears of a move at once. A failed attempt's message comes back
after its back-off delay (its visibility), and after the last one moves to the dead-letter queue.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from types import FrameType
from typing import Any

from chalicelib.bootstrap import Deps, aws_client, get_deps
from chalicelib.jobs.webhooks import handle_webhook_message
from chalicelib.services.webhooks import relay_outbox
from chalicelib.settings import Settings

log = logging.getLogger("retour.webhook_worker")

POLL_SECONDS = 1.0


def drain_webhooks(deps: Deps, sqs: Any, queue_url: str, *, limit: int | None = None) -> int:
    """Handle the messages visible now (or `limit`); how many attempts were made."""
    handled = 0
    while limit is None or handled < limit:
        response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=0,
                                       AttributeNames=["ApproximateReceiveCount"])
        messages = response.get("Messages", [])
        if not messages:
            return handled
        for message in messages:
            handled += 1
            count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
            try:
                done = handle_webhook_message(deps, message["Body"], receipt_handle=message["ReceiptHandle"],
                                              receive_count=count)
            except Exception:
                # As in Lambda: the message comes back after its visibility timeout.
                log.exception("webhook message failed; it will be retried")
                continue
            if done:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return handled


def relay_and_drain(deps: Deps, sqs: Any, queue_url: str) -> int:
    """One round: the outbox to the queue, then the queue to the endpoints."""
    relay_outbox(deps)
    return drain_webhooks(deps, sqs, queue_url)


class _Stop(Exception):
    pass


def _stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def main() -> None:
    """Entry point of `python -m devstack.webhook_worker` (the stack's environment is set by run.py)."""
    logging.basicConfig(level=logging.INFO, format="webhook_worker %(levelname)s %(message)s")
    signal.signal(signal.SIGTERM, _stop)
    settings = Settings.from_env()
    deps = get_deps()
    sqs = aws_client(settings, "sqs")
    queue_url = settings.webhook_queue_url or sqs.get_queue_url(QueueName=settings.webhook_queue_name)["QueueUrl"]
    print(f"webhook_worker relaying the outbox into {queue_url}", flush=True)
    try:
        while True:
            try:
                relay_and_drain(deps, sqs, queue_url)
            except (_Stop, KeyboardInterrupt):
                raise
            except Exception:
                log.exception("webhook relay failed; next round retries")
            time.sleep(POLL_SECONDS)
    except (_Stop, KeyboardInterrupt):
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
