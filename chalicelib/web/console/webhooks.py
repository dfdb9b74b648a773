"""The owner's webhooks page (`/console/webhooks`): register an endpoint (its secret shown once),
see the endpoints, an endpoint's recent deliveries with their attempts, replay one, pause and
resume an endpoint (its events held meanwhile), remove one.

The same use cases as the admin API (services/webhooks.py); every change is a POST with CSRF.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalice.app import Response

from ...domain.errors import NotFoundError, ValidationError
from ...domain.outbound_events import DELIVERED, EVENT_TYPES, FAILED, Delivery
from ...domain.timestamps import utc_timestamp
from ...domain.staff import Permission, staff_actor
from ...domain.webhook_urls import UnsafeWebhookURLError
from ...locales import N_
from ...services.webhooks import (
    endpoint_deliveries,
    pause_endpoint,
    register_endpoint,
    remove_endpoint,
    replay_delivery,
    resume_endpoint,
)
from . import console_pages
from .visit import FORM, ConsoleVisit, console_view

# What each event means to the store, beside its type.
EVENT_DESCRIPTIONS = {
    "return.created": N_("A shopper started a return"),
    "return.approved": N_("A return was approved"),
    "return.rejected": N_("A return was rejected"),
    "return.received": N_("A parcel arrived at the warehouse"),
    "return.refunded": N_("Money went back to the shopper's card"),
    "return.credited": N_("The shopper got store credit"),
    "return.cancelled": N_("A return was cancelled"),
    "return.expired": N_("A return expired unanswered or unsent"),
    "exchange.created": N_("A replacement order was created"),
}
STATUS_WORDS = {
    DELIVERED: N_("Delivered"),
    FAILED: N_("Failed"),
    "pending": N_("Waiting to send"),
}
HELD_WORDS = N_("Held while paused")
NOTICES = {
    "removed": N_("Endpoint removed. It gets no more events."),
    "paused": N_("Endpoint paused. Its events are kept here and sent when you resume it."),
    "resumed": N_("Endpoint resumed. Events kept while it was paused are on their way, oldest first."),
    "replayed": N_("Sent again with the same webhook-id. It shows here in a few seconds."),
}


def _when(moment: datetime) -> str:
    """A time as the console's tables show it: UTC, to the minute."""
    return utc_timestamp(moment)[:16].replace("T", " ") + " UTC"


def _event_choices(visit: ConsoleVisit, chosen: set[str]) -> list[dict[str, Any]]:
    return [{"type": t, "id": "event-" + t.replace(".", "-"), "words": visit._(EVENT_DESCRIPTIONS[t]),
             "checked": t in chosen} for t in EVENT_TYPES]


def _list(visit: ConsoleVisit, *, status: int = 200, errors: dict[str, str] | None = None,
          url: str = "", chosen: set[str] | None = None, created: dict[str, str] | None = None) -> Response:
    endpoints = [{"id": e.endpoint_id, "url": e.url, "events": ", ".join(e.events),
                  "created_at": _when(e.created_at), "paused": e.paused}
                 for e in visit.deps.webhooks.endpoints()]
    done = visit.query.get("done", "")
    return visit.page(
        "webhooks.html", status=status, endpoints=endpoints, errors=errors or {}, url=url,
        events=_event_choices(visit, set(EVENT_TYPES) if chosen is None else chosen), created=created,
        notice=visit._(NOTICES[done]) if done in NOTICES and status == 200 else None,
    )


@console_view(console_pages, "/console/webhooks", permission=Permission.MANAGE_WEBHOOKS, methods=["GET"])
def get_webhooks(visit: ConsoleVisit) -> Response:
    """The endpoints and the form to register one."""
    return _list(visit)


@console_view(console_pages, "/console/webhooks", permission=Permission.MANAGE_WEBHOOKS, methods=["POST"],
              content_types=FORM)
def post_webhook(visit: ConsoleVisit) -> Response:
    """Register an endpoint; the answer shows its secret this once (never stored in a page again)."""
    form = visit.form()
    url = form.get("url", "").strip()
    chosen = {t for t in EVENT_TYPES if form.get(f"event:{t}") == "yes"}
    errors: dict[str, str] = {}
    if not chosen:
        errors["events"] = visit._("Choose at least one event to send.")
    if not url:
        errors["url"] = visit._("Enter the endpoint's address, like https://hooks.example.com/retour.")
    if errors:
        return _list(visit, status=400, errors=errors, url=url, chosen=chosen)
    try:
        endpoint = register_endpoint(visit.deps, url=url, events=sorted(chosen), actor=staff_actor(visit.email))
    except UnsafeWebhookURLError:
        return _list(visit, status=400, url=url, chosen=chosen, errors={"url": visit._(
            "Events go only to https:// addresses on the public internet, like https://hooks.example.com/retour "
            "(no private or local addresses, no user name or password in the address).")})
    except ValidationError:
        return _list(visit, status=400, url=url, chosen=chosen,
                     errors={"events": visit._("Choose at least one event to send.")})
    answer = _list(visit, status=201, chosen=set(EVENT_TYPES),
                   created={"id": endpoint.endpoint_id, "url": endpoint.url, "secret": endpoint.secret})
    # The secret is in this page only: no cache may keep it.
    answer.headers["Cache-Control"] = "no-store"
    return answer


