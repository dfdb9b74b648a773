"""Admin calls of the money leg: receive a parcel, retry a failed refund, store credit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from chalice.app import Blueprint, Response

from ..domain.timestamps import utc_timestamp
from ..bootstrap import get_deps
from ..domain.store_credit import spendable
from ..services.read_return import read_return
from ..services.receive_return import receive_return
from ..services.redeem_store_credit import read_credit_code, read_store_credit, redeem_store_credit
from ..services.refund_return import credit_instead, retry_refund
from .auth import require_admin
from .errors import route
from .schemas.base import parse, parse_json
from .schemas.returns import return_to_json
from .schemas.store_credit import RedeemIn

if TYPE_CHECKING:
    from ..domain.return_request import ReturnRequest
    from ..domain.store_credit import Redemption, StoreCreditAccount

admin_refunds_api = Blueprint(__name__)

ADMIN_ACTOR = "admin"


def _json(**extra: str) -> dict[str, str | list[str]]:
    return {"Content-Type": "application/json", **extra}


def _authorized() -> None:
    require_admin(admin_refunds_api.current_request, get_deps())


def money_leg_to_json(request: ReturnRequest) -> dict[str, Any]:
    """The return with its refund attempt (amount, attempt, Stripe id, failure reason)."""
    body = return_to_json(request, with_events=True, internal=True)
    refund = request.refund
    body["refund"] = None if refund is None else {
        "attempt": refund.attempt, "amount": refund.amount.minor, "currency": refund.amount.currency,
        "refund_id": refund.refund_id, "failure_reason": refund.failure_reason,
    }
    return body


@route(admin_refunds_api, "/api/v1/admin/returns/{rma}/receive", methods=["POST"])
def post_receive(rma: str) -> Response:
    """The parcel arrived: 202 with the status; the refund (if released) is on its way."""
    _authorized()
    received = receive_return(get_deps(), rma, received_by=ADMIN_ACTOR)
    return Response(body=money_leg_to_json(received), status_code=202, headers=_json())


@route(admin_refunds_api, "/api/v1/admin/returns/{rma}/retry-refund", methods=["POST"])
def post_retry_refund(rma: str) -> Response:
    """Queue a failed refund again (the next attempt, with its own idempotency key): 202."""
    _authorized()
    found = read_return(get_deps(), rma, order_number=None)
    queued = retry_refund(get_deps(), found.rma, actor=ADMIN_ACTOR)
    return Response(body=money_leg_to_json(queued), status_code=202, headers=_json())


@route(admin_refunds_api, "/api/v1/admin/returns/{rma}/credit", methods=["POST"])
def post_credit(rma: str) -> Response:
    """Pay a received, approved or failed-refund return as store credit instead: 200."""
    _authorized()
    found = read_return(get_deps(), rma, order_number=None)
    credited = credit_instead(get_deps(), found)
    return Response(body=money_leg_to_json(credited), headers=_json())


def account_to_json(account: StoreCreditAccount, *, now: datetime) -> dict[str, Any]:
    """The ledger's balance and entries, and what can be spent now: credit past its date is
    never spent, even before the daily job writes it off (then the two figures differ)."""
    def stamp(value: datetime | None) -> str | None:
        return utc_timestamp(value) if value is not None else None

    return {
        "email": account.email, "currency": account.currency, "balance": account.balance.minor,
        "spendable": spendable(account, now=now).minor, "code": account.code,
        "entries": [
            {"id": e.id, "kind": e.kind, "amount": e.amount.minor, "at": stamp(e.at), "rma": e.rma,
             "expires_at": stamp(e.expires_at)}
            for e in account.entries
        ],
    }


def redemption_to_json(redemption: Redemption) -> dict[str, Any]:
    return {
        "entry_id": redemption.entry_id, "email": redemption.email, "currency": redemption.amount.currency,
        "amount": redemption.amount.minor, "balance": redemption.balance_after.minor,
        "idempotency_key": redemption.idempotency_key,
    }


def credit_code_to_json(account: StoreCreditAccount, *, now: datetime) -> dict[str, Any]:
    """What a storefront needs to take a credit code at checkout: currency, spendable balance and
    when the next part of it expires (no ledger entries: the shopper's history stays in the console)."""
    upcoming = sorted(e.expires_at for e in account.entries if e.expires_at is not None and e.expires_at > now)
    return {
        "code": account.code, "email": account.email, "currency": account.currency,
        "balance": account.balance.minor, "spendable": spendable(account, now=now).minor,
        "next_expiry": utc_timestamp(upcoming[0]) if upcoming else None,
    }


@route(admin_refunds_api, "/api/v1/admin/store-credit/{email}", methods=["GET"])
def get_store_credit(email: str) -> Response:
    """Balance and ledger entries of a shopper in `?currency=`."""
    _authorized()
    params: Mapping[str, str] = admin_refunds_api.current_request.query_params or {}
    currency = params.get("currency", "")
    deps = get_deps()
    account = read_store_credit(deps, unquote(email), currency)
    return Response(body=account_to_json(account, now=deps.clock.now()), headers=_json(**{"Cache-Control": "no-store"}))


@route(admin_refunds_api, "/api/v1/admin/store-credit/codes/{code}", methods=["GET"])
def get_credit_code(code: str) -> Response:
    """The balance a credit code spends; 404 unknown_credit_code for any code that is not one."""
    _authorized()
    deps = get_deps()
    account = read_credit_code(deps, unquote(code))
    return Response(body=credit_code_to_json(account, now=deps.clock.now()),
                    headers=_json(**{"Cache-Control": "no-store"}))


@route(admin_refunds_api, "/api/v1/admin/store-credit/redeem", methods=["POST"])
def post_redeem() -> Response:
    """Spend credit (by `email` or `code`) once per idempotency key; 409 insufficient_credit,
    never below zero."""
    _authorized()
    body = parse(RedeemIn, parse_json(admin_refunds_api.current_request.raw_body))
    redemption = redeem_store_credit(
        get_deps(), email=body.email, code=body.code, currency=body.currency, amount=body.amount,
        idempotency_key=body.idempotency_key,
    )
    return Response(body=redemption_to_json(redemption), headers=_json())
