"""A shopper's return request in, and a return (with its timeline) out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt

from ...domain.errors import ValidationError
from ...domain.locale import normalize_locale
from ...domain.notes import MAX_NOTE
from ...domain.timestamps import utc_timestamp
from ...domain.quote import QuoteLine, Selection
from ...domain.return_request import INTERNAL_KINDS, ReturnRequest


def _locale(value: str) -> str:
    try:
        return normalize_locale(value)
    except ValidationError as error:
        raise ValueError(error.message) from error


class ExchangeForIn(BaseModel):
    """The variant a line is exchanged for (`"exchange_for": {"sku": "TEE-NAVY-L"}`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: Annotated[str, Field(min_length=1, max_length=64)]


class ReturnLineIn(BaseModel):
    """One chosen line: how many units, the reason code, and a note when the reason asks for one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    line_id: Annotated[str, Field(min_length=1, max_length=64)]
    # Strict: "2" or 2.0 is a client bug, not two units.
    quantity: StrictInt
    reason: Annotated[str, Field(min_length=1, max_length=64)]
    note: Annotated[str, Field(max_length=MAX_NOTE)] = ""
    # With the resolution "exchange" on every line, else on none (the use case names the line).
    exchange_for: ExchangeForIn | None = None

    def to_domain(self) -> Selection:
        return Selection(line_id=self.line_id, quantity=self.quantity, reason=self.reason, note=self.note,
                         exchange_for=self.exchange_for.sku if self.exchange_for is not None else "")


class ReturnIn(BaseModel):
    """`POST /api/v1/returns`: the order, the chosen lines and the resolution."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_number: Annotated[str, Field(min_length=1, max_length=64)]
    lines: Annotated[list[ReturnLineIn], Field(min_length=1, max_length=100)]
    # Any text: the store's policy says which resolutions it offers, with a clear message.
    resolution: Annotated[str, Field(min_length=1, max_length=32)]
    # The shopper's language (`ja`, `zh-CN` ...): the return's emails and label speak it.
    # Left out: the order's language.
    locale: Annotated[str, AfterValidator(_locale)] | None = None

    def selections(self) -> tuple[Selection, ...]:
        return tuple(line.to_domain() for line in self.lines)


def _timestamp(moment: datetime) -> str:
    return utc_timestamp(moment)


class OfferAnswerIn(BaseModel):
    """`POST /api/v1/returns/{rma}/offer`: the shopper's answer to the store's counter-offer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decision: Literal["accept", "decline"]


def _line_amounts(line: QuoteLine, *, exchange: bool) -> dict[str, int]:
    """One line's money in minor units; an exchange's also shows its replacement and difference."""
    amounts = {"items": line.items.minor, "tax": line.tax.minor, "fees": line.fees.minor,
               "bonus": line.bonus.minor}
    if exchange:
        amounts |= {"replacement": line.replacement.minor if line.replacement is not None else 0,
                    "difference": line.difference.minor if line.difference is not None else 0}
    return amounts | {"total": line.total.minor}


def return_to_json(request: ReturnRequest, *, with_events: bool, internal: bool = False) -> dict[str, Any]:
    """The return as the API shows it: amounts in minor units; `events` when asked for.

    `internal`: the store's own timeline entries too (staff notes ...); never for the shopper.
    """
    quote = request.quote
    amounts = {q.line_id: q for q in quote.lines}
    body: dict[str, Any] = {
        "rma": request.rma,
        "order_number": request.order_number,
        "status": request.status,
        "resolution": request.resolution,
        "created_at": _timestamp(request.created_at),
        "policy_version": request.policy_version,
        "lines": [
            {
                "line_id": line.line_id,
                "quantity": line.quantity,
                "reason": line.reason,
                "note": line.note,
                "amounts": _line_amounts(amounts[line.line_id], exchange=quote.is_exchange),
                **({"exchange_for": {"sku": line.exchange_for}} if line.exchange_for else {}),
            }
            for line in request.lines
        ],
        "amounts": quote.amounts(),
        # The store's words with its decision or offer ("" when it wrote none).
        "merchant_note": request.merchant_note,
    }
    if request.payment is not None and request.status == "awaiting_payment":
        # A dearer exchange waits for the shopper to pay the price difference.
        body["payment"] = {"amount": request.payment.amount.minor, "currency": request.payment.amount.currency,
                           "status": request.payment.status}
    if request.offer is not None:
        # An open counter-offer: what the shopper gets on accepting (amounts: as above, the ask).
        body["offer"] = {"resolution": request.offer.resolution, "amounts": request.offer.amounts()}
    if with_events:
        # In the order written (`seq`, as stored), never re-sorted by their second-precision times.
        body["events"] = [
            {"at": _timestamp(event.at), "kind": event.kind, "actor": event.actor, "detail": event.detail,
             "seq": seq}
            for seq, event in enumerate(request.events) if internal or event.kind not in INTERNAL_KINDS
        ]
    return body
