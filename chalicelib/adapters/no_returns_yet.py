"""ReturnHistory for a store before returns exist: nothing returned, nothing open, no history.

A stand-in wired by bootstrap until the returns feature (issue 5) stores returns; that feature
replaces it with a DynamoDB reader of the return items (data model, patterns 5 and 6).
"""

from __future__ import annotations

from datetime import datetime

from ..services.ports import ReturnedUnits


class NoReturnsYetHistory:
    """ReturnHistory that knows of no returns at all (no returns can be made yet)."""

    def units_of_order(self, order_number: str) -> ReturnedUnits:
        return ReturnedUnits()

    def customer_returns_90d(self, email: str, *, now: datetime) -> int:
        return 0
