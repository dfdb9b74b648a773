"""The one table of shopper-facing names: each reason, return status and resolution code has one
English name (its msgid) and so one translation per language, on every page, email and label.

The codes are the data's (policy reasons, ReturnRequest.status, the quote's resolution). A
store's own reason code, or a status this table does not know yet, reads as its code in words
("gift_duplicate" -> "Gift duplicate"): the shopper still sees what the store wrote.
"""

from __future__ import annotations

from . import N_, catalog

# The reasons of the default policy (PRODUCT.md). The shopper picks one on the items page; the
# packing slip in the parcel and the merchant's email repeat it in the same words.
REASONS: dict[str, str] = {
    "too_small": N_("Too small"),
    "too_large": N_("Too large"),
    "changed_mind": N_("Changed my mind"),
    "not_as_described": N_("Not as described"),
    "damaged": N_("Damaged"),
    "wrong_item": N_("Wrong item"),
}

# Short enough for a badge, plain enough for the shopper, the merchant and the warehouse alike.
STATUSES: dict[str, str] = {
    "pending_approval": N_("Waiting for approval"),
    "approved": N_("Approved"),
    "rejected": N_("Declined"),
    "received": N_("Received"),
    "refunding": N_("Refund on its way"),
    "refunded": N_("Refunded"),
    "credited": N_("Store credit issued"),
    "cancelled": N_("Cancelled"),
    "expired": N_("Expired"),
    "refund_failed": N_("Refund delayed"),
    "offered": N_("Offer awaiting an answer"),
    "awaiting_payment": N_("Waiting for the price difference"),
    "exchanged": N_("Exchanged"),
}

RESOLUTIONS: dict[str, str] = {
    "refund": N_("Refund to the original payment method"),
    "store_credit": N_("Store credit"),
    "exchange": N_("Exchange for another variant"),
}


def _name(table: dict[str, str], code: str, locale: str) -> str:
    message = table.get(code)
    if message is None:
        return code.replace("_", " ").capitalize()
    return catalog(locale).gettext(message)


def reason_name(code: str, locale: str) -> str:
    """A return reason as the shopper reads it, in `locale`."""
    return _name(REASONS, code, locale)


def status_name(code: str, locale: str) -> str:
    """A return's status as everyone reads it, in `locale`."""
    return _name(STATUSES, code, locale)


def resolution_name(code: str, locale: str) -> str:
    """How the shopper gets their money back, in `locale`."""
    return _name(RESOLUTIONS, code, locale)
