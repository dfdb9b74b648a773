"""The returns report: what the returns that reached an outcome in a period add up to.

Pure: the caller reads the returns (services/report_returns.py) and hands them over. Money is
summed per currency and never across currencies:

- refunded: what went back to cards, the refund attempt's amount (the quote's total; no bonus).
- store_credit: what was credited for the goods (the quote's total less the bonus), and
  store_credit_bonus the store's bonus on top, apart.
- fees_kept: the fees deducted from what was refunded or credited.

Reasons count every return that reached an outcome, whatever it was: `returns` counts a return
once per reason it gives (a return with two reasons counts under both), `units` its units.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from .errors import ValidationError
from .money import Money
from .return_request import (
    APPROVED,
    CANCELLED,
    CREDITED,
    EXPIRED,
    PENDING_APPROVAL,
    RECEIVED,
    REFUND_FAILED,
    REFUNDED,
    REFUNDING,
    REJECTED,
    ReturnRequest,
    ReturnStatus,
)

# The statuses a return ends in, in the report's order.
OUTCOMES: tuple[ReturnStatus, ...] = (REFUNDED, CREDITED, REJECTED, CANCELLED, EXPIRED)
# The statuses of returns still waiting for someone: the backlog.
BACKLOG_STATUSES: tuple[ReturnStatus, ...] = (PENDING_APPROVAL, APPROVED, RECEIVED, REFUNDING, REFUND_FAILED)
# A quarter and then some: what one request may read stays bounded by the store's pace.
MAX_PERIOD_DAYS = 93
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2999, 12, 31)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """Whole UTC days, `first_day` to `last_day` inclusive."""

    first_day: date
    last_day: date

    @classmethod
    def parse(cls, first_day: str | None, last_day: str | None) -> ReportPeriod:
        """The period of `from` and `to` (YYYY-MM-DD); ValidationError names what is wrong."""
        problems: list[tuple[str, str]] = []
        days: list[date] = []
        for name, text in (("from", first_day), ("to", last_day)):
            day = _day(text)
            if day is None:
                problems.append((name, f"{name} must be a day as YYYY-MM-DD"))
            elif not EARLIEST_DAY <= day <= LATEST_DAY:
                problems.append((name, f"{name} must be from {EARLIEST_DAY} to {LATEST_DAY}"))
            else:
                days.append(day)
        if problems:
            raise ValidationError("; ".join(m for _, m in problems), fields=tuple(f for f, _ in problems))
        first, last = days
        if last < first:
            raise ValidationError("to must not be before from", fields=("from", "to"))
        if (last - first).days + 1 > MAX_PERIOD_DAYS:
            raise ValidationError(f"a report covers at most {MAX_PERIOD_DAYS} days", fields=("from", "to"))
        return cls(first, last)

    @property
    def start(self) -> datetime:
        """The period's first instant (midnight UTC of the first day)."""
        return datetime(self.first_day.year, self.first_day.month, self.first_day.day, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The instant after the period (midnight UTC after the last day); not part of it."""
        after = self.last_day + timedelta(days=1)
        return datetime(after.year, after.month, after.day, tzinfo=UTC)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def _day(text: str | None) -> date | None:
    # fromisoformat alone would take 20261101 and 2026-W48-1 too.
    if text is None or not _DAY.fullmatch(text) or not text.isascii():
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class ReasonTally:
    """How many returns gave one reason, and how many units they sent back for it."""

    returns: int
    units: int


@dataclass(frozen=True, slots=True)
class CurrencyTotals:
    """The money of the refunded and credited returns in one currency."""

    currency: str
    # Returns refunded or credited in this currency.
    returns: int
    refunded: Money
    store_credit: Money
    store_credit_bonus: Money
    fees_kept: Money


@dataclass(frozen=True, slots=True)
class OutcomeSummary:
    """Counts per outcome (every outcome, zero too), per reason code, and money per currency."""

    outcomes: Mapping[ReturnStatus, int]
    reasons: Mapping[str, ReasonTally]
    money: Mapping[str, CurrencyTotals]


def summarize_outcomes(returns: Iterable[ReturnRequest]) -> OutcomeSummary:
    """Add up `returns`, each in one of OUTCOMES (ValueError otherwise: a caller's bug)."""
    outcomes = dict.fromkeys(OUTCOMES, 0)
    reasons: dict[str, tuple[int, int]] = {}
    money: dict[str, CurrencyTotals] = {}
    for request in returns:
        if request.status not in outcomes:
            raise ValueError(f"return {request.rma} is {request.status}, not an outcome")
        outcomes[request.status] += 1
        units_by_reason: dict[str, int] = {}
        for line in request.lines:
            units_by_reason[line.reason] = units_by_reason.get(line.reason, 0) + line.quantity
        for reason, units in units_by_reason.items():
            counted, sent = reasons.get(reason, (0, 0))
            reasons[reason] = (counted + 1, sent + units)
        if request.status in (REFUNDED, CREDITED):
            money[request.quote.currency] = _add(money.get(request.quote.currency), request)
    return OutcomeSummary(
        outcomes=outcomes,
        reasons={code: ReasonTally(returns=n, units=units) for code, (n, units) in sorted(reasons.items())},
        money=dict(sorted(money.items())),
    )


def _add(totals: CurrencyTotals | None, request: ReturnRequest) -> CurrencyTotals:
    """`totals` (or zeros) plus the money of one refunded or credited return."""
    quote = request.quote
    zero = Money.zero(quote.currency)
    if totals is None:
        totals = CurrencyTotals(quote.currency, 0, zero, zero, zero, zero)
    refunded, credited, bonus = zero, zero, zero
    if request.status == REFUNDED:
        # What Stripe was asked for; a return refunded without an attempt on record (none should
        # be) counts its quote.
        refunded = request.refund.amount if request.refund is not None else quote.refund_value
    else:
        # Store credit is the quote's total, bonus included (services/refund_return.py).
        credited, bonus = quote.total - quote.bonus, quote.bonus
    # Money's addition refuses two currencies: a refund in another currency than its quote fails here.
    return CurrencyTotals(
        currency=totals.currency,
        returns=totals.returns + 1,
        refunded=totals.refunded + refunded,
        store_credit=totals.store_credit + credited,
        store_credit_bonus=totals.store_credit_bonus + bonus,
        fees_kept=totals.fees_kept + quote.fees,
    )
