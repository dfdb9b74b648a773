"""The shopper's lookup: the order number and email in, the judged order out."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from ...domain.timestamps import utc_timestamp
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


def lookup_to_json(found: Lookup) -> dict[str, Any]:
    """`{"token", "order"}`: the order as the shopper may see it, a verdict on every line."""
    order = found.order
    verdicts = {verdict.line_id: verdict for verdict in found.verdicts}
    return {
        "token": found.token,
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
                    "final_sale": line.final_sale,
                    "verdict": verdict_to_json(verdicts[line.id], order.locale),
                }
                for line in order.lines
            ],
        },
    }
