"""The refund worker (SQS) and the job that resumes stuck refunds (schedule).

Chalice's SQS handler has no partial-batch response: one failed message returns the whole
batch to the queue. So batches are one message (batch_size=1), every message is safe to
process twice (the saga checks the status it starts from), and a message that keeps failing
goes to the dead-letter queue after five receives (infra/retour.yaml), never loops forever.

Rate: Stripe allows 25 requests/s per endpoint. The worker runs at most 5 at a time (reserved
concurrency in .chalice/config.json, maximum_concurrency here) and each paces its Stripe calls
0.25 s apart (adapters/stripe_payments.py): at most 20 requests/s together.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

from chalice.app import Blueprint, Rate, SQSEvent

from ..adapters.sqs_refund_queue import parse_refund_message
from ..bootstrap import get_deps
from ..domain.errors import ValidationError
from ..services.owe_difference import TRIGGER_DIFFERENCE
from ..services.pay_difference import refund_difference, resume_difference_refunds
from ..services.refund_return import RefundMessage, handle_refund_message, resume_stuck_refunds

if TYPE_CHECKING:
    from ..services.pay_difference import DifferenceRefundDeps
    from ..services.refund_return import RefundDeps

    class RefundJobDeps(RefundDeps, DifferenceRefundDeps, Protocol):
        """What the worker's jobs need: refunds, and exchanges' price differences."""

log = logging.getLogger("retour.refunds")

refund_jobs = Blueprint(__name__)


# Chalice writes the queue's ARN as a Fn::Sub of this name, so the stack's name fills in here;
# infra/retour.yaml names RefundQueue the same way.
QUEUE_NAME = "${AWS::StackName}-refunds"
# SQS's floor for an event source's maximum concurrency is 2; the function's own reserved
# concurrency (5) is the real bound.
MAXIMUM_CONCURRENCY = 5


def handle_refund_body(deps: RefundJobDeps, body: str) -> None:
    """One queue message: the worker (Lambda) and devstack/refund_worker.py both call this."""
    try:
        rma, trigger = parse_refund_message(body)
    except ValueError as error:
        # Never dropped: failing hands it back to SQS, which moves it to the dead-letter queue
        # after five receives (its alarm tells the merchant's operators), where it can be read.
        log.error("unreadable refund message left for the dead-letter queue", extra={"body": body[:200]})
        raise ValidationError("a refund message must be {\"rma\": str, \"trigger\": str}",
                              code="unreadable_refund_message") from error
    if trigger == TRIGGER_DIFFERENCE:
        # A dearer exchange's paid price difference, owed back (services/pay_difference.py).
        refund_difference(deps, rma)
        return
    handle_refund_message(deps, RefundMessage(rma=rma, trigger=trigger))


@refund_jobs.on_sqs_message(
    queue=QUEUE_NAME, batch_size=1, name="refund_worker", maximum_concurrency=MAXIMUM_CONCURRENCY
)
def refund_worker(event: SQSEvent) -> None:
    """Pay back the returns whose refund jobs arrive; an exception returns the message to the queue."""
    deps = get_deps()
    for record in event:
        handle_refund_body(deps, record.body)


@refund_jobs.schedule(Rate(1, unit=Rate.MINUTES), name="resume_refunds")
def resume_refunds(event: Any) -> None:
    """Every minute: finish refunds left in refunding for over two minutes."""
    finished = resume_stuck_refunds(get_deps())
    if finished:
        log.info("stuck refunds resumed", extra={"count": len(finished)})


@refund_jobs.schedule(Rate(15, unit=Rate.MINUTES), name="resume_difference_refunds")
def resume_difference_refunds_job(event: Any) -> None:
    """Every quarter hour: pay back exchanges' price differences still owed (a lost job, a worker
    that died after claiming one)."""
    paid = resume_difference_refunds(get_deps())
    if paid:
        log.info("price differences paid back", extra={"count": len(paid)})
