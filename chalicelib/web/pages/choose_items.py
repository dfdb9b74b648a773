"""Step 2, choose items (templates/pages/items.html): which lines, how many, why."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chalice.app import Response

from ...domain.errors import ValidationError
from ...domain.notes import MAX_NOTE, note_too_long
from ...domain.quote import Selection
from ...domain.return_request import ReturnRequest
from ...locales.names import reason_name
from ...services.order_returns import open_returns_by_line, order_returns, returned_by_line
from ...services.request_return import quote_return
from ..forms import whole_number
from ..i18n import verdict_message
from ..sessions import Draft, fits_in_a_cookie
from . import shopper_pages
from .page import FORM, Page, bound_order, bound_post, ended, shopper_view, switching_language
from .resolution import offered

if TYPE_CHECKING:
    from ...services.shopper_order import JudgedOrder

_LINE_FIELD = re.compile(r"^lines\[(\d+)\]\.(\w+)$")


def _line_rows(page: Page, judged: JudgedOrder, chosen: Mapping[str, Selection],
               errors: Mapping[int, dict[str, str]], returns: tuple[ReturnRequest, ...]) -> list[dict[str, Any]]:
    rows = []
    in_returns = open_returns_by_line(returns)
    returned_in = returned_by_line(returns)
    for index, line in enumerate(judged.order.lines):
        verdict = judged.verdict(line.id)
        assert verdict is not None
        selection = chosen.get(line.id)
        rows.append({
            "index": index, "line": line, "verdict": verdict,
            "message": verdict_message(verdict, page.lang),
            "selection": selection, "errors": errors.get(index, {}),
            "paid": line.paid, "in_returns": in_returns.get(line.id, ()),
            "returned_in": returned_in.get(line.id, ()),
        })
    return rows


@shopper_view(shopper_pages, "/return/items", methods=["GET"])
def items(page: Page) -> Response:
    """Every line of the order with its verdict; the returnable ones with quantity, reason, note."""
    judged = bound_order(page)
    if judged is None:
        return ended(page)
    chosen = {s.line_id: s for s in page.session.draft.selections}
    return _items_page(page, judged, chosen, {}, [], status=200)


def _items_page(page: Page, judged: JudgedOrder, chosen: Mapping[str, Selection],
                line_errors: Mapping[int, dict[str, str]], errors: list[dict[str, str]], *, status: int) -> Response:
    reasons = [{"code": r.code, "requires_note": r.requires_note} for r in judged.policy.reasons]
    needing = [reason_name(r.code, page.lang) for r in judged.policy.reasons if r.requires_note]
    # The order's returns above its lines, so a return made before is always found again here.
    returns = order_returns(page.deps, judged.order.number, just_made=page.session.confirmed)
    titles = {line.id: line.title for line in judged.order.lines}
    return page.html(
        "pages/items.html", status=status, step=2, order=judged.order,
        note_reasons=page._(", ").join(needing), max_note=MAX_NOTE,
        rows=_line_rows(page, judged, chosen, line_errors, returns), reasons=reasons, errors=errors,
        any_choosable=any(v.can_be_chosen for v in judged.verdicts),
        returns=[{"ret": r, "titles": [titles.get(l.line_id, l.line_id) for l in r.lines]} for r in returns],
    )


@shopper_view(shopper_pages, "/return/items", methods=["POST"], content_types=FORM)
def post_items(page: Page) -> Response:
    """Check the chosen lines with the use case; keep them in the session, or show what is wrong."""
    bound = bound_post(page)
    if isinstance(bound, Response):
        return bound
    judged, form = bound
    selections: list[Selection] = []
    indexes: list[int] = []
    line_errors: dict[int, dict[str, str]] = {}
    submitted: dict[str, Selection] = {}
    for index, line in enumerate(judged.order.lines):
        if form.get(f"return-{index}") != "1":
            continue
        # Not a number (or "²"): 0, which the use case refuses beside the field like any wrong count.
        quantity = whole_number(form.get(f"quantity-{index}", ""), max_digits=5) or 0
        reason = form.get(f"reason-{index}", "")[:64]
        # A textarea counts a line break as one character but sends it as CR LF: count it as one.
        note = form.get(f"note-{index}", "").replace("\r\n", "\n").strip()
        selection = Selection(line.id, quantity, reason, note[:MAX_NOTE])
        submitted[line.id] = Selection(line.id, quantity, reason, note)
        if note_too_long(note):
            line_errors.setdefault(index, {})["note"] = page._(
                "Shorten the note to %(max)s characters or fewer (it has %(count)s).", max=MAX_NOTE, count=len(note))
        selections.append(selection)
        indexes.append(index)
    if switching_language(form):
        return _switch_language(page, judged, submitted, Draft(tuple(submitted.values()), page.session.draft.resolution))
    errors: list[dict[str, str]] = []
    if not selections:
        errors.append({"field": "lines", "message": page._("Choose at least one item to return.")})
    else:
        resolution = offered(judged)[0]
        try:
            quote_return(page.deps, order_number=judged.order.number, selections=selections,
                         resolution=resolution)
        except ValidationError as error:
            _line_problems(page, judged, error, indexes, line_errors, errors)
    draft = Draft(tuple(selections), page.session.draft.resolution)
    if not line_errors and not errors and not fits_in_a_cookie(page.deps.tokens, page.session.with_draft(draft), now=page.now):
        for index in indexes:
            line_errors.setdefault(index, {})["note"] = page._("Please shorten your notes a little.")
    if line_errors or errors:
        # Each message names its item, beside the field and in the summary alike.
        for index, problems in sorted(line_errors.items()):
            title = judged.order.lines[index].title
            for name, message in problems.items():
                problems[name] = page._("%(item)s: %(problem)s", item=title, problem=message)
                errors.append({"field": f"{name}-{index}", "message": problems[name]})
        return _items_page(page, judged, submitted, line_errors, errors, status=400)
    page.save(page.session.with_draft(draft))
    return page.redirect("/return/resolution")


def _switch_language(page: Page, judged: JudgedOrder, submitted: Mapping[str, Selection], draft: Draft) -> Response:
    """The language menu sent the step: keep what is ticked and typed so far in the draft (as it
    is: Continue checks it, like every step) and show the step again in the chosen language."""
    if fits_in_a_cookie(page.deps.tokens, page.session.with_draft(draft), now=page.now):
        page.save(page.session.with_draft(draft))
        return page.redirect("/return/items")
    # Notes too long for the cookie: the page itself carries them, the draft stays as it was.
    return _items_page(page, judged, submitted, {}, [], status=200)


def _line_problems(page: Page, judged: JudgedOrder, error: ValidationError, indexes: list[int],
                   line_errors: dict[int, dict[str, str]], errors: list[dict[str, str]]) -> None:
    """The use case's field names (`lines[0].quantity`) as messages beside the shopper's fields."""
    for name in error.fields or ("lines",):
        match = _LINE_FIELD.match(name)
        if match is None or int(match.group(1)) >= len(indexes):
            if name != "resolution":
                errors.append({"field": "lines", "message": page._("Choose at least one item to return.")})
            continue
        index = indexes[int(match.group(1))]
        line = judged.order.lines[index]
        verdict = judged.verdict(line.id)
        available = verdict.quantity_available if verdict is not None else 0
        kind = match.group(2)
        if kind == "quantity":
            message = page._("Choose how many to return, from 1 to %(max)s.", max=max(available, 1))
        elif kind == "reason":
            message = page._("Choose a reason for returning this item.")
        elif kind == "note":
            message = page._("This reason needs a short note: tell us what happened.")
        else:
            kind = "return"
            message = page._("This item can't be returned.")
        line_errors.setdefault(index, {}).setdefault(kind, message)

