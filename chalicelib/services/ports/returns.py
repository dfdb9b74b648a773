"""Where returns are kept, listed and counted; what earlier returns mean for a new one."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ...domain.csat import CsatAnswer, CsatSurvey
from ...domain.reservations import ReturnedUnits
from ...domain.return_limits import CreationLimits
from ...domain.return_request import ReturnRequest, ReturnStatus


class ReturnHistory(Protocol):
    """What earlier returns mean for judging a line (filled in by the returns feature)."""

    def units_of_order(self, order_number: str) -> ReturnedUnits:
        """Units per line of the order already returned or in an open return.

        May be a moment stale (an eventually consistent read): it informs the verdicts, while the
        create transaction's condition on the reservations is what keeps a unit from being
        returned twice.
        """
        ...

    def customer_returns_90d(self, email: str, *, now: datetime) -> int:
        """Returns the shopper (normalised email) started in the 90 days before `now`."""
        ...


class ReturnRepository(Protocol):
    """Stored returns with their timelines; every write is conditional."""

    def create(self, request: ReturnRequest, *, line_quantities: Mapping[str, int], now: datetime,
               limits: CreationLimits | None = None) -> ReturnRequest:
        """Store a new return, its first event and a reservation of its units, all or nothing.

        `line_quantities` are the order's units per line id: no line may ever hold more
        reserved units than that. Raises ConflictError (nothing written) when another return
        reserved some of the units first, or when the RMA is taken. With `limits`, the same
        transaction counts the return for its shopper and its order's day: CustomerCapReachedError
        for an approved return over the shopper's cap, OrderDayLimitReachedError past the order's
        daily limit (nothing written either way).
        """
        ...

    def get(self, rma: str, *, consistent: bool = True) -> ReturnRequest | None:
        """The return with this RMA and its whole timeline, or None.

        `consistent=False` reads at half the cost and may answer a copy from before the latest
        writes (or None for a return created a moment ago): only for callers whose next write is
        conditional on the version they read, or who check a doubtful answer again consistently.
        """
        ...

    def of_order(self, order_number: str) -> list[ReturnRequest]:
        """Every return of one order, oldest first (without their timelines)."""
        ...

    def save(self, request: ReturnRequest, *, new_events: int, now: datetime) -> ReturnRequest:
        """Store a status move read at `request.version`, appending its last `new_events` events.

        Raises StaleWriteError when the stored version is no longer that one.
        """
        ...


@dataclass(frozen=True, slots=True)
class ReturnsPage:
    """One page of a listing and the opaque cursor of the next (None: the last page)."""

    returns: tuple[ReturnRequest, ...]
    cursor: str | None


class ReturnListings(Protocol):
    """Returns by status, by order and by shopper, through indexes (never a Scan)."""

    def with_status(self, status: ReturnStatus, *, newest_first: bool, limit: int, cursor: str | None) -> ReturnsPage:
        """Returns now in `status`, by the time they entered it. ValidationError for a bad cursor."""
        ...

    def of_customer(self, email: str, *, limit: int) -> list[ReturnRequest]:
        """The shopper's latest returns across all orders, newest first (without timelines)."""
        ...

    def by_order(self, order_number: str, *, limit: int, cursor: str | None) -> ReturnsPage:
        """A page of one order's returns, newest first (without timelines). ValidationError for a bad cursor."""
        ...

    def by_customer(self, email: str, *, limit: int, cursor: str | None) -> ReturnsPage:
        """A page of one shopper's returns across orders, newest first (without timelines).

        `email` in the form returns store it (services: `normalize_email`). ValidationError for a
        bad cursor.
        """
        ...

    def owing_differences(self) -> list[str]:
        """The RMAs of the returns that owe a paid price difference back, whatever their status
        (marked in the very move that made the debt, unmarked by the one that paid it back)."""
        ...


class ReturnReports(Protocol):
    """What the returns report reads: returns by the status they reached and when, and how many
    wait in a status; through the status index, never a Scan."""

    def reached_between(self, status: ReturnStatus, *, since: datetime, until: datetime) -> Iterator[ReturnRequest]:
        """Returns now in `status` that moved last at or after `since` and before `until`, oldest
        first, without timelines; read page by page as the caller iterates."""
        ...

    def count_in(self, status: ReturnStatus) -> int:
        """How many returns are in `status` now."""
        ...


class CsatStore(Protocol):
    """Surveys sent and answers given (CSAT), listed by time for the reports (never a Scan)."""

    def answers_between(self, start: datetime, end: datetime) -> list[CsatAnswer]:
        """Every answer given in [start, end)."""
        ...

    def surveys_sent_between(self, start: datetime, end: datetime) -> list[CsatSurvey]:
        """Every survey sent in [start, end)."""
        ...


class CsatSurveyStore(CsatStore, Protocol):
    """What sending the surveys and recording the answers write and read: one survey and one
    answer per return, each written once (a conditional write), never overwritten."""

    def surveyed(self, rmas: Collection[str]) -> set[str]:
        """Which of these returns have a survey already (sent, or claimed by a run sending it)."""
        ...

    def claim_survey(self, survey: CsatSurvey) -> bool:
        """Store the survey of its return before its email goes; False when the return has one
        already (another run, or an earlier one, claimed it)."""
        ...

    def release_survey(self, survey: CsatSurvey) -> None:
        """Remove this claim (its email could not be sent), so a later run sends it; a claim that
        is not this one (another `sent_at`) stays."""
        ...

    def survey_of(self, rma: str) -> CsatSurvey | None:
        """The survey sent about return `rma`, or None."""
        ...

    def record_answer(self, answer: CsatAnswer) -> bool:
        """Store the answer; False (nothing changed) when the return was answered already."""
        ...

    def answer_of(self, rma: str) -> CsatAnswer | None:
        """The answer given about return `rma`, or None."""
        ...
