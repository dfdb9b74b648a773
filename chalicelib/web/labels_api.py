"""The shopper's label download: a redirect to a short-lived link to the stored PDF.

A redirect keeps the PDF out of API Gateway, whose binary bodies need base64 and a matching
Accept header; S3 serves the bytes instead.
"""

from __future__ import annotations

from chalice.app import Blueprint, Response

from ..bootstrap import get_deps
from ..services.issue_label import label_url, parse_label_size
from ..services.look_up_order import shopper_order_number
from .errors import route
from .shopper_api import bearer_token

labels_api = Blueprint(__name__)


@route(labels_api, "/api/v1/returns/{rma}/label.pdf", methods=["GET"])
def get_label(rma: str) -> Response:
    """302 to the label and packing slip of the token's order's return, in `?size=` (4x6)."""
    request = labels_api.current_request
    deps = get_deps()
    order_number = shopper_order_number(deps, bearer_token(request.headers))
    size = parse_label_size(request.query_params.get("size") if request.query_params else None)
    url = label_url(deps, rma, order_number=order_number, size=size)
    # The link carries a signature: no cache may keep or share it.
    return Response(body="", status_code=302,
                    headers={"Location": url, "Cache-Control": "no-store"})
