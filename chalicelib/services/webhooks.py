"""Use cases of outbound events: register and remove endpoints, read the delivery log, replay;
the relay (outbox -> deliveries -> queue) and the delivery of one queued message.

Flow (docs/webhooks.md): a move writes its events' outbox items in its own transaction, so an
event exists exactly when the move committed. The relay fans each one out: a delivery record
per subscribed endpoint (a conditional put: two relays racing fan out once), one queue message
per delivery, then the outbox item goes. The worker signs and POSTs; a failure is retried with
back-off (domain/outbound_events.py RETRY_DELAYS_SECONDS), after the last the queue's redrive
policy moves the message to the dead-letter queue and the delivery shows `failed`.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ..domain.errors import NotFoundError, ValidationError
from ..domain.outbound_events import (
    DELIVERED,
    FAILED,
    HELD,
    MAX_ATTEMPTS,
    PENDING,
    Delivery,
    DeliveryAttempt,
    WebhookEndpoint,
    check_event_types,
    retry_delay,
)
from ..domain.webhook_urls import UnsafeWebhookURLError, check_webhook_url
from .ports.system import Clock, RandomBits
from .ports.webhooks import WebhookQueue, WebhookSender, WebhookStore

log = logging.getLogger("retour.webhooks")

# A delivery recorded by a relay that then stopped before queueing it is queued by a later relay
# once it is this old (the first relay may still be about to send it: at least once, not twice
# in the same second).
_UNQUEUED_GRACE = timedelta(seconds=60)
# The secret's random bytes (Standard Webhooks: 24 to 64).
_SECRET_BYTES = 32


class WebhookDeps(Protocol):
    @property
    def webhooks(self) -> WebhookStore: ...

    @property
    def webhook_queue(self) -> WebhookQueue: ...

    @property
    def webhook_sender(self) -> WebhookSender: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def random(self) -> RandomBits: ...

    @property
    def webhooks_local_stage(self) -> bool:
        """True on the local stage, which may also send to http://127.0.0.1:<port>."""
        ...


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """What the worker does with the message: done (delete it) or try again in `retry_in` seconds."""

    status: str
    retry_in: int | None = None

    @property
    def done(self) -> bool:
        return self.retry_in is None


def register_endpoint(deps: WebhookDeps, *, url: object, events: object, actor: str) -> WebhookEndpoint:
    """A new endpoint with a fresh `whsec_` secret (shown once); ValidationError for a URL that
    may not receive events or an unusable list of event types."""
    if not isinstance(url, str):
        raise UnsafeWebhookURLError("give the endpoint's URL as text")
    if not isinstance(events, (list, tuple)):
        raise ValidationError("events must be a list of event types", code="no_event_types", fields=("events",))
    types = check_event_types(events)
    check_webhook_url(url, local_stage=deps.webhooks_local_stage, resolve=deps.webhook_sender.resolve)
    secret_bytes = deps.random.bits(_SECRET_BYTES * 8).to_bytes(_SECRET_BYTES, "big")
    endpoint = WebhookEndpoint(
        endpoint_id=f"ep_{deps.random.bits(64):016x}", url=url, events=types,
        secret="whsec_" + base64.b64encode(secret_bytes).decode("ascii"),
        created_at=deps.clock.now(), created_by=actor,
    )
    deps.webhooks.add_endpoint(endpoint)
    log.info("webhook endpoint registered", extra={"endpoint_id": endpoint.endpoint_id})
    return endpoint


def remove_endpoint(deps: WebhookDeps, endpoint_id: str) -> None:
    deps.webhooks.remove_endpoint(endpoint_id)
    log.info("webhook endpoint removed", extra={"endpoint_id": endpoint_id})


def pause_endpoint(deps: WebhookDeps, endpoint_id: str) -> WebhookEndpoint:
    """Stop sending to the endpoint (its system is down for maintenance, say): its events are
    still recorded, and held, not retried towards the dead-letter queue. NotFoundError for an
    unknown endpoint; pausing a paused one keeps its first time."""
    endpoint = deps.webhooks.endpoint(endpoint_id)
    if endpoint is None:
        raise NotFoundError(f"no webhook endpoint {endpoint_id}")
    if endpoint.paused:
        return endpoint
    paused = deps.webhooks.set_paused(endpoint_id, deps.clock.now())
    log.info("webhook endpoint paused", extra={"endpoint_id": endpoint_id})
    return paused


