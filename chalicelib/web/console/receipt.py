"""A parcel's receipt as staff fill it in: each line's units received and their condition.

One reading of the form for both pages that receive (a return's console page and the warehouse
scan page), so their rules and words cannot drift apart. The fields are `units-<line_id>` and
`condition-<line_id>`; the domain (ReturnRequest.receive) checks the same rules again.
"""

from __future__ import annotations

from collections.abc import Mapping

from ...domain.return_request import Condition, ReceivedLine, ReturnRequest
from ...locales import N_
from ..forms import whole_number
from .visit import ConsoleVisit

# The condition of a line's units, in the member's words.
CONDITION_NAMES = {
    Condition.AS_DESCRIBED: N_("As described"),
    Condition.DAMAGED: N_("Damaged"),
    Condition.NOT_AS_DESCRIBED: N_("Not as described"),
    Condition.MISSING: N_("Missing"),
}
FIELD_PREFIXES = ("units-", "condition-")
# Where a parcel can be received: approved, or paid before it came (refund_trigger on_approval),
# while its arrival is not recorded yet.
RECEIVABLE = ("approved", "refunding", "refunded", "credited", "refund_failed")


def can_be_received(request: ReturnRequest) -> bool:
    """Whether a receipt of `request` may be recorded now (both pages offer the form only then)."""
    return request.status in RECEIVABLE and not request.parcel_received


def condition_choices(visit: ConsoleVisit) -> list[dict[str, str]]:
    """The condition select's options: value and name, in the member's language."""
    return [{"value": c.value, "name": visit._(name)} for c, name in CONDITION_NAMES.items()]


def names_a_receipt(form: Mapping[str, str]) -> bool:
    """True when the form carries any line of a receipt (a bare scan carries none)."""
    return any(name.startswith(FIELD_PREFIXES) for name in form)


def read_receipt(visit: ConsoleVisit, request: ReturnRequest,
                 form: Mapping[str, str]) -> tuple[tuple[ReceivedLine, ...], dict[str, str]]:
    """Each line of `request` as the form says it arrived, and the errors by field id.

    A line's units are 0 to its quantity; "missing" is the condition when none arrived, and
    only then; at least one unit of the return must have arrived (error `receipt`).
    """
    lines: list[ReceivedLine] = []
    errors: dict[str, str] = {}
    for line in request.lines:
        units = whole_number(form.get(f"units-{line.line_id}", "").strip(), max_digits=4)
        condition = form.get(f"condition-{line.line_id}", "")
        if units is None or not 0 <= units <= line.quantity:
            errors[f"units-{line.line_id}"] = visit._("Choose from 0 to %(count)s units.", count=line.quantity)
            continue
        if condition not in set(Condition):
            errors[f"condition-{line.line_id}"] = visit._("Choose the condition the items arrived in.")
            continue
        if (units == 0) != (condition == Condition.MISSING):
            errors[f"condition-{line.line_id}"] = visit._(
                "Choose “Missing” when no unit of the line arrived, and only then.")
            continue
        lines.append(ReceivedLine(line.line_id, units, Condition(condition)))
    if not errors and all(r.units == 0 for r in lines):
        errors["receipt"] = visit._("Nothing of this return arrived. Record a receipt only when at least one "
                                    "unit is in the parcel.")
    return tuple(lines), errors


def is_partial(request: ReturnRequest) -> bool:
    """True when the receipt recorded less than every unit as described."""
    return any(found.units != line.quantity or found.condition != Condition.AS_DESCRIBED
               for line, found in zip(request.lines, request.receipt))
