"""Admin API over returns: read one, list by status or search, approve / reject without email, a
fresh approval link.

Approve and reject go through services/decide_return.py, the very rules of the email links: a
decided return can't be decided again (409 `already_decided`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Response

from ..domain.timestamps import utc_timestamp
from ..bootstrap import get_deps
from ..domain.approvals import APPROVE, APPROVE_FEE, APPROVE_STORE_CREDIT, REJECT
from ..domain.errors import NotFoundError, ValidationError
from ..domain.return_request import PENDING_APPROVAL, normalize_rma, rma_of_exchange_order
from ..services.approval_links import request_approval
from ..services.decide_return import DecidedBy, Decision, decide_return
from ..services.list_returns import list_returns
from ..services.read_return import read_return
from .admin_refunds_api import money_leg_to_json
from .auth import require_admin
from .errors import route
from .schemas.base import parse_json
from .schemas.returns import return_to_json

if TYPE_CHECKING:
    from ..domain.return_request import ExchangeOrder, RefundAttempt, ReturnRequest

admin_returns_api = Blueprint(__name__)


def _json(**extra: str) -> dict[str, str | list[str]]:
    return {"Content-Type": "application/json", **extra}


def _authorized() -> None:
    require_admin(admin_returns_api.current_request, get_deps())


def _admin() -> DecidedBy:
    request = admin_returns_api.current_request
    identity = (request.context or {}).get("identity") or {}
    return DecidedBy(actor="admin", source_ip=str(identity.get("sourceIp") or ""),
                     user_agent=(request.headers.get("user-agent") or "")[:512])


def _body() -> dict[str, Any]:
    raw = admin_returns_api.current_request.raw_body
    if not raw:
        return {}
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object", fields=("body",))
    return body


@route(admin_returns_api, "/api/v1/admin/returns", methods=["GET"])
def get_returns() -> Response:
    """Returns in `?status=` (default pending_approval), or of `?order_number=`, or of the shopper
    with `?email=` (one of the three), newest first, `?limit=`, `?cursor=`."""
    _authorized()
    query: dict[str, str] = dict(admin_returns_api.current_request.query_params or {})
    limit_text = query.get("limit")
    # ASCII digits only, and few: int() refuses "²" and very long numbers with a ValueError.
    if limit_text is not None and not (limit_text.isascii() and limit_text.isdigit() and len(limit_text) <= 6):
        raise ValidationError("limit must be a whole number", fields=("limit",))
    listed = list_returns(get_deps(), status=query.get("status"), order_number=query.get("order_number"),
                          email=query.get("email"), limit=int(limit_text) if limit_text else None,
                          cursor=query.get("cursor"))
    returns = []
    for request, age in listed.returns:
        item = return_to_json(request, with_events=False)
        if request.status == PENDING_APPROVAL:
            item["age_seconds"] = int(age.total_seconds())
            item["age_hours"] = int(age.total_seconds() // 3600)
        returns.append(item)
    return Response(body={"returns": returns, "next_cursor": listed.cursor}, headers=_json())


def refund_status(refund: RefundAttempt) -> str:
    """Where the attempt stands in our books: `failed`, `refunded` (Stripe took it), or `under_way`."""
    if refund.failure_reason is not None:
        return "failed"
    return "refunded" if refund.refund_id is not None else "under_way"


def staff_view(request: ReturnRequest) -> dict[str, Any]:
    """The return as the shopper API shows it, plus what staff need: the customer, the refund
    attempt and where each decision came from."""
    body = money_leg_to_json(request)
    body["customer_email"] = request.customer_email
    body["locale"] = request.locale
    body["status_changed_at"] = utc_timestamp(request.status_changed_at)
    body["version"] = request.version
    if request.refund is not None:
        body["refund"]["status"] = refund_status(request.refund)
    if request.exchange_order is not None:
        body["exchange"] = exchange_order_to_json(request.exchange_order)
    for shown, event in zip(body["events"], request.events, strict=True):
        # The audit trail of a decision (the email link's or the admin API's caller).
        if event.source_ip:
            shown["source_ip"] = event.source_ip
        if event.user_agent:
            shown["user_agent"] = event.user_agent
    return body


def exchange_order_to_json(order: ExchangeOrder) -> dict[str, Any]:
    """A replacement order as the store's systems read it: what to ship, variant by variant."""
    return {
        "number": order.number,
        "created_at": utc_timestamp(order.created_at),
        "lines": [{"line_id": line.line_id, "sku": line.sku, "options": dict(line.options),
                   "quantity": line.quantity} for line in order.lines],
    }


