"""A shopper's return request in, and a return (with its timeline) out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt

from ...domain.errors import ValidationError
from ...domain.locale import normalize_locale
from ...domain.notes import MAX_NOTE
from ...domain.timestamps import utc_timestamp
from ...domain.quote import Selection
from ...domain.return_request import INTERNAL_KINDS, ReturnRequest


def _locale(value: str) -> str:
    try:
        return normalize_locale(value)
    except ValidationError as error:
        raise ValueError(error.message) from error


class ReturnLineIn(BaseModel):
    """One chosen line: how many units, the reason code, and a note when the reason asks for one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    line_id: Annotated[str, Field(min_length=1, max_length=64)]
    # Strict: "2" or 2.0 is a client bug, not two units.
    quantity: StrictInt
    reason: Annotated[str, Field(min_length=1, max_length=64)]
    note: Annotated[str, Field(max_length=MAX_NOTE)] = ""

    def to_domain(self) -> Selection:
        return Selection(line_id=self.line_id, quantity=self.quantity, reason=self.reason, note=self.note)


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
                "amounts": {
                    "items": amounts[line.line_id].items.minor,
                    "tax": amounts[line.line_id].tax.minor,
                    "fees": amounts[line.line_id].fees.minor,
                    "bonus": amounts[line.line_id].bonus.minor,
                    "total": amounts[line.line_id].total.minor,
                },
            }
            for line in request.lines
        ],
        "amounts": quote.amounts(),
        # The store's words with its decision or offer ("" when it wrote none).
        "merchant_note": request.merchant_note,
    }
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
