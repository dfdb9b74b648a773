"""Use case: the console's reports page and CSV of a period (issue 17, item 7).

Which returns are in a period: those whose status last moved in it, in every status (the
returns report's dating, docs/data-model.md pattern 22, widened from the five outcomes to all
ten statuses: pattern 31). So a period holds the returns closed in it and those still open whose
latest step happened in it, and a return is in exactly one period at a time. They are read from
the status index, one range per status, streamed: nothing but the period's returns is read, and
no event item (the SLA times come from the milestones stored on each return).

Counts: `returns` counts a return once under each reason (or SKU) it gives, `units` its units
of that reason (or SKU). Money is per currency, never summed across currencies, in minor units:
refunded (what went back to the card), credited (store credit for the goods), bonus (the
store's bonus on credit) and fees kept (deducted from what was refunded or credited), of the
returns refunded or credited.

SLA times (each a median and 90th percentile, nearest rank):
- request to decision: exceptions (returns that waited for the merchant) from their request to
  their approval or rejection;
- approval to parcel received: from the approval (the request itself when no approval was
  needed) to the warehouse's receipt;
- received to money back: from the receipt to the refund or credit (a return paid on approval,
  before its parcel came, has no such time).
The share of exceptions decided within the policy's `approval_sla_hours`: of the exceptions
decided, and those still waiting longer than that now, the share decided in time.

CSAT: domain/csat.py's summary of the answers given and the surveys sent in the period (score =
share of 4 and 5, response rate, comments, by reason).
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from ..domain.csat import CsatSummary, summarize
from ..domain.errors import ValidationError
from ..domain.money import Money
from ..domain.return_report import ReportPeriod
from ..domain.return_request import (
    CREDITED,
    PENDING_APPROVAL,
    REFUNDED,
    STATUSES,
    ReturnRequest,
)
from .ports.policy import PolicyRepository
from .ports.returns import CsatStore, ReturnReports
from .ports.system import Clock

# The default period: the last 30 days, today included.
DEFAULT_DAYS = 30


class ConsoleReportsDeps(Protocol):
    @property
    def return_reports(self) -> ReturnReports: ...
    @property
    def policies(self) -> PolicyRepository: ...
    @property
    def clock(self) -> Clock: ...


class PeriodError(ValueError):
    """A period the form can't take: `problems` maps the field ("from", "to") to what is wrong:
    "day" (not a YYYY-MM-DD day), "order" (to before from) or "length" (over the maximum)."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__(", ".join(f"{name}: {problem}" for name, problem in problems.items()))
        self.problems = dict(problems)


def parse_period(first_day: str | None, last_day: str | None, *, now: datetime) -> ReportPeriod:
    """The period of the form's `from` and `to`; both missing: the last 30 days up to today."""
    if not first_day and not last_day:
        today = now.date()
        return ReportPeriod(today - timedelta(days=DEFAULT_DAYS - 1), today)
    problems: dict[str, str] = {}
    for name, text in (("from", first_day), ("to", last_day)):
        try:
            ReportPeriod.parse(text, text)
        except ValidationError:
            problems[name] = "day"
    if problems:
        raise PeriodError(problems)
    try:
        return ReportPeriod.parse(first_day, last_day)
    except ValidationError as error:
        raise PeriodError({"to": "order" if "before" in str(error) else "length"}) from error


@dataclass(frozen=True, slots=True)
class Tally:
    """Returns and units under one key (a reason, a SKU or a status)."""

    key: str
    returns: int
    units: int


@dataclass(frozen=True, slots=True)
class Money4:
    """The money of one currency's refunded and credited returns (minor units)."""

    currency: str
    returns: int
    refunded: Money
    credited: Money
    bonus: Money
    fees_kept: Money


@dataclass(frozen=True, slots=True)
class Durations:
    """How long one step took across the period's returns: count, median and 90th percentile."""

    count: int
    median: timedelta | None
    p90: timedelta | None

    @classmethod
    def of(cls, samples: Iterable[timedelta]) -> Durations:
        values = sorted(samples)
        if not values:
            return cls(0, None, None)
        seconds = [v.total_seconds() for v in values]
        rank = max(1, math.ceil(0.9 * len(values)))
        return cls(len(values), timedelta(seconds=statistics.median(seconds)), values[rank - 1])


