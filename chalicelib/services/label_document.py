"""What a return label and its packing slip say, as plain data, and the words they use.

The words come from the gettext catalog domain `labels` in chalicelib/locales. After changing a
message, refresh and compile the catalogs from the repo root:

    pybabel extract -k N_ --no-location --omit-header \
        -o chalicelib/locales/labels.pot chalicelib/services/label_document.py
    pybabel update -D labels -i chalicelib/locales/labels.pot -d chalicelib/locales
    pybabel compile -D labels -d chalicelib/locales

tests/unit/services/test_label_document.py fails while a .mo file lags behind its .po file.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal, get_args

from ..domain.order import Address

LabelSize = Literal["4x6", "a4", "letter"]
LABEL_SIZES: tuple[LabelSize, ...] = get_args(LabelSize)
DEFAULT_LABEL_SIZE: LabelSize = "4x6"

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "labels"
CATALOG_DIRS = {"en": "en", "ja": "ja", "zh-Hans": "zh_Hans", "ko": "ko"}


def N_(message: str) -> str:
    """Marks a message for extraction; translated when the label is drawn."""
    return message


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
}

# The reasons of the default policy; a store's own reason codes read as their code.
REASONS: dict[str, str] = {
    "too_small": N_("Too small"),
    "too_large": N_("Too large"),
    "changed_mind": N_("Changed my mind"),
    "not_as_described": N_("Not as described"),
    "damaged": N_("Damaged"),
    "wrong_item": N_("Wrong item"),
}


@cache
def label_translations(locale: str) -> gettext.NullTranslations:
    """The compiled `labels` catalog of a locale; English (the msgids) for any other."""
    folder = CATALOG_DIRS.get(locale)
    if folder is None:
        return gettext.NullTranslations()
    path = LOCALES_DIR / folder / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with path.open("rb") as catalog:
        return gettext.GNUTranslations(catalog)


def label_word(key: str, locale: str) -> str:
    """The heading or instruction `key` of WORDS in `locale`."""
    return label_translations(locale).gettext(WORDS[key])


def reason_label(code: str, locale: str) -> str:
    """A return reason as the shopper reads it; an unknown code reads as itself."""
    message = REASONS.get(code)
    if message is None:
        return code.replace("_", " ").capitalize()
    return label_translations(locale).gettext(message)


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
