"""The admin API's catalog calls: the store sends a product with its variants and stock, and
reads it back with what is reserved for exchanges (docs/exchanges.md, "Catalog")."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from ..bootstrap import get_deps
from ..domain.errors import ValidationError
from ..services.manage_catalog import put_product, read_product
from .auth import require_admin
from .errors import route
from .schemas.base import parse, parse_json
from .schemas.products import ProductIn, product_to_json

admin_products_api = Blueprint(__name__)


def _authorized() -> None:
    require_admin(admin_products_api.current_request, get_deps())


@route(admin_products_api, "/api/v1/admin/products/{product_id}", methods=["PUT"])
def put_product_route(product_id: str) -> Response:
    """Create or replace a product: 201 when new, 200 when replaced (or already the same)."""
    _authorized()
    document = parse(ProductIn, parse_json(admin_products_api.current_request.raw_body))
    if document.product_id != product_id:
        raise ValidationError(
            f"product_id: the body's product_id {document.product_id!r} differs from the path's {product_id!r}",
            fields=("product_id",),
        )
    stocked, created = put_product(get_deps().catalog, document.to_domain())
    return Response(body=product_to_json(stocked), status_code=201 if created else 200,
                    headers={"Content-Type": "application/json"})


@route(admin_products_api, "/api/v1/admin/products/{product_id}", methods=["GET"])
def get_product_route(product_id: str) -> Response:
    """A stored product with each variant's stock, reserved and available units."""
    _authorized()
    stocked = read_product(get_deps().catalog, product_id)
    return Response(body=product_to_json(stocked), headers={"Content-Type": "application/json"})
