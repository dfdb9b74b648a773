"""The admin JSON API (PRODUCT.md, "HTTP API (v1)"), authenticated by the admin key."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from ..bootstrap import get_deps
from ..domain.errors import ValidationError
from ..services.import_order import import_order
from ..services.read_order import read_order
from .auth import require_admin
from .errors import route
from .schemas.base import parse, parse_json
from .schemas.orders import OrderIn, order_to_json

admin_api = Blueprint(__name__)


def _authorized() -> None:
    require_admin(admin_api.current_request, get_deps())


@route(admin_api, "/api/v1/admin/orders/{number}", methods=["PUT"])
def put_order(number: str) -> Response:
    """Create or replace an order: 201 when new, 200 when replaced (or already the same)."""
    _authorized()
    document = parse(OrderIn, parse_json(admin_api.current_request.raw_body))
    if document.number != number:
        raise ValidationError(
            f"number: the body's number {document.number!r} differs from the path's {number!r}",
            fields=("number",),
        )
    result = import_order(get_deps(), document.to_domain())
    return Response(
        body=order_to_json(result.order),
        status_code=201 if result.created else 200,
        headers={"Content-Type": "application/json"},
    )


@route(admin_api, "/api/v1/admin/orders/{number}", methods=["GET"])
def get_order(number: str) -> Response:
    """Read a stored order back."""
    _authorized()
    order = read_order(get_deps().orders, number)
    return Response(body=order_to_json(order), headers={"Content-Type": "application/json"})