@dataclass(frozen=True, slots=True)
class SlaTimes:
    to_decision: Durations
    to_receipt: Durations
    to_money: Durations
    sla_hours: int
    # Exceptions decided, or waiting past the SLA now; and of those, decided within it.
    exceptions_due: int
    exceptions_in_time: int
    # Returns stored before their milestones were kept: left out of the times.
    without_milestones: int

    @property
    def share_in_time(self) -> float | None:
        return self.exceptions_in_time / self.exceptions_due if self.exceptions_due else None


@dataclass(frozen=True, slots=True)
class ConsoleReport:
    period: ReportPeriod
    returns: int
    units: int
    by_reason: tuple[Tally, ...]
    by_sku: tuple[Tally, ...]
    by_status: tuple[Tally, ...]
    money: tuple[Money4, ...]
    sla: SlaTimes
    # None: no CSAT store is wired (the page says CSAT is not available).
    csat: CsatSummary | None
    generated_at: datetime


def period_returns(deps: ConsoleReportsDeps, period: ReportPeriod) -> Iterator[ReturnRequest]:
    """The period's returns, status by status, each oldest first; read page by page as iterated."""
    for status in STATUSES:
        yield from deps.return_reports.reached_between(status, since=period.start, until=period.end)


@dataclass
class _Sums:
    """What the returns add up to, filled one return at a time."""

    now: datetime
    sla_hours: int
    returns: int = 0
    units: int = 0
    reasons: dict[str, list[int]] = field(default_factory=dict)
    skus: dict[str, list[int]] = field(default_factory=dict)
    statuses: dict[str, list[int]] = field(default_factory=dict)
    money: dict[str, list[int]] = field(default_factory=dict)
    to_decision: list[timedelta] = field(default_factory=list)
    to_receipt: list[timedelta] = field(default_factory=list)
    to_money: list[timedelta] = field(default_factory=list)
    exceptions_due: int = 0
    exceptions_in_time: int = 0
    without_milestones: int = 0

    def add(self, request: ReturnRequest) -> None:
        units = sum(line.quantity for line in request.lines)
        self.returns += 1
        self.units += units
        _count(self.statuses, {str(request.status): units})
        _count(self.reasons, _units_by(request, by_sku=False))
        _count(self.skus, _units_by(request, by_sku=True))
        if request.status in (REFUNDED, CREDITED):
            refunded, credited, bonus = _money_of(request)
            sums = self.money.setdefault(request.quote.currency, [0, 0, 0, 0, 0])
            for i, value in enumerate((1, refunded, credited, bonus, request.quote.fees.minor)):
                sums[i] += value
        self._add_times(request)

    def _add_times(self, request: ReturnRequest) -> None:
        marks = request.milestones
        if marks is None:
            self.without_milestones += 1
            return
        limit = timedelta(hours=self.sla_hours)
        if marks.needed_approval:
            if marks.decided_at is not None:
                waited = marks.decided_at - request.created_at
                self.to_decision.append(waited)
                self.exceptions_due += 1
                self.exceptions_in_time += waited <= limit
            elif request.status == PENDING_APPROVAL and self.now - request.created_at > limit:
                self.exceptions_due += 1
        approved_at = marks.decided_at if marks.needed_approval else request.created_at
        if approved_at is not None and marks.received_at is not None and marks.received_at >= approved_at:
            self.to_receipt.append(marks.received_at - approved_at)
        if marks.received_at is not None and marks.paid_at is not None and marks.paid_at >= marks.received_at:
            self.to_money.append(marks.paid_at - marks.received_at)


def _count(table: dict[str, list[int]], units: Mapping[str, int]) -> None:
    for key, n in units.items():
        counted = table.setdefault(key, [0, 0])
        counted[0] += 1
        counted[1] += n


def _units_by(request: ReturnRequest, *, by_sku: bool) -> dict[str, int]:
    units: dict[str, int] = {}
    for line in request.lines:
        key = line.sku if by_sku else line.reason
        units[key] = units.get(key, 0) + line.quantity
    return units


def _money_of(request: ReturnRequest) -> tuple[int, int, int]:
    """(refunded, credited, bonus) in minor units of a refunded or credited return."""
    quote = request.quote
    if request.status == REFUNDED:
        amount = request.refund.amount if request.refund is not None else quote.refund_value
        return amount.minor, 0, 0
    return 0, (quote.total - quote.bonus).minor, quote.bonus.minor


