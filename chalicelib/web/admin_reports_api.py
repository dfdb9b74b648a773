"""Admin API for reporting: what the returns of a period came to, and the backlog now."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Response

from ..domain.timestamps import utc_timestamp
from ..bootstrap import get_deps
from ..services.report_returns import report_returns
from .auth import require_admin
from .errors import route

if TYPE_CHECKING:
    from ..services.report_returns import ReturnsReport

admin_reports_api = Blueprint(__name__)


def report_to_json(report: ReturnsReport) -> dict[str, Any]:
    """The report as the API shows it: money in minor units, one entry per currency."""
    summary = report.summary
    return {
        "from": report.period.first_day.isoformat(),
        "to": report.period.last_day.isoformat(),
        "days": report.period.days,
        "generated_at": utc_timestamp(report.generated_at),
        "outcomes": dict(summary.outcomes),
        "reasons": [
            {"reason": code, "returns": tally.returns, "units": tally.units}
            for code, tally in summary.reasons.items()
        ],
        "money": [
            {
                "currency": totals.currency, "returns": totals.returns, "refunded": totals.refunded.minor,
                "store_credit": totals.store_credit.minor, "store_credit_bonus": totals.store_credit_bonus.minor,
                "fees_kept": totals.fees_kept.minor,
            }
            for totals in summary.money.values()
        ],
        "backlog": dict(report.backlog),
    }


@route(admin_reports_api, "/api/v1/admin/reports/returns", methods=["GET"])
def get_returns_report() -> Response:
    """`?from=YYYY-MM-DD&to=YYYY-MM-DD` (UTC days, inclusive, at most 93): outcomes, reasons,
    money per currency of the returns that reached an outcome then, and the backlog now."""
    request = admin_reports_api.current_request
    require_admin(request, get_deps())
    query: Mapping[str, str] = request.query_params or {}
    report = report_returns(get_deps(), first_day=query.get("from"), last_day=query.get("to"))
    return Response(body=report_to_json(report), headers={"Content-Type": "application/json",
                                                          "Cache-Control": "no-store"})
