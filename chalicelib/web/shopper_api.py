"""The shopper's JSON API (PRODUCT.md, "HTTP API (v1)"): the lookup that starts every return."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from ..bootstrap import get_deps
from ..services.look_up_order import look_up_order
from .errors import route
from .schemas.base import parse, parse_json
from .schemas.lookup import LookupIn, lookup_to_json

shopper_api = Blueprint(__name__)


@route(shopper_api, "/api/v1/lookup", methods=["POST"])
def post_lookup() -> Response:
    """The order for a matching number and email, a verdict on every line, and a shopper token."""
    request = parse(LookupIn, parse_json(shopper_api.current_request.raw_body))
    found = look_up_order(get_deps(), request.order_number, request.email)
    return Response(
        body=lookup_to_json(found),
        # The token and the order are the shopper's alone: no shared cache may keep them.
        headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
    )
