"""The shopper's lookup: the order number and email in, the judged order out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from ...domain.return_request import ReturnRequest
from ...domain.timestamps import utc_timestamp
from ...services.order_returns import open_returns_by_line
from ..i18n import verdict_to_json

if TYPE_CHECKING:
    from ...services.look_up_order import Lookup


class LookupIn(BaseModel):
    """What a shopper types: the order number and the email used at checkout.

    Lengths only: the use case matches the number as people type it, refuses an email that is
    no address (400 on `email`), and answers any other mismatch with the one neutral "not found".
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_number: Annotated[str, Field(min_length=1, max_length=64)]
    email: Annotated[str, Field(min_length=1, max_length=254)]


def _timestamp(moment: datetime | None) -> str | None:
    return None if moment is None else utc_timestamp(moment)


def returns_to_json(returns: Sequence[ReturnRequest], *, status_url: Callable[[ReturnRequest], str],
                    label_url: Callable[[ReturnRequest], str]) -> list[dict[str, Any]]:
    """The order's returns, newest first, each with its signed status link and, once approved,
    its label's (the links open that one return for whoever the storefront hands them to)."""
    return [
        {
            "rma": request.rma,
            "status": request.status,
            "created_at": utc_timestamp(request.created_at),
            "line_ids": [line.line_id for line in request.lines],
            "status_url": status_url(request),
            "label_url": label_url(request) if request.status == "approved" else None,
        }
        for request in returns
    ]


def lookup_to_json(found: Lookup, returns: Sequence[ReturnRequest], *,
                   status_url: Callable[[ReturnRequest], str],
                   label_url: Callable[[ReturnRequest], str]) -> dict[str, Any]:
    """`{"token", "returns", "order"}`: the order's returns and the order as the shopper may see
    it, a verdict on every line and the open returns that already hold it."""
    order = found.order
    verdicts = {verdict.line_id: verdict for verdict in found.verdicts}
    in_returns = open_returns_by_line(returns)
    return {
        "token": found.token,
        "returns": returns_to_json(returns, status_url=status_url, label_url=label_url),
        "order": {
            "number": order.number,
            "customer_name": order.customer_name,
            "locale": order.locale,
            "currency": order.currency,
            "placed_at": _timestamp(order.placed_at),
            "fulfilled_at": _timestamp(order.fulfilled_at),
            "delivered_at": _timestamp(order.delivered_at),
            "shipping_total": order.shipping_total.minor,
            "total": order.total.minor,
            "policy_version": found.policy.version,
            "lines": [
                {
                    "id": line.id,
                    "sku": line.sku,
                    "title": line.title,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price.minor,
                    "tax": line.tax.minor,
                    "discount": line.discount.minor,
                    "product_type": line.product_type,
                    "product_id": line.product_id,
                    "options": dict(line.options),
                    "final_sale": line.final_sale,
                    "verdict": verdict_to_json(verdicts[line.id], order.locale),
                    "in_returns": list(in_returns.get(line.id, ())),
                    # The in-stock variants this line may be exchanged for ([] when none).
                    "exchange_options": [
                        {"sku": o.sku, "options": dict(o.options), "price": o.unit_price.minor,
                         "difference": o.difference.minor, "available": o.available}
                        for o in found.options_for(line.id)
                    ],
                }
                for line in order.lines
            ],
        },
    }