def _delivery_row(visit: ConsoleVisit, delivery: Delivery) -> dict[str, Any]:
    last = delivery.attempts[-1] if delivery.attempts else None
    if last is None:
        outcome = visit._("Not tried yet")
    elif last.status_code is not None:
        outcome = visit._("HTTP %(status)s in %(ms)s ms", status=last.status_code, ms=last.duration_ms)
    else:
        outcome = visit._("No answer: %(error)s", error=last.error)
    held = delivery.held and delivery.status != DELIVERED
    return {"message_id": delivery.message_id, "type": delivery.type,
            "status": visit._(HELD_WORDS) if held else visit._(STATUS_WORDS.get(delivery.status, STATUS_WORDS["pending"])),
            "status_class": "held" if held else delivery.status, "attempts": len(delivery.attempts), "outcome": outcome,
            "created_at": _when(delivery.created_at)}


@console_view(console_pages, "/console/webhooks/{endpoint_id}", permission=Permission.MANAGE_WEBHOOKS,
              methods=["GET"])
def get_endpoint(visit: ConsoleVisit, endpoint_id: str) -> Response:
    """One endpoint's latest deliveries, each with a replay button."""
    endpoint = visit.deps.webhooks.endpoint(endpoint_id)
    if endpoint is None:
        return visit.problem(404)
    deliveries = endpoint_deliveries(visit.deps, endpoint_id)
    done = visit.query.get("done", "")
    return visit.page("webhook_deliveries.html", endpoint={"id": endpoint.endpoint_id, "url": endpoint.url,
                                                           "events": ", ".join(endpoint.events),
                                                           "paused": endpoint.paused,
                                                           "paused_at": _when(endpoint.paused_at)
                                                           if endpoint.paused_at is not None else ""},
                      deliveries=[_delivery_row(visit, d) for d in deliveries],
                      notice=visit._(NOTICES[done]) if done in NOTICES else None)


@console_view(console_pages, "/console/webhooks/{endpoint_id}/replay", permission=Permission.MANAGE_WEBHOOKS,
              methods=["POST"], content_types=FORM)
def post_replay(visit: ConsoleVisit, endpoint_id: str) -> Response:
    """Send one delivery again (same body, same webhook-id)."""
    try:
        replay_delivery(visit.deps, endpoint_id, visit.form().get("message_id", ""))
    except NotFoundError:
        return visit.problem(404)
    return visit.redirect(f"/console/webhooks/{endpoint_id}?done=replayed")


@console_view(console_pages, "/console/webhooks/{endpoint_id}/pause", permission=Permission.MANAGE_WEBHOOKS,
              methods=["POST"], content_types=FORM)
def post_pause(visit: ConsoleVisit, endpoint_id: str) -> Response:
    """Stop sending to the endpoint; its events are held until it resumes."""
    return _on_endpoint(visit, endpoint_id, pause_endpoint, done="paused")


@console_view(console_pages, "/console/webhooks/{endpoint_id}/resume", permission=Permission.MANAGE_WEBHOOKS,
              methods=["POST"], content_types=FORM)
def post_resume(visit: ConsoleVisit, endpoint_id: str) -> Response:
    """Send again, the held events first."""
    return _on_endpoint(visit, endpoint_id, resume_endpoint, done="resumed")


def _on_endpoint(visit: ConsoleVisit, endpoint_id: str, act: Callable[[Any, str], object], *, done: str) -> Response:
    """One action on an endpoint, then back to its page with the action's notice (404: none such)."""
    try:
        act(visit.deps, endpoint_id)
    except NotFoundError:
        return visit.problem(404)
    return visit.redirect(f"/console/webhooks/{endpoint_id}?done={done}")


@console_view(console_pages, "/console/webhooks/{endpoint_id}/remove", permission=Permission.MANAGE_WEBHOOKS,
              methods=["POST"], content_types=FORM)
def post_remove(visit: ConsoleVisit, endpoint_id: str) -> Response:
    try:
        remove_endpoint(visit.deps, endpoint_id)
    except NotFoundError:
        return visit.problem(404)
    return visit.redirect("/console/webhooks?done=removed")