EXCHANGE_ORDER_NOT_FOUND = "We couldn't find that replacement order."


@route(admin_returns_api, "/api/v1/admin/exchange-orders/{number}", methods=["GET"])
def get_exchange_order(number: str) -> Response:
    """One replacement order, with its return's RMA, order and status; 404
    `exchange_order_not_found`. Its number is the RMA's: one read of the return, no index."""
    _authorized()
    rma = rma_of_exchange_order(number)
    if rma is None:
        raise ValidationError("number must be a replacement order number such as X-7KQ2-9XPM", fields=("number",))
    found = get_deps().returns.get(rma)
    if found is None or found.exchange_order is None:
        raise NotFoundError(EXCHANGE_ORDER_NOT_FOUND, code="exchange_order_not_found")
    body = {**exchange_order_to_json(found.exchange_order), "rma": found.rma, "order_number": found.order_number,
            "return_status": str(found.status)}
    return Response(body=body, headers=_json(**{"Cache-Control": "no-store"}))


@route(admin_returns_api, "/api/v1/admin/returns/{rma}", methods=["GET"])
def get_return(rma: str) -> Response:
    """One return with its timeline, refund attempt and customer; 404 `return_not_found`."""
    _authorized()
    canonical = normalize_rma(rma)
    if canonical is None:
        raise ValidationError("rma must be an RMA such as R-7KQ2-9XPM", fields=("rma",))
    found = read_return(get_deps(), canonical, order_number=None)
    # The customer's address: never in a shared cache.
    return Response(body=staff_view(found), headers=_json(**{"Cache-Control": "no-store"}))


@route(admin_returns_api, "/api/v1/admin/returns/{rma}/approve", methods=["POST"])
def approve(rma: str) -> Response:
    """Approve `{"note"}`; `"store_credit_only": true` or `"fee_percent": n` approve on counter-terms."""
    _authorized()
    body = _body()
    note = body.get("note", "")
    fee = body.get("fee_percent")
    if not isinstance(note, str):
        raise ValidationError("note must be text", fields=("note",))
    action = APPROVE
    if body.get("store_credit_only") is True:
        action = APPROVE_STORE_CREDIT
    elif fee is not None:
        action = APPROVE_FEE
    decided = decide_return(get_deps(), rma, Decision(action, note=note, fee_percent=fee), by=_admin())
    return Response(body=return_to_json(decided, with_events=True, internal=True), headers=_json())


@route(admin_returns_api, "/api/v1/admin/returns/{rma}/reject", methods=["POST"])
def reject(rma: str) -> Response:
    """Reject `{"note"}` (the note is emailed to the shopper)."""
    _authorized()
    note = _body().get("note", "")
    if not isinstance(note, str):
        raise ValidationError("note must be text", fields=("note",))
    decided = decide_return(get_deps(), rma, Decision(REJECT, note=note), by=_admin())
    return Response(body=return_to_json(decided, with_events=True, internal=True), headers=_json())


@route(admin_returns_api, "/api/v1/admin/returns/{rma}/approval-link", methods=["POST"])
def resend_approval_link(rma: str) -> Response:
    """Email the merchant a fresh approval link (the old ones keep their own expiry)."""
    _authorized()
    deps = get_deps()
    link = request_approval(deps, read_return(deps, rma, order_number=None))
    return Response(body={"rma": link.rma, "expires_at": link.expires_at.isoformat()}, status_code=202,
                    headers=_json())
