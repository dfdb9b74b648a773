"""`/warehouse`: staff scan a label's RMA, see its lines, mark it received.

The page is a console page (web/console/visit.py): staff sign in with their own accounts at
/console/sign-in and out at /console/sign-out, and any role that may receive (owner, agent,
warehouse: Permission.RECEIVE) uses it. A stranger is sent to the sign-in with `next=/warehouse`;
the shared admin key signs nobody in here (it opens the admin JSON API only). The receipt is
recorded on the return's timeline as `staff:<email>`, with the client address it came from.

The page speaks the member's console language: the one they picked, else the one their
browser asked for when they signed in (a warehouse phone set to Korean gets Korean), else the
store's own. It is built for a phone: one column, large targets, the scan field focused.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from chalice.app import Blueprint, Request, Response

from ..domain.errors import ConflictError, NotFoundError
from ..domain.return_request import APPROVED, RETURNED_STATUSES, ReceivedLine, ReturnRequest, normalize_rma
from ..domain.staff import Permission
from ..locales import N_
from ..locales.names import status_name
from ..services.read_return import read_return
from ..services.receive_return import receive_return
from .console.receipt import CONDITION_NAMES, can_be_received, condition_choices, is_partial, names_a_receipt, read_receipt
from .console.visit import FORM, ConsoleVisit, console_view, open_visit

warehouse_pages = Blueprint(__name__)

# Why a scanned return can't be received, for the codes receive_return names; any other clash
# (pending, rejected) says the return's status.
REFUSALS = {
    "return_cancelled": N_("This return can't be received now: return cancelled by the shopper."),
    "return_expired": N_("This return can't be received now: return expired before its parcel arrived."),
}


def problem_page(request: Request, status: int) -> Response:
    """Chalice's own refusal of a warehouse request (a 415, a 405) as a console page."""
    return open_visit(request).problem(status)


def _lines(visit: ConsoleVisit, request: ReturnRequest) -> list[dict[str, Any]]:
    order = visit.deps.orders.get(request.order_number)
    rows = []
    for line in request.lines:
        found = order.line(line.line_id) if order is not None else None
        # The reason is a code: the page names it (reason_name) in the words of the packing slip.
        rows.append({"line_id": line.line_id, "quantity": line.quantity, "reason": line.reason,
                     "title": found.title if found else line.line_id, "sku": found.sku if found else ""})
    return rows


def _refusal(visit: ConsoleVisit, code: str, found: ReturnRequest) -> str:
    """Why `found` can't be received, in the page's language."""
    message = REFUSALS.get(code)
    if message is not None:
        return visit._(message)
    return visit._("This return can't be received now (%(status)s).", status=status_name(found.status, visit.lang))


def _recorded(visit: ConsoleVisit, done: ReturnRequest) -> list[dict[str, Any]]:
    """What a partial receipt recorded, line by line (empty for a full one: nothing to tell)."""
    if not is_partial(done):
        return []
    titled = {row["line_id"]: row for row in _lines(visit, done)}
    return [{"title": titled[found.line_id]["title"], "sku": titled[found.line_id]["sku"], "units": found.units,
             "quantity": titled[found.line_id]["quantity"], "condition": visit._(CONDITION_NAMES[found.condition])}
            for found in done.receipt]


def _scan(visit: ConsoleVisit, *, status: int = 200, found: ReturnRequest | None = None, problem: str = "",
          typed: str = "", done: ReturnRequest | None = None, refusal: str = "",
          errors: dict[str, str] | None = None, values: dict[str, str] | None = None) -> Response:
    return visit.page("warehouse.html", status=status, found=found,
                      receivable=found is not None and can_be_received(found),
                      lines=_lines(visit, found) if found is not None else [], problem=problem, typed=typed,
                      done=done, refusal=refusal, errors=errors or {}, values=values or {},
                      conditions=condition_choices(visit),
                      recorded=_recorded(visit, done) if done is not None else [],
                      done_link=f"/warehouse?rma={quote(done.rma)}" if done is not None else "")


@console_view(warehouse_pages, "/warehouse", permission=Permission.RECEIVE, methods=["GET"])
def get_warehouse(visit: ConsoleVisit) -> Response:
    """The scan form (with the return scanned, when `?rma=` is given)."""
    typed = visit.query.get("rma", "").strip()
    if not typed:
        return _scan(visit)
    try:
        found = read_return(visit.deps, typed, order_number=None)
    except NotFoundError:
        return _scan(visit, status=404, problem="not_found", typed=typed)
    return _scan(visit, found=found, typed=found.rma)


@console_view(warehouse_pages, "/warehouse/receive", permission=Permission.RECEIVE, methods=["POST"],
              content_types=FORM)
def post_receive(visit: ConsoleVisit) -> Response:
    """Record the scanned return's receipt (each line's units and condition); the page then waits
    for the next parcel. A bare scan (no line fields, as before the receipt) is a full receipt."""
    form = visit.form()
    rma = normalize_rma(form.get("rma", "")) or ""
    lines: tuple[ReceivedLine, ...] = ()
    try:
        if names_a_receipt(form):
            found = read_return(visit.deps, rma, order_number=None)
            # Only a parcel still expected is read (approved, or paid before it came); any other
            # is answered by receive_return (already received: as it is; cancelled, expired or
            # pending: why not).
            if found.status in (APPROVED, *RETURNED_STATUSES) and not found.parcel_received:
                lines, errors = read_receipt(visit, found, form)
                if errors:
                    return _scan(visit, status=400, found=found, typed=found.rma, errors=errors, values=form)
        received = receive_return(visit.deps, rma, received_by=visit.actor, received=lines,
                                  source_ip=visit.address)
    except NotFoundError:
        return _scan(visit, status=404, problem="not_found", typed=rma)
    except ConflictError as error:
        found = read_return(visit.deps, rma, order_number=None)
        return _scan(visit, status=409, found=found, problem=error.code, refusal=_refusal(visit, error.code, found),
                     typed=rma)
    return _scan(visit, done=received)
