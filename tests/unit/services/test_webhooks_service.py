"""The webhook use cases with in-memory fakes honouring the ports: fan-out once, retries and their
end, drops, and the address checked again right before each POST (DNS rebinding)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import pytest

from chalicelib.domain.errors import NotFoundError, ValidationError
from chalicelib.domain.outbound_events import (
    DELIVERED,
    FAILED,
    MAX_ATTEMPTS,
    PENDING,
    Delivery,
    DeliveryAttempt,
    OutboundEvent,
    WebhookEndpoint,
)
from chalicelib.domain.webhook_urls import WebhookTarget
from chalicelib.services.ports.webhooks import SendResult
from chalicelib.services.webhooks import (
    deliver,
    pause_endpoint,
    register_endpoint,
    relay_outbox,
    replay_delivery,
    resume_endpoint,
)
from tests.fakes import FixedClock

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PUBLIC = "93.184.215.14"


class MemoryWebhooks:
    def __init__(self) -> None:
        self.endpoints_by_id: dict[str, WebhookEndpoint] = {}
        self.waiting: list[OutboundEvent] = []
        self.log: dict[tuple[str, str], Delivery] = {}
        self.queued: dict[tuple[str, str], datetime] = {}

    def add_endpoint(self, endpoint: WebhookEndpoint) -> None:
        self.endpoints_by_id[endpoint.endpoint_id] = endpoint

    def endpoints(self) -> list[WebhookEndpoint]:
        return list(self.endpoints_by_id.values())

    def endpoint(self, endpoint_id: str) -> WebhookEndpoint | None:
        return self.endpoints_by_id.get(endpoint_id)

    def remove_endpoint(self, endpoint_id: str) -> None:
        if self.endpoints_by_id.pop(endpoint_id, None) is None:
            raise NotFoundError("gone")

    def set_paused(self, endpoint_id: str, paused_at: datetime | None) -> WebhookEndpoint:
        if endpoint_id not in self.endpoints_by_id:
            raise NotFoundError("gone")
        self.endpoints_by_id[endpoint_id] = replace(self.endpoints_by_id[endpoint_id], paused_at=paused_at)
        return self.endpoints_by_id[endpoint_id]

    def outbox(self, *, limit: int = 100) -> list[OutboundEvent]:
        return list(self.waiting)

    def remove_from_outbox(self, event: OutboundEvent) -> None:
        self.waiting.remove(event)

    def add_delivery(self, delivery: Delivery) -> bool:
        key = (delivery.endpoint_id, delivery.message_id)
        if key in self.log:
            return False
        self.log[key] = delivery
        return True

    def mark_queued(self, endpoint_id: str, message_id: str, *, now: datetime, held_at: datetime | None = None) -> None:
        key = (endpoint_id, message_id)
        if self.log[key].held_at != held_at:
            return  # held (again) since the caller looked: that hold stands
        self.queued[key] = now
        self.log[key] = replace(self.log[key], held_at=None)

    def hold(self, endpoint_id: str, message_id: str, *, now: datetime) -> None:
        key = (endpoint_id, message_id)
        self.queued.pop(key, None)
        self.log[key] = replace(self.log[key], held_at=now)

    def held(self, endpoint_id: str) -> list[Delivery]:
        return [d for (e, _), d in self.log.items() if e == endpoint_id and d.held]

    def queued_at(self, endpoint_id: str, message_id: str) -> datetime | None:
        return self.queued.get((endpoint_id, message_id))

    def delivery(self, endpoint_id: str, message_id: str) -> Delivery | None:
        return self.log.get((endpoint_id, message_id))

    def deliveries(self, endpoint_id: str, *, limit: int = 50) -> list[Delivery]:
        return [d for (e, _), d in self.log.items() if e == endpoint_id][:limit]

    def record_attempt(self, delivery: Delivery, attempt: DeliveryAttempt, *, status: str) -> None:
        key = (delivery.endpoint_id, delivery.message_id)
        current = self.log[key]
        if current.status == DELIVERED and status != DELIVERED:
            return
        self.log[key] = replace(current, status=status, attempts=(*current.attempts, attempt),
                                held_at=None if status == DELIVERED else current.held_at)

    def start_replay(self, endpoint_id: str, message_id: str) -> Delivery:
        current = self.log.get((endpoint_id, message_id))
        if current is None:
            raise NotFoundError("none")
        self.log[(endpoint_id, message_id)] = replace(current, status=PENDING, replays=current.replays + 1)
        return self.log[(endpoint_id, message_id)]


@dataclass
class MemoryQueue:
    sent: list[tuple[str, str]] = field(default_factory=list)

    def enqueue(self, endpoint_id: str, message_id: str) -> None:
        self.sent.append((endpoint_id, message_id))


@dataclass
class ScriptedSender:
    """Answers with `answers` in turn; resolves every name to `addresses`."""

    answers: list[int | None] = field(default_factory=lambda: [204])
    addresses: tuple[str, ...] = (PUBLIC,)
    posts: list[tuple[WebhookTarget, str]] = field(default_factory=list)

    def resolve(self, host: str) -> Sequence[str]:
        return self.addresses

    def send(self, target: WebhookTarget, *, message_id: str, body: str, secret: str, now: datetime) -> SendResult:
        self.posts.append((target, message_id))
        code = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return SendResult(status_code=code, error="" if code else "timed out", duration_ms=12)


class CountingRandom:
    def __init__(self) -> None:
        self.n = 0

    def bits(self, count: int) -> int:
        self.n += 1
        return (self.n * 0x9E3779B97F4A7C15) % (1 << count)


@dataclass
class FakeDeps:
    webhooks: MemoryWebhooks = field(default_factory=MemoryWebhooks)
    webhook_queue: MemoryQueue = field(default_factory=MemoryQueue)
    webhook_sender: ScriptedSender = field(default_factory=ScriptedSender)
    clock: FixedClock = field(default_factory=lambda: FixedClock(NOW))
    random: CountingRandom = field(default_factory=CountingRandom)
    webhooks_local_stage: bool = False


def an_event(n: int = 0, event_type: str = "return.created") -> OutboundEvent:
    return OutboundEvent(message_id=f"msg_R-0000-0001_{n:04d}", type=event_type, at=NOW, rma="R-0000-0001",
                         body='{"type":"%s"}' % event_type)


def registered(deps: FakeDeps, events: list[str], url: str = "https://hooks.example.com/in") -> WebhookEndpoint:
    return register_endpoint(deps, url=url, events=events, actor="admin")


def test_registration_makes_a_fresh_standard_secret_and_refuses_a_private_address() -> None:
    deps = FakeDeps()
    first, second = registered(deps, ["return.created"]), registered(deps, ["return.created"])
    assert first.secret.startswith("whsec_") and len(first.secret) > 40 and first.secret != second.secret
    assert first.endpoint_id != second.endpoint_id
    deps.webhook_sender.addresses = ("10.0.0.5",)
    with pytest.raises(ValidationError):
        registered(deps, ["return.created"], url="https://sneaky.example.com/in")
    assert len(deps.webhooks.endpoints()) == 2


def test_the_relay_fans_an_event_out_once_to_each_subscribed_endpoint_however_often_it_runs() -> None:
    deps = FakeDeps()
    wants = registered(deps, ["return.created", "return.refunded"])
    other = registered(deps, ["return.refunded"])
    deps.webhooks.waiting = [an_event(0, "return.created"), an_event(3, "return.refunded")]
    kept = list(deps.webhooks.waiting)

    assert relay_outbox(deps) == 2
    # A second relay that read the same outbox before the first deleted it (they raced).
    deps.webhooks.waiting = kept
    relay_outbox(deps)

    assert sorted(deps.webhook_queue.sent) == sorted([
        (wants.endpoint_id, "msg_R-0000-0001_0000"), (wants.endpoint_id, "msg_R-0000-0001_0003"),
        (other.endpoint_id, "msg_R-0000-0001_0003")])
    assert deps.webhooks.waiting == []


def test_a_delivery_a_stopped_relay_never_queued_is_queued_by_a_later_one() -> None:
    deps = FakeDeps()
    endpoint = registered(deps, ["return.created"])
    deps.webhooks.add_delivery(Delivery(endpoint.endpoint_id, "msg_R-0000-0001_0000", "return.created", "{}",
                                        created_at=NOW))
    deps.webhooks.waiting = [an_event(0)]
    deps.clock.advance(120)
    relay_outbox(deps)
    assert deps.webhook_queue.sent == [(endpoint.endpoint_id, "msg_R-0000-0001_0000")]


def delivered_once(deps: FakeDeps, events: list[str]) -> WebhookEndpoint:
    endpoint = registered(deps, events)
    deps.webhooks.waiting = [an_event(0)]
    relay_outbox(deps)
    return endpoint


def test_a_failed_attempt_is_retried_on_the_schedule_and_the_last_leaves_it_failed() -> None:
    deps = FakeDeps()
    endpoint = delivered_once(deps, ["return.created"])
    deps.webhook_sender.answers = [500]
    delays = [deliver(deps, endpoint.endpoint_id, "msg_R-0000-0001_0000", attempt=n).retry_in
              for n in range(1, MAX_ATTEMPTS + 1)]
    assert delays[:3] == [5, 30, 120]
    # After the last: no more delay, the message is left to the queue's dead-letter policy.
    assert delays[-1] == 0
    delivery = deps.webhooks.delivery(endpoint.endpoint_id, "msg_R-0000-0001_0000")
    assert delivery is not None and delivery.status == FAILED
    assert [a.status_code for a in delivery.attempts] == [500] * MAX_ATTEMPTS
    # Handed out once more anyway (a queue without redrive): dropped, not tried again.
    assert deliver(deps, endpoint.endpoint_id, "msg_R-0000-0001_0000", attempt=MAX_ATTEMPTS + 1).done
    assert len(deps.webhook_sender.posts) == MAX_ATTEMPTS


def test_a_delivered_event_is_not_sent_again_by_a_duplicate_message_but_a_replay_sends_it() -> None:
    deps = FakeDeps()
    endpoint = delivered_once(deps, ["return.created"])
    assert deliver(deps, endpoint.endpoint_id, "msg_R-0000-0001_0000", attempt=1).status == DELIVERED
    assert deliver(deps, endpoint.endpoint_id, "msg_R-0000-0001_0000", attempt=1).done
    assert len(deps.webhook_sender.posts) == 1
    replay_delivery(deps, endpoint.endpoint_id, "msg_R-0000-0001_0000")
    assert deliver(deps, endpoint.endpoint_id, "msg_R-0000-0001_0000", attempt=1).status == DELIVERED
    assert [m for _, m in deps.webhook_sender.posts] == ["msg_R-0000-0001_0000"] * 2


def test_an_endpoint_removed_meanwhile_gets_nothing() -> None:
    deps = FakeDeps()
    endpoint = delivered_once(deps, ["return.created"])
    deps.webhooks.remove_endpoint(endpoint.endpoint_id)
    assert deliver(deps, endpoint.endpoint_id, "msg_R-0000-0001_0000", attempt=1).status == "dropped"
    assert deps.webhook_sender.posts == []


def test_a_name_pointed_at_a_private_address_after_registration_is_not_sent_to() -> None:
    deps = FakeDeps()
    endpoint = delivered_once(deps, ["return.created"])
    deps.webhook_sender.addresses = (PUBLIC, "169.254.169.254")
    outcome = deliver(deps, endpoint.endpoint_id, "msg_R-0000-0001_0000", attempt=1)
    assert outcome.retry_in == 5 and deps.webhook_sender.posts == []
    delivery = deps.webhooks.delivery(endpoint.endpoint_id, "msg_R-0000-0001_0000")
    assert delivery is not None and delivery.attempts[0].status_code is None
    assert "not public" in delivery.attempts[0].error
    # And the POST goes to the address just checked, never to a second lookup's.
    deps.webhook_sender.addresses = (PUBLIC,)
    deliver(deps, endpoint.endpoint_id, "msg_R-0000-0001_0000", attempt=2)
    assert deps.webhook_sender.posts[0][0].addresses == (PUBLIC,)


def test_a_replay_of_an_unknown_delivery_or_endpoint_is_not_found() -> None:
    deps = FakeDeps()
    endpoint = registered(deps, ["return.created"])
    with pytest.raises(NotFoundError):
        replay_delivery(deps, endpoint.endpoint_id, "msg_nope")
    with pytest.raises(NotFoundError):
        replay_delivery(deps, "ep_nope", "msg_nope")
    assert deps.webhook_queue.sent == []


def test_an_event_another_relay_recorded_but_may_not_have_queued_stays_in_the_outbox() -> None:
    deps = FakeDeps()
    endpoint = registered(deps, ["return.created"])
    # A relay recorded the delivery a moment ago, then died before queueing it.
    deps.webhooks.add_delivery(Delivery(endpoint.endpoint_id, "msg_R-0000-0001_0000", "return.created", "{}",
                                        created_at=NOW))
    deps.webhooks.waiting = [an_event(0)]
    deps.clock.advance(10)
    relay_outbox(deps)
    assert deps.webhook_queue.sent == [] and deps.webhooks.waiting == [an_event(0)]  # not dropped
    deps.clock.advance(60)
    relay_outbox(deps)
    assert deps.webhook_queue.sent == [(endpoint.endpoint_id, "msg_R-0000-0001_0000")]
    assert deps.webhooks.waiting == []


def test_a_paused_endpoint_holds_what_comes_and_gets_it_on_resume() -> None:
    deps = FakeDeps()
    endpoint = registered(deps, ["return.created"])
    pause_endpoint(deps, endpoint.endpoint_id)
    deps.webhooks.waiting = [an_event(0)]
    relay_outbox(deps)
    assert deps.webhook_queue.sent == [] and deps.webhooks.waiting == []
    assert [d.message_id for d in deps.webhooks.held(endpoint.endpoint_id)] == ["msg_R-0000-0001_0000"]
    resumed, released = resume_endpoint(deps, endpoint.endpoint_id)
    assert not resumed.paused and released == 1
    assert deps.webhook_queue.sent == [(endpoint.endpoint_id, "msg_R-0000-0001_0000")]
    assert deps.webhooks.held(endpoint.endpoint_id) == []


def test_a_hold_made_while_the_message_was_on_its_way_outlives_the_senders_mark() -> None:
    deps = FakeDeps()
    endpoint = registered(deps, ["return.created"])
    deps.webhooks.waiting = [an_event(0)]

    class PausedAsItSends(MemoryQueue):
        """Staff pause just as the relay sends: the worker takes the message and holds it
        before the relay marks it queued."""

        def enqueue(self, endpoint_id: str, message_id: str) -> None:
            super().enqueue(endpoint_id, message_id)
            pause_endpoint(deps, endpoint_id)
            assert deliver(deps, endpoint_id, message_id, attempt=1).status == "held"

    deps.webhook_queue = PausedAsItSends()
    relay_outbox(deps)
    assert [d.message_id for d in deps.webhooks.held(endpoint.endpoint_id)] == ["msg_R-0000-0001_0000"]
    assert deps.webhook_sender.posts == []


def test_a_delivery_left_held_after_a_resume_goes_out_with_the_next_relay() -> None:
    deps = FakeDeps()
    endpoint = registered(deps, ["return.created"])
    pause_endpoint(deps, endpoint.endpoint_id)
    deps.webhooks.waiting = [an_event(0)]
    relay_outbox(deps)
    # Resumed, but its held list (an index) did not show the delivery yet.
    deps.webhooks.set_paused(endpoint.endpoint_id, None)
    assert deps.webhook_queue.sent == []
    relay_outbox(deps)  # an empty outbox: the sweep alone
    assert deps.webhook_queue.sent == [(endpoint.endpoint_id, "msg_R-0000-0001_0000")]
    assert deps.webhooks.held(endpoint.endpoint_id) == []
