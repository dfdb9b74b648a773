"""CSAT: the shopper's rating of a return, asked once a day after it resolved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

RATINGS = (1, 2, 3, 4, 5)
# The score is the share of answers that rated 4 or 5.
SATISFIED = frozenset({4, 5})
MAX_COMMENT = 1000


@dataclass(frozen=True, slots=True)
class CsatAnswer:
    """One shopper's answer about one return (at most one per return)."""

    rma: str
    rating: int
    comment: str
    # The reasons of the return's lines (codes), for the report's "by reason".
    reasons: tuple[str, ...]
    answered_at: datetime
    locale: str


@dataclass(frozen=True, slots=True)
class CsatSurvey:
    """A survey email sent about one return (the response rate's denominator)."""

    rma: str
    sent_at: datetime
    reasons: tuple[str, ...]
    locale: str
