"""The shopper's return pages: find the order, choose, pick a resolution, review, confirm, follow.

Server-rendered and complete without JavaScript. Every POST answers with a redirect (or the
same form again with its errors), so a reload never sends anything twice. The chosen lines ride
in the signed session cookie and are judged and priced again by the use case on every step.

One module per step the shopper sees, beside its template in templates/pages/: find_order
(home.html), choose_items (items.html), resolution, review (and its confirm), status (the
confirmation, the status page and the label), cancel, offer (the answer to a counter-offer). What they share is in page.py.
"""

from __future__ import annotations

from chalice.app import Blueprint

shopper_pages = Blueprint(__name__)

# Each step registers its routes on `shopper_pages` when imported, so the steps come after it.
from . import cancel, choose_items, csat, find_order, offer, pay, photos, resolution, review, status  # noqa: E402 - they need shopper_pages

__all__ = ["cancel", "choose_items", "csat", "find_order", "offer", "pay", "photos", "resolution", "review", "shopper_pages", "status"]