def resume_endpoint(deps: WebhookDeps, endpoint_id: str) -> tuple[WebhookEndpoint, int]:
    """Send to the endpoint again, its held deliveries first (oldest first, same ids); the
    endpoint and how many were queued. NotFoundError for an unknown endpoint (the store's
    conditional write says so: no read first)."""
    # Resumed before the held ones are queued: a relay or worker holding one meanwhile sees the
    # endpoint live again and queues it itself (_hold); one the held list (an index) shows late,
    # or a run stopped half-way, is queued by the relay's next sweep (_release_held).
    resumed = deps.webhooks.set_paused(endpoint_id, None)
    released = _release(deps, endpoint_id)
    log.info("webhook endpoint resumed", extra={"endpoint_id": endpoint_id, "queued": released})
    return resumed, released


def _release(deps: WebhookDeps, endpoint_id: str) -> int:
    """Queue the held deliveries of a live endpoint, oldest first; how many."""
    held = deps.webhooks.held(endpoint_id)
    for delivery in held:
        _queue(deps, endpoint_id, delivery.message_id, held_at=delivery.held_at)
    return len(held)


def _release_held(deps: WebhookDeps, endpoints: list[WebhookEndpoint]) -> None:
    """The relay's sweep: what is still held for an endpoint no longer paused goes out."""
    for endpoint in endpoints:
        if not endpoint.paused and _release(deps, endpoint.endpoint_id):
            log.info("webhook deliveries held past their resume sent", extra={"endpoint_id": endpoint.endpoint_id})


def _queue(deps: WebhookDeps, endpoint_id: str, message_id: str, *, held_at: datetime | None) -> None:
    """Send the delivery's message, then mark it queued (unless held again since `held_at`)."""
    deps.webhook_queue.enqueue(endpoint_id, message_id)
    deps.webhooks.mark_queued(endpoint_id, message_id, now=deps.clock.now(), held_at=held_at)


def _hold(deps: WebhookDeps, endpoint_id: str, message_id: str) -> None:
    """Hold a delivery of a paused endpoint; queue it after all if it resumed meanwhile."""
    now = deps.clock.now()
    deps.webhooks.hold(endpoint_id, message_id, now=now)
    again = deps.webhooks.endpoint(endpoint_id)
    if again is not None and not again.paused:
        _queue(deps, endpoint_id, message_id, held_at=now)


def endpoint_deliveries(deps: WebhookDeps, endpoint_id: str, *, limit: int = 50) -> list[Delivery]:
    """The endpoint's delivery log, newest first; NotFoundError for an unknown endpoint."""
    if deps.webhooks.endpoint(endpoint_id) is None:
        raise NotFoundError(f"no webhook endpoint {endpoint_id}")
    return deps.webhooks.deliveries(endpoint_id, limit=limit)


def replay_delivery(deps: WebhookDeps, endpoint_id: str, message_id: str) -> Delivery:
    """Send a delivery again, same body and same webhook-id (safe to repeat: a receiver dedupes
    by the id); NotFoundError for an unknown endpoint or delivery."""
    if deps.webhooks.endpoint(endpoint_id) is None:
        raise NotFoundError(f"no webhook endpoint {endpoint_id}")
    delivery = deps.webhooks.start_replay(endpoint_id, message_id)
    deps.webhook_queue.enqueue(endpoint_id, message_id)
    log.info("webhook delivery replayed", extra={"endpoint_id": endpoint_id, "message_id": message_id})
    return delivery