def _tallies(table: Mapping[str, list[int]]) -> tuple[Tally, ...]:
    """Most returns first, then most units, then by key."""
    return tuple(sorted((Tally(key, n, units) for key, (n, units) in table.items()),
                        key=lambda t: (-t.returns, -t.units, t.key)))


def build_report(deps: ConsoleReportsDeps, period: ReportPeriod, *, csat: CsatStore | None) -> ConsoleReport:
    """The report of `period`: the returns of the period and, with a CSAT store, its CSAT."""
    now = deps.clock.now()
    sums = _Sums(now=now, sla_hours=deps.policies.current(consistent=False).approval_sla_hours)
    for request in period_returns(deps, period):
        sums.add(request)
    order = {str(status): i for i, status in enumerate(STATUSES)}
    return ConsoleReport(
        period=period,
        returns=sums.returns,
        units=sums.units,
        by_reason=_tallies(sums.reasons),
        by_sku=_tallies(sums.skus),
        by_status=tuple(sorted(_tallies(sums.statuses), key=lambda t: order.get(t.key, 99))),
        money=tuple(
            Money4(currency, n, Money(refunded, currency), Money(credited, currency), Money(bonus, currency),
                   Money(fees, currency))
            for currency, (n, refunded, credited, bonus, fees) in sorted(sums.money.items())
        ),
        sla=SlaTimes(
            to_decision=Durations.of(sums.to_decision), to_receipt=Durations.of(sums.to_receipt),
            to_money=Durations.of(sums.to_money), sla_hours=sums.sla_hours, exceptions_due=sums.exceptions_due,
            exceptions_in_time=sums.exceptions_in_time, without_milestones=sums.without_milestones,
        ),
        csat=csat_report(csat, period) if csat is not None else None,
        generated_at=now,
    )


def csat_report(store: CsatStore, period: ReportPeriod) -> CsatSummary:
    """The period's CSAT (domain/csat.py `summarize`): the answers given and surveys sent in it."""
    return summarize(store.answers_between(period.start, period.end),
                     store.surveys_sent_between(period.start, period.end))


# --- CSV ---------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "rma", "requested_at", "status", "order_number", "reasons", "skus", "units", "resolution", "currency",
    "refunded", "credited", "bonus", "fees_kept", "needed_approval", "decided_at", "received_at",
    "money_back_at", "shopper_notes",
)
# A spreadsheet runs a cell that starts with one of these as a formula (or as its start).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """`value` as a CSV cell no spreadsheet runs: a leading apostrophe when it could start a formula."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else ""


def _amount(money: Money) -> str:
    """Minor units as the currency's decimal amount (JPY 3600 -> 3600, USD 3270 -> 32.70)."""
    return str(money.to_decimal())


def csv_row(request: ReturnRequest) -> list[str]:
    """One return as the CSV's cells (before `safe_cell`)."""
    quote = request.quote
    currency = quote.currency
    refunded, credited, bonus = _money_of(request) if request.status in (REFUNDED, CREDITED) else (0, 0, 0)
    fees = quote.fees.minor if request.status in (REFUNDED, CREDITED) else 0
    marks = request.milestones
    return [
        request.rma, _when(request.created_at), str(request.status), request.order_number,
        " ".join(dict.fromkeys(line.reason for line in request.lines)),
        " ".join(dict.fromkeys(line.sku for line in request.lines if line.sku)),
        str(sum(line.quantity for line in request.lines)), request.resolution, currency,
        *(_amount(Money(v, currency)) for v in (refunded, credited, bonus, fees)),
        ("yes" if marks.needed_approval else "no") if marks is not None else "",
        _when(marks.decided_at if marks else None), _when(marks.received_at if marks else None),
        _when(marks.paid_at if marks else None),
        " | ".join(line.note.replace("\r", " ").replace("\n", " ") for line in request.lines if line.note),
    ]


def returns_csv(deps: ConsoleReportsDeps, period: ReportPeriod) -> str:
    """The period's returns, one row each (oldest request first), every cell formula-safe.

    No shopper email or name: the order number finds the shopper in the store's own system, and
    a file that travels by email should not carry personal data it does not need.
    """
    rows = sorted(period_returns(deps, period), key=lambda r: (r.created_at, r.rma))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for request in rows:
        writer.writerow([safe_cell(cell) for cell in csv_row(request)])
    return out.getvalue()


__all__ = [
    "ConsoleReport", "Durations", "Money4", "PeriodError", "SlaTimes", "Tally", "build_report",
    "csv_row", "parse_period", "returns_csv", "safe_cell",
]
