"""The local refund worker: drains moto's refund queue into the Lambda's own handler function.

`make run` starts it beside the app. Like the deployed worker it handles one message at a
time and deletes a message only after it was handled, so a failure hands it out again (and
after five tries moves it to the dead-letter queue). Every minute it also runs the job that
resumes refunds stuck in refunding, as the deployed schedule does.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from types import FrameType
from typing import Any

from chalicelib.bootstrap import Deps, aws_client, get_deps
from chalicelib.jobs.refunds import handle_refund_body
from chalicelib.services.pay_difference import resume_difference_refunds
from chalicelib.services.refund_return import resume_stuck_refunds
from chalicelib.settings import Settings

log = logging.getLogger("retour.refund_worker")

RESUME_EVERY_SECONDS = 60.0
POLL_SECONDS = 0.5


def drain(deps: Deps, sqs: Any, queue_url: str, *, wait_seconds: int = 0, limit: int | None = None) -> int:
    """Handle messages until the queue answers empty (or `limit`); how many were handled."""
    handled = 0
    while limit is None or handled < limit:
        response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=wait_seconds)
        messages = response.get("Messages", [])
        if not messages:
            return handled
        for message in messages:
            try:
                handle_refund_body(deps, message["Body"])
            except Exception:
                # As in Lambda: the message comes back after its visibility timeout.
                log.exception("refund message failed; it will be retried")
                continue
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            handled += 1
    return handled


class _Stop(Exception):
    pass


def _stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def main() -> None:
    """Entry point of `python -m devstack.refund_worker` (the stack's environment is set by run.py)."""
    logging.basicConfig(level=logging.INFO, format="refund_worker %(levelname)s %(message)s")
    signal.signal(signal.SIGTERM, _stop)
    settings = Settings.from_env()
    deps = get_deps()
    sqs = aws_client(settings, "sqs")
    queue_url = settings.refund_queue_url or sqs.get_queue_url(QueueName=settings.refund_queue_name)["QueueUrl"]
    print(f"refund_worker draining {queue_url}", flush=True)
    next_resume = time.monotonic() + RESUME_EVERY_SECONDS
    try:
        while True:
            # No long polling: the local AWS serves one request at a time, and a waiting
            # receive would hold up the app's own calls.
            if not drain(deps, sqs, queue_url):
                time.sleep(POLL_SECONDS)
            if time.monotonic() >= next_resume:
                next_resume = time.monotonic() + RESUME_EVERY_SECONDS
                try:
                    resume_stuck_refunds(deps)
                    resume_difference_refunds(deps)
                except Exception:
                    log.exception("resuming stuck refunds failed; next minute retries")
    except (_Stop, KeyboardInterrupt):
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
