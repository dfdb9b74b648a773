"""Reports (`/console/reports`) and their CSV (`/console/reports/returns.csv`): for a chosen
period, returns and units by reason, product and status, money per currency, SLA times and CSAT,
each as a bar chart with its table beside it. Owners and agents (Permission.VIEW_REPORTS).

What is counted and how is services/console_reports.py; here are the words, formats and charts.
"""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction
from typing import Any

from chalice.app import Response

from ...adapters.babel_formatting import format_money
from ...domain.csat import CsatSummary
from ...domain.return_report import MAX_PERIOD_DAYS
from ...domain.staff import Permission
from ...locales import N_
from ...locales.names import reason_name, status_name
from ...services.console_reports import (
    ConsoleReport,
    Durations,
    PeriodError,
    build_report,
    parse_period,
    returns_csv,
)
from ...services.ports.returns import CsatStore
from . import console_pages
from .charts import Bar, bar_chart
from .visit import ConsoleVisit, console_view

# Charts and tables of products show the SKUs with the most returns; the CSV has every one.
TOP_SKUS = 15
PERIOD_PROBLEMS = {
    "day": N_("Enter a day as YYYY-MM-DD, for example 2026-11-30."),
    "order": N_("The last day can't be before the first day."),
    "length": N_("A report covers at most %(days)s days. Choose a shorter period."),
}


def _csat_store(visit: ConsoleVisit) -> CsatStore | None:
    try:
        return visit.deps.csat
    except RuntimeError:  # not wired on this stage yet: the page shows the rest
        return None


def _duration(visit: ConsoleVisit, value: timedelta | None) -> str:
    """A time span as a person reads it: minutes below an hour, hours below two days, else days."""
    if value is None:
        return visit._("No returns")
    seconds = value.total_seconds()
    if seconds < 3600:
        return visit._("%(minutes)s min", minutes=round(seconds / 60))
    if seconds < 48 * 3600:
        return visit._("%(hours)s h", hours=f"{seconds / 3600:.1f}")
    return visit._("%(days)s days", days=f"{seconds / 86400:.1f}")


def _percent(share: float | Fraction | None) -> str:
    return "—" if share is None else f"{round(float(share) * 100)}%"


def _sku(visit: ConsoleVisit, code: str) -> str:
    return code or visit._("No SKU recorded")


def _context(visit: ConsoleVisit, report: ConsoleReport) -> dict[str, Any]:
    lang = visit.lang
    reasons: list[dict[str, Any]] = [{"name": reason_name(t.key, lang), "returns": t.returns, "units": t.units}
                                     for t in report.by_reason]
    skus: list[dict[str, Any]] = [{"name": _sku(visit, t.key), "returns": t.returns, "units": t.units}
                                  for t in report.by_sku[:TOP_SKUS]]
    statuses: list[dict[str, Any]] = [{"name": status_name(t.key, lang), "returns": t.returns, "units": t.units}
                                      for t in report.by_status]
    money = []
    for totals in report.money:
        amounts = [
            (visit._("Refunded"), totals.refunded), (visit._("Store credit"), totals.credited),
            (visit._("Store credit bonus"), totals.bonus), (visit._("Fees kept"), totals.fees_kept),
        ]
        money.append({
            "currency": totals.currency, "returns": totals.returns,
            "rows": [{"name": name, "amount": format_money(amount, lang)} for name, amount in amounts],
            "chart": bar_chart(
                [Bar(name, amount.minor, format_money(amount, lang)) for name, amount in amounts],
                title=visit._("Money in %(currency)s", currency=totals.currency),
                chart_id=f"money-{totals.currency.lower()}",
            ),
        })
    sla = report.sla
    steps: list[tuple[str, Durations]] = [
        (visit._("Request to decision"), sla.to_decision),
        (visit._("Approval to parcel received"), sla.to_receipt),
        (visit._("Parcel received to money back"), sla.to_money),
    ]
    sla_bars: list[Bar] = []
    for name, durations in steps:
        for which, value in ((visit._("median"), durations.median), (visit._("90th percentile"), durations.p90)):
            sla_bars.append(Bar(f"{name}: {which}", value.total_seconds() / 3600 if value else 0,
                                _duration(visit, value)))
    return {
        "report": report,
        "reasons": reasons,
        "skus": skus,
        "more_skus": max(0, len(report.by_sku) - TOP_SKUS),
        "statuses": statuses,
        "money": money,
        "sla_steps": [{"name": name, "count": d.count, "median": _duration(visit, d.median),
                       "p90": _duration(visit, d.p90)} for name, d in steps],
        "sla_share": _percent(sla.share_in_time),
        "charts": {
            "reasons": bar_chart([Bar(r["name"], r["returns"], str(r["returns"])) for r in reasons],
                                 title=visit._("Returns by reason"), chart_id="chart-reasons"),
            "skus": bar_chart([Bar(s["name"], s["returns"], str(s["returns"])) for s in skus],
                              title=visit._("Returns by product"), chart_id="chart-skus"),
            "statuses": bar_chart([Bar(s["name"], s["returns"], str(s["returns"])) for s in statuses],
                                  title=visit._("Returns by outcome"), chart_id="chart-statuses"),
            "sla": bar_chart(sla_bars, title=visit._("Service times"), chart_id="chart-sla"),
        },
        "csat": _csat_context(visit, report.csat) if report.csat is not None else None,
        "csv_href": f"/console/reports/returns.csv?from={report.period.first_day}&to={report.period.last_day}",
    }


