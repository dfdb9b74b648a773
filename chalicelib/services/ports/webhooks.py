"""Outbound events (issue 19, item 6): the endpoints, outbox and delivery log, the delivery queue,
and the signed HTTP POST to a store's system."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ...domain.outbound_events import Delivery, DeliveryAttempt, OutboundEvent, WebhookEndpoint
from ...domain.webhook_urls import WebhookTarget


class WebhookStore(Protocol):
    """Endpoints, the outbox and the delivery log (adapters/dynamodb_webhooks.py)."""

    def add_endpoint(self, endpoint: WebhookEndpoint) -> None: ...

    def endpoints(self) -> list[WebhookEndpoint]:
        """Every registered endpoint, oldest first (one small partition)."""
        ...

    def endpoint(self, endpoint_id: str) -> WebhookEndpoint | None: ...

    def remove_endpoint(self, endpoint_id: str) -> None:
        """NotFoundError when there is none."""
        ...

    def set_paused(self, endpoint_id: str, paused_at: datetime | None) -> WebhookEndpoint:
        """Pause the endpoint since `paused_at`, or resume it (None); NotFoundError when there is none."""
        ...

    def outbox(self, *, limit: int = 100) -> list[OutboundEvent]:
        """Events written by committed moves and not yet fanned out, oldest first."""
        ...

    def remove_from_outbox(self, event: OutboundEvent) -> None: ...

    def add_delivery(self, delivery: Delivery) -> bool:
        """Record a delivery once (conditional); False when it already existed."""
        ...

    def mark_queued(self, endpoint_id: str, message_id: str, *, now: datetime, held_at: datetime | None = None) -> None:
        """The delivery's message is on the queue, and it is no longer held: unless it was held
        (again) since the caller read it (`held_at`: the hold it saw, None: none), which stands."""
        ...

    def hold(self, endpoint_id: str, message_id: str, *, now: datetime) -> None:
        """Keep the delivery for when its paused endpoint resumes (not queued, listed as held
        since `now`)."""
        ...

    def held(self, endpoint_id: str) -> list[Delivery]:
        """The endpoint's held deliveries, oldest first."""
        ...

    def queued_at(self, endpoint_id: str, message_id: str) -> datetime | None: ...

    def delivery(self, endpoint_id: str, message_id: str) -> Delivery | None: ...

    def deliveries(self, endpoint_id: str, *, limit: int = 50) -> list[Delivery]:
        """The endpoint's deliveries, newest first."""
        ...

    def record_attempt(self, delivery: Delivery, attempt: DeliveryAttempt, *, status: str) -> None: ...

    def start_replay(self, endpoint_id: str, message_id: str) -> Delivery:
        """The delivery set pending again; NotFoundError when there is none."""
        ...


class WebhookQueue(Protocol):
    """The queue the delivery worker drains: one small message per delivery."""

    def enqueue(self, endpoint_id: str, message_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class SendResult:
    """What one POST came to: the HTTP status (None: no answer) or the error, and how long it took."""

    status_code: int | None
    error: str
    duration_ms: int


class WebhookSender(Protocol):
    """Signs a body per Standard Webhooks and POSTs it to a checked target (no redirects)."""

    def resolve(self, host: str) -> Sequence[str]:
        """The addresses `host` resolves to now (OSError when it does not)."""
        ...

    def send(self, target: WebhookTarget, *, message_id: str, body: str, secret: str, now: datetime) -> SendResult:
        ...
