"""The month-by-month walk behind "the store's most recent orders" (data model, pattern 3)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

# A store with no orders for two years has nothing older worth judging a policy against; the
# run of empty months bounds the reads of a sparse store. The hard cap bounds the rest.
MAX_EMPTY_MONTHS = 24
MAX_MONTHS = 120


def month_of(moment: datetime) -> str:
    """The UTC month of `moment` as it appears in order keys: "2026-11"."""
    return moment.astimezone(UTC).strftime("%Y-%m")


def months_back_from(moment: datetime) -> Iterator[str]:
    """The month of `moment`, then each earlier month, at most MAX_MONTHS of them."""
    moment = moment.astimezone(UTC)
    year, month = moment.year, moment.month
    for _ in range(MAX_MONTHS):
        yield f"{year:04d}-{month:02d}"
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