def _csat_context(visit: ConsoleVisit, csat: CsatSummary) -> dict[str, Any]:
    lang = visit.lang
    reasons: list[dict[str, Any]] = [
        {"name": reason_name(r.reason, lang), "answers": r.answers, "surveys": r.surveys,
         "score": _percent(r.score.share), "share": float(r.score.share or 0)}
        for r in csat.by_reason
    ]
    return {
        "answers": csat.answers, "surveys": csat.surveys, "score": _percent(csat.score.share),
        "response_rate": _percent(csat.response_rate),
        "reasons": reasons,
        "chart": bar_chart([Bar(r["name"], r["share"] * 100, r["score"]) for r in reasons],
                           title=visit._("Satisfied shoppers by reason"), chart_id="chart-csat"),
        "comments": [{"rating": c.rating, "comment": c.comment, "answered_at": c.answered_at, "rma": c.rma,
                      "reasons": ", ".join(reason_name(code, lang) for code in dict.fromkeys(c.reasons))}
                     for c in csat.comments],
    }


def _period_errors(visit: ConsoleVisit, error: PeriodError) -> dict[str, str]:
    return {name: visit._(PERIOD_PROBLEMS[problem], days=MAX_PERIOD_DAYS) if problem == "length"
            else visit._(PERIOD_PROBLEMS[problem]) for name, problem in error.problems.items()}


@console_view(console_pages, "/console/reports", permission=Permission.VIEW_REPORTS, methods=["GET"])
def get_reports(visit: ConsoleVisit) -> Response:
    """The period's report; a bad period is the form again, 400, with the problem by its field."""
    query = visit.query
    try:
        period = parse_period(query.get("from"), query.get("to"), now=visit.now)
    except PeriodError as error:
        return visit.page("reports.html", status=400, errors=_period_errors(visit, error),
                          period_from=query.get("from", ""), period_to=query.get("to", ""), report=None)
    report = build_report(visit.deps, period, csat=_csat_store(visit))
    return visit.page("reports.html", period_from=period.first_day.isoformat(),
                      period_to=period.last_day.isoformat(), **_context(visit, report))


@console_view(console_pages, "/console/reports/returns.csv", permission=Permission.VIEW_REPORTS, methods=["GET"])
def get_returns_csv(visit: ConsoleVisit) -> Response:
    """The period's returns as CSV, one row each, no cell a spreadsheet would run."""
    query = visit.query
    try:
        period = parse_period(query.get("from"), query.get("to"), now=visit.now)
    except PeriodError as error:
        return visit.page("reports.html", status=400, errors=_period_errors(visit, error),
                          period_from=query.get("from", ""), period_to=query.get("to", ""), report=None)
    name = f"returns-{period.first_day}-{period.last_day}.csv"
    return Response(
        body=returns_csv(visit.deps, period),
        status_code=200,
        headers={"Content-Type": "text/csv; charset=utf-8", "Content-Disposition": f'attachment; filename="{name}"',
                 "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )

