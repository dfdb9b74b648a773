"""The inbox, `/console`: returns waiting for a decision first (oldest first, each with its age
against the policy's SLA), how many wait in each other open status, one status, or a search by
RMA, order number or email; filtered by status, reason and creation date; page by page.

The reads and what a page costs are services/console_inbox.py's; this module turns the query
string into an InboxQuery and the page into words. A value the inbox can't use is a 400 page with
the form and the message next to its field.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from chalice.app import Response

from ...domain.staff import Permission
from ...locales import N_
from ...locales.names import REASONS, reason_name, resolution_name, status_name
from ...domain.return_request import STATUSES, ReturnRequest
from ...services.console_inbox import InboxFilterError, InboxPage, inbox_page, parse_query
from . import console_pages
from .visit import ConsoleVisit, console_view, quoted

# What each problem of a field says, next to it (InboxFilterError.problems).
PROBLEMS = {
    ("status", "unknown"): N_("Choose a status from the list."),
    ("q", "format"): N_("Type an RMA (such as R-7KQ2-9XPM), an order number or the shopper's email address."),
    ("reason", "unknown"): N_("Choose a reason from the list."),
    ("from", "format"): N_("Enter a date as YYYY-MM-DD."),
    ("to", "format"): N_("Enter a date as YYYY-MM-DD."),
    ("to", "order"): N_("The end date can't be before the start date."),
    ("page", "stale"): N_("This page link has expired or belongs to another search. Start again from the first page."),
}
# The open statuses as the inbox names their groups (the badge keeps the shopper's words).
GROUP_NAMES = {
    "awaiting_payment": N_("Exchange waiting for the shopper to pay the price difference"),
    "approved": N_("Approved, waiting for the parcel"),
    "received": N_("Parcel received, money not yet sent"),
    "refunding": N_("Refund on its way (or held)"),
    "refund_failed": N_("Refund failed: needs a retry or store credit"),
}


@console_view(console_pages, "/console", permission=Permission.VIEW_RETURNS, methods=["GET"])
def inbox(visit: ConsoleVisit) -> Response:
    """The inbox page for the query string's `status`, `q`, `reason`, `from`, `to` and `page`."""
    policy = visit.deps.policies.current(consistent=False)
    reasons = sorted({*(reason.code for reason in policy.reasons), *REASONS}, key=lambda code: (
        code not in {r.code for r in policy.reasons}, reason_name(code, visit.lang)))
    values = visit.query
    try:
        query = parse_query(values, reasons=reasons)
        page = inbox_page(visit.deps, query, policy=policy)
    except InboxFilterError as error:
        errors = {name: visit._(PROBLEMS.get((name, why), PROBLEMS[("q", "format")]))
                  for name, why in error.problems.items()}
        return _render(visit, None, reasons, errors=errors, typed=values, status=400)
    return _render(visit, page, reasons, errors={}, typed=query.fields(), status=200)


def _render(visit: ConsoleVisit, page: InboxPage | None, reasons: list[str], *, errors: dict[str, str],
            typed: dict[str, str], status: int) -> Response:
    kept = {name: typed.get(name, "") for name in ("status", "q", "reason", "from", "to")}
    fields = {name: value for name, value in kept.items() if value}
    context: dict[str, Any] = {
        "form": kept,
        "errors": errors,
        "status_options": [{"code": code, "name": status_name(code, visit.lang)} for code in STATUSES],
        "reason_options": [{"code": code, "name": reason_name(code, visit.lang)} for code in reasons],
        "filtered": bool(fields),
        "page": page,
        "rows": [],
        "counts": [],
        "next_href": None,
        "previous_href": None,
        "first_href": None,
        "heading": visit._("Returns"),
    }
    if page is not None:
        zone = ZoneInfo(page.time_zone)
        context["rows"] = [_row(visit, row.request, row.age.total_seconds(), row.overdue, zone)
                           for row in page.rows]
        context["counts"] = [
            {"code": c.status, "name": visit._(GROUP_NAMES[c.status]), "count": c.count, "capped": c.capped,
             "href": "/console?" + urlencode({**fields, "status": c.status}),
             "rows": [_row(visit, row.request, row.age.total_seconds(), row.overdue, zone) for row in c.rows]}
            for c in page.counts
        ]
        if page.next_page:
            context["next_href"] = "/console?" + urlencode({**fields, "page": page.next_page})
        if page.previous_page:
            context["previous_href"] = "/console?" + urlencode({**fields, "page": page.previous_page})
        if page.query.page:
            context["first_href"] = "/console" + ("?" + urlencode(fields) if fields else "")
        context["heading"] = _heading(visit, page)
    return visit.page("inbox.html", status=status, **context)


def _heading(visit: ConsoleVisit, page: InboxPage) -> str:
    if page.view == "search":
        return visit._("Returns found for “%(search)s”", search=page.query.search)
    if page.view == "inbox":
        return visit._("Waiting for a decision")
    assert page.status is not None
    return status_name(page.status, visit.lang)


def _row(visit: ConsoleVisit, request: ReturnRequest, age_seconds: float, overdue: bool, zone: ZoneInfo) -> dict[str, Any]:
    reasons = list(dict.fromkeys(line.reason for line in request.lines))
    return {
        "rma": request.rma,
        "href": f"/console/returns/{quoted(request.rma)}",
        "created_at": request.created_at.astimezone(zone),
        "email": request.customer_email,
        "order_number": request.order_number,
        "units": sum(line.quantity for line in request.lines),
        "reasons": ", ".join(reason_name(code, visit.lang) for code in reasons),
        "resolution": resolution_name(request.resolution, visit.lang),
        "amount": request.quote.total,
        "status": request.status,
        "status_name": status_name(request.status, visit.lang),
        "pending": request.status == "pending_approval",
        "age_hours": int(age_seconds // 3600),
        "overdue": overdue,
    }

