"""The shopper's lookup: the order number and email in, the judged order out.

The lookup is the first request of most cold Lambdas, so its two fields are checked here by
hand rather than by a pydantic model (importing pydantic and building a model costs a cold start
~100 ms). The rules, messages and error shape are pydantic's own for the model

    class LookupIn(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)
        order_number: Annotated[str, Field(min_length=1, max_length=64)]
        email: Annotated[str, Field(min_length=1, max_length=254)]

and tests/unit/web/test_lookup_schema.py holds the two to the same answers on any JSON document.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..i18n import verdict_to_json
from .base import invalid

if TYPE_CHECKING:
    from ...services.look_up_order import Lookup

# Lengths only: any other mismatch is simply "not found", with the one neutral message.
FIELDS = (("order_number", 64), ("email", 254))


@dataclass(frozen=True, slots=True)
class LookupIn:
    """What a shopper types: the order number and the email used at checkout."""

    order_number: str
    email: str


def parse_lookup(document: object) -> LookupIn:
    """`document` (parsed JSON) as a LookupIn; ValidationError naming every bad field otherwise."""
    if not isinstance(document, dict):
        raise invalid([((), "Input should be a valid dictionary or instance of LookupIn")])
    problems: list[tuple[tuple[int | str, ...], str]] = []
    for name, longest in FIELDS:
        if name not in document:
            problems.append(((name,), "Field required"))
            continue
        value = document[name]
        if not isinstance(value, str):
            problems.append(((name,), "Input should be a valid string"))
        elif not _is_unicode(value):
            problems.append(((name,), "Input should be a valid string, unable to parse raw data as a unicode string"))
        elif not value:
            problems.append(((name,), "String should have at least 1 character"))
        elif len(value) > longest:
            problems.append(((name,), f"String should have at most {longest} characters"))
    known = {name for name, _ in FIELDS}
    problems += [((key,), "Extra inputs are not permitted") for key in document if key not in known]
    if problems:
        raise invalid(problems)
    return LookupIn(order_number=document["order_number"], email=document["email"])


def _is_unicode(text: str) -> bool:
    # JSON may carry a lone surrogate ("\ud800"), which is no text at all.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _timestamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
