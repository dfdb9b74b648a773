"""The shopper's JSON API (PRODUCT.md, "HTTP API (v1)"): lookup, request a return, read it back, cancel it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalice.app import Blueprint, Response

from ..bootstrap import get_deps
from ..domain.errors import AuthenticationError, ForbiddenError, ValidationError
from ..domain.order import same_order_number
from ..services.cancel_return import cancel_return
from ..services.limit_lookups import limit_lookups
from ..services.look_up_order import look_up_order, shopper_order_number
from ..services.order_returns import order_returns
from ..services.read_return import read_return
from ..services.request_return import request_return
from ..services.status_links import label_link_url
from .errors import route
from .schemas.base import parse, parse_json
from .schemas.lookup import LookupIn, lookup_to_json
from .schemas.returns import ReturnIn, return_to_json

shopper_api = Blueprint(__name__)


def private_json(**extra: str) -> dict[str, str | list[str]]:
    """JSON headers for the shopper alone: tokens and orders must never sit in a shared cache."""
    return {"Content-Type": "application/json", "Cache-Control": "no-store", **extra}


def client_address(context: Mapping[str, Any] | None) -> str:
    """The caller's address as API Gateway saw it (never a header the caller could forge)."""
    identity = (context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "unknown")


def bearer_token(headers: Mapping[str, str]) -> str:
    """The shopper token of `Authorization: Bearer <token>`; AuthenticationError without one."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError(
            "a shopper token is required (Authorization: Bearer <token> from /api/v1/lookup)",
            code="token_required",
        )
    return token.strip()


@route(shopper_api, "/api/v1/lookup", methods=["POST"])
def post_lookup() -> Response:
    """The order for a matching number and email, a verdict on every line, and a shopper token."""
    request = shopper_api.current_request
    lookup = parse(LookupIn, parse_json(request.raw_body))
    deps = get_deps()
    limit_lookups(deps, client_address=client_address(request.context), order_number=lookup.order_number)
    found = look_up_order(deps, lookup.order_number, lookup.email)
    # The order is proven: its returns come with links that open each one (signed, expiring).
    returns = order_returns(deps, found.order.number)
    now = deps.clock.now()
    body = lookup_to_json(
        found, returns, status_url=deps.status_url,
        label_url=lambda r: label_link_url(deps.tokens, r, base_url=deps.public_base_url, now=now),
    )
    return Response(body=body, headers=private_json())


def idempotency_key(headers: Mapping[str, str]) -> str | None:
    """The request's `Idempotency-Key` header: long enough to be unguessable, or refused."""
    key = headers.get("idempotency-key")
    if key is None:
        return None
    key = key.strip()
    if not 16 <= len(key) <= 200 or not key.isascii() or not key.isprintable():
        raise ValidationError(
            "Idempotency-Key must be 16 to 200 printable ASCII characters (a random UUID is ideal)",
            fields=("Idempotency-Key",),
        )
    return key


@route(shopper_api, "/api/v1/returns", methods=["POST"])
def post_return() -> Response:
    """Request a return of the token's order: 201 with the RMA, status and amounts."""
    request = shopper_api.current_request
    deps = get_deps()
    order_number = shopper_order_number(deps, bearer_token(request.headers))
    body = parse(ReturnIn, parse_json(request.raw_body))
    if not same_order_number(body.order_number, order_number):
        raise ForbiddenError("this token is for another order; look that order up first", code="wrong_order")
    created = request_return(
        deps, order_number=order_number, selections=body.selections(), resolution=body.resolution,
        idempotency_key=idempotency_key(request.headers), locale=body.locale,
    )
    return Response(
        body=return_to_json(created, with_events=False), status_code=201,
        headers=private_json(Location=f"/api/v1/returns/{created.rma}"),
    )


@route(shopper_api, "/api/v1/returns/{rma}", methods=["GET"])
def get_return(rma: str) -> Response:
    """The return with its timeline, for the holder of a token of its order."""
    request = shopper_api.current_request
    deps = get_deps()
    order_number = shopper_order_number(deps, bearer_token(request.headers))
    found = read_return(deps, rma, order_number=order_number)
    return Response(body=return_to_json(found, with_events=True), headers=private_json())


@route(shopper_api, "/api/v1/returns/{rma}/cancel", methods=["POST"])
def post_cancel(rma: str) -> Response:
    """Cancel the token's order's return before it is sent: 200 with the return (and timeline).

    409 `not_cancellable` once the parcel arrived, the money moved or the return is closed;
    a return already cancelled by its shopper is answered as it is (a retry is safe).
    """
    request = shopper_api.current_request
    deps = get_deps()
    order_number = shopper_order_number(deps, bearer_token(request.headers))
    cancelled = cancel_return(deps, rma, order_number=order_number)
    return Response(body=return_to_json(cancelled, with_events=True), headers=private_json())
