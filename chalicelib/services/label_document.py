"""What a return label and its packing slip say, as plain data, and the words they use.

The words are msgids of the one catalog (chalicelib/locales); reasons are the shopper-facing
names every surface shares (locales/names.py), so the slip says what the shopper chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, get_args

from ..domain.order import Address
from ..locales import N_, catalog

LabelSize = Literal["4x6", "a4", "letter"]
LABEL_SIZES: tuple[LabelSize, ...] = get_args(LabelSize)
DEFAULT_LABEL_SIZE: LabelSize = "4x6"

# Headings and instructions of the label and the packing slip, by what they are for.
WORDS: dict[str, str] = {
    "return_to": N_("Return to"),
    "from": N_("From"),
    "return_label": N_("Return label"),
    "rma": N_("RMA"),
    "order": N_("Order"),
    "scan_to_track": N_("Scan to track your return"),
    "cut_out": N_("Cut along the dashed line and tape the label to the outside of the parcel."),
    "packing_slip": N_("Packing slip"),
    "put_in_box": N_("Put this page in the box"),
    "put_in_box_detail": N_(
        "Put this page inside the parcel with the items listed below, so the warehouse can match "
        "your parcel to your return. Tape the label to the outside of the parcel."
    ),
    "item": N_("Item"),
    "quantity": N_("Qty"),
    "reason": N_("Reason"),
    "total_items": N_("Items in this parcel"),
    "created": N_("Created"),
    "customer": N_("Customer"),
    # sendby: the approved return's send-by date (domain/send_by.py).
    "send_by": N_("Send by"),
}


def label_word(key: str, locale: str) -> str:
    """The heading or instruction `key` of WORDS in `locale`."""
    return catalog(locale).gettext(WORDS[key])


@dataclass(frozen=True, slots=True)
class LabelLine:
    """One returned line on the packing slip."""

    title: str
    sku: str
    quantity: int
    reason: str  # already in the document's locale


@dataclass(frozen=True, slots=True)
class LabelDocument:
    """Everything printed on a return label and its packing slip, as plain data."""

    rma: str
    order_number: str
    store_name: str
    return_to: Address  # the merchant's warehouse
    ship_from: Address  # the shopper
    customer_name: str
    status_url: str
    locale: str
    lines: tuple[LabelLine, ...]
    generated_on: date
    # The day the parcel must be sent by (the store's calendar); None: the return never expires.
    send_by: date | None = None
