"""Admin API of outbound events: register, list and remove endpoints; read an endpoint's delivery
log and replay a delivery (docs/webhooks.md)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from ..bootstrap import get_deps
from ..domain.errors import ValidationError
from ..domain.outbound_events import Delivery, WebhookEndpoint
from ..domain.timestamps import utc_timestamp
from ..services.webhooks import (
    endpoint_deliveries,
    pause_endpoint,
    register_endpoint,
    remove_endpoint,
    replay_delivery,
    resume_endpoint,
)
from .auth import require_admin
from .errors import route
from .schemas.base import parse_json

admin_webhooks_api = Blueprint(__name__)

_JSON: dict[str, str | list[str]] = {"Content-Type": "application/json"}


def _authorized() -> None:
    require_admin(admin_webhooks_api.current_request, get_deps())


def endpoint_to_json(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """An endpoint as the API lists it: never its secret."""
    return {"id": endpoint.endpoint_id, "url": endpoint.url, "events": list(endpoint.events),
            "created_at": utc_timestamp(endpoint.created_at), "paused": endpoint.paused,
            "paused_at": utc_timestamp(endpoint.paused_at) if endpoint.paused_at is not None else None}


def delivery_to_json(delivery: Delivery) -> dict[str, Any]:
    return {
        "message_id": delivery.message_id, "type": delivery.type, "status": delivery.status, "held": delivery.held,
        "created_at": utc_timestamp(delivery.created_at), "replays": delivery.replays,
        "attempts": [
            {"at": utc_timestamp(a.at), "status_code": a.status_code, "error": a.error, "duration_ms": a.duration_ms}
            for a in delivery.attempts
        ],
    }


@route(admin_webhooks_api, "/api/v1/admin/webhooks", methods=["POST"])
def post_webhook() -> Response:
    """Register `{"url", "events"}`: 201 with the endpoint and its secret (shown this once)."""
    _authorized()
    body = parse_json(admin_webhooks_api.current_request.raw_body)
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object", fields=("body",))
    unknown = sorted(set(body) - {"url", "events"})
    if unknown:
        raise ValidationError(f"unknown field {unknown[0][:40]!r}: give url and events", fields=(unknown[0][:40],))
    endpoint = register_endpoint(get_deps(), url=body.get("url"), events=body.get("events"), actor="admin")
    return Response(body={**endpoint_to_json(endpoint), "secret": endpoint.secret}, status_code=201,
                    headers={**_JSON, "Cache-Control": "no-store"})


@route(admin_webhooks_api, "/api/v1/admin/webhooks", methods=["GET"])
def get_webhooks() -> Response:
    _authorized()
    return Response(body={"webhooks": [endpoint_to_json(e) for e in get_deps().webhooks.endpoints()]},
                    headers=_JSON)


@route(admin_webhooks_api, "/api/v1/admin/webhooks/{endpoint_id}", methods=["DELETE"])
def delete_webhook(endpoint_id: str) -> Response:
    _authorized()
    remove_endpoint(get_deps(), endpoint_id)
    return Response(body="", status_code=204)


@route(admin_webhooks_api, "/api/v1/admin/webhooks/{endpoint_id}/pause", methods=["POST"])
def post_pause(endpoint_id: str) -> Response:
    """Stop sending (200 with the endpoint; again changes nothing): events are held meanwhile."""
    _authorized()
    return Response(body=endpoint_to_json(pause_endpoint(get_deps(), endpoint_id)), headers=_JSON)


@route(admin_webhooks_api, "/api/v1/admin/webhooks/{endpoint_id}/resume", methods=["POST"])
def post_resume(endpoint_id: str) -> Response:
    """Send again, the held events first (200 with the endpoint and `released`, how many)."""
    _authorized()
    endpoint, released = resume_endpoint(get_deps(), endpoint_id)
    return Response(body={**endpoint_to_json(endpoint), "released": released}, headers=_JSON)


@route(admin_webhooks_api, "/api/v1/admin/webhooks/{endpoint_id}/deliveries", methods=["GET"])
def get_deliveries(endpoint_id: str) -> Response:
    """The endpoint's latest 50 deliveries, newest first, each with its attempts."""
    _authorized()
    deliveries = endpoint_deliveries(get_deps(), endpoint_id)
    return Response(body={"deliveries": [delivery_to_json(d) for d in deliveries]}, headers=_JSON)


@route(admin_webhooks_api, "/api/v1/admin/webhooks/{endpoint_id}/deliveries/{message_id}/replay",
       methods=["POST"])
def post_replay(endpoint_id: str, message_id: str) -> Response:
    """Send the delivery again with the same webhook-id (202; safe to repeat)."""
    _authorized()
    delivery = replay_delivery(get_deps(), endpoint_id, message_id)
    return Response(body=delivery_to_json(delivery), status_code=202, headers=_JSON)
