"""Use case: the returns report of a period, for the merchant's reporting (admin API)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ..domain.return_report import (
    BACKLOG_STATUSES,
    OUTCOMES,
    OutcomeSummary,
    ReportPeriod,
    summarize_outcomes,
)
from ..domain.return_request import ReturnStatus
from .ports.returns import ReturnReports
from .ports.system import Clock


class ReportReturnsDeps(Protocol):
    @property
    def return_reports(self) -> ReturnReports: ...
    @property
    def clock(self) -> Clock: ...


@dataclass(frozen=True, slots=True)
class ReturnsReport:
    """The period's outcomes, reasons and money, and the backlog as it stands now."""

    period: ReportPeriod
    summary: OutcomeSummary
    backlog: Mapping[ReturnStatus, int]
    generated_at: datetime


def report_returns(deps: ReportReturnsDeps, *, first_day: str | None, last_day: str | None) -> ReturnsReport:
    """The report of the UTC days `first_day` to `last_day` (YYYY-MM-DD, inclusive, at most 93).

    A return counts in the period in which its status last moved, if that status is an outcome;
    ValidationError names a bad day.
    """
    period = ReportPeriod.parse(first_day, last_day)
    # The returns that moved to an outcome in the period are one index range per outcome;
    # streamed, so a busy quarter never sits in memory at once.
    reached = itertools.chain.from_iterable(
        deps.return_reports.reached_between(outcome, since=period.start, until=period.end) for outcome in OUTCOMES
    )
    summary = summarize_outcomes(reached)
    backlog = {status: deps.return_reports.count_in(status) for status in BACKLOG_STATUSES}
    return ReturnsReport(period=period, summary=summary, backlog=backlog, generated_at=deps.clock.now())