def relay_outbox(deps: WebhookDeps) -> int:
    """Fan the outbox's events out to their endpoints' queues; how many events were relayed.

    An event leaves the outbox only once each subscribed endpoint's delivery is queued or held:
    one another relay recorded but may not have queued yet stays for a later run to finish.
    """
    events = deps.webhooks.outbox()
    # Read once per run: an endpoint registered during the run gets the next events.
    endpoints = deps.webhooks.endpoints()
    _release_held(deps, endpoints)
    now = deps.clock.now()
    for event in events:
        finished = True
        for endpoint in endpoints:
            if not endpoint.wants(event.type):
                continue
            delivery = Delivery(endpoint_id=endpoint.endpoint_id, message_id=event.message_id, type=event.type,
                                body=event.body, created_at=now)
            if not deps.webhooks.add_delivery(delivery):
                # Fanned out before (a relay racing this one, or one that stopped halfway):
                # queue it only if that relay never did.
                queued = deps.webhooks.queued_at(endpoint.endpoint_id, event.message_id)
                existing = deps.webhooks.delivery(endpoint.endpoint_id, event.message_id)
                if queued is not None or existing is None or existing.held:
                    continue
                if now - existing.created_at < _UNQUEUED_GRACE:
                    finished = False  # that relay may be about to queue it: look again next run
                    continue
            if endpoint.paused:
                _hold(deps, endpoint.endpoint_id, event.message_id)
                continue
            _queue(deps, endpoint.endpoint_id, event.message_id, held_at=None)
        if finished:
            deps.webhooks.remove_from_outbox(event)
    return len(events)


def deliver(deps: WebhookDeps, endpoint_id: str, message_id: str, *, attempt: int) -> DeliveryOutcome:
    """Send one queued delivery (`attempt`: the queue's receive count, 1 the first time).

    Dropped (done) when the endpoint is gone or the delivery already delivered; otherwise one
    signed POST, its attempt recorded, and a 2xx is `delivered`. Anything else asks for a retry
    after the schedule's delay, or after the last attempt leaves the delivery `failed` (the
    message then goes to the dead-letter queue).
    """
    endpoint = deps.webhooks.endpoint(endpoint_id)
    delivery = deps.webhooks.delivery(endpoint_id, message_id)
    if endpoint is None or delivery is None:
        log.info("webhook delivery dropped: endpoint or delivery gone",
                 extra={"endpoint_id": endpoint_id, "message_id": message_id})
        return DeliveryOutcome("dropped")
    if delivery.status == DELIVERED:
        return DeliveryOutcome(DELIVERED)
    if endpoint.paused:
        # A retry or a replay of an endpoint paused since: kept for when it resumes, unsent.
        _hold(deps, endpoint_id, message_id)
        return DeliveryOutcome(HELD)
    if attempt > MAX_ATTEMPTS:
        # SQS moves such a message to the dead-letter queue before handing it out; a queue
        # without that policy must still never loop on it.
        return DeliveryOutcome(delivery.status)
    now = deps.clock.now()
    try:
        # Again now, not only at registration: the name may point elsewhere since (DNS rebinding);
        # the POST connects to the addresses checked here.
        target = check_webhook_url(endpoint.url, local_stage=deps.webhooks_local_stage,
                                   resolve=deps.webhook_sender.resolve)
    except UnsafeWebhookURLError as refused:
        result_status, error, duration = None, f"not sent: {refused.message}", 0
    else:
        result = deps.webhook_sender.send(target, message_id=message_id, body=delivery.body,
                                          secret=endpoint.secret, now=now)
        result_status, error, duration = result.status_code, result.error, result.duration_ms
    outcome = DeliveryAttempt(at=now, status_code=result_status, error=error[:300], duration_ms=duration)
    if outcome.succeeded:
        deps.webhooks.record_attempt(delivery, outcome, status=DELIVERED)
        return DeliveryOutcome(DELIVERED)
    delay = retry_delay(attempt)
    deps.webhooks.record_attempt(delivery, outcome, status=PENDING if delay is not None else FAILED)
    log.warning("webhook delivery failed", extra={"endpoint_id": endpoint_id, "message_id": message_id,
                                                  "attempt": attempt, "status_code": result_status,
                                                  "retry_in": delay})
    if delay is None:
        return DeliveryOutcome(FAILED, retry_in=0)
    return DeliveryOutcome(PENDING, retry_in=delay)
