"""Step 2, choose items (templates/pages/items.html): which lines, how many, why, and what instead.

A line whose product has other variants in stock (and a policy that allows exchanges) offers
"What would you like instead?": money back, or one of those variants. A return is either an
exchange or money back, so a mix is refused with the lines of each named: the shopper makes two
returns. When every chosen line is exchanged, the resolution is "exchange" and the money step
is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chalice.app import Response

from ...domain.catalog import Product
from ...domain.errors import ValidationError
from ...domain.exchange import ExchangeOption, OutOfStockError
from ...domain.notes import MAX_NOTE, note_too_long
from ...domain.quote import Selection
from ...domain.return_request import ReturnRequest
from ...locales.names import reason_name
from ...services.look_up_order import offered_exchanges
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


def variant_text(options: tuple[tuple[str, str], ...], sku: str = "") -> str:
    """A variant as the shopper reads it: "Size L, Colour navy" (the store's own words), else its SKU."""
    return ", ".join(f"{name[:1].upper()}{name[1:]} {value}" for name, value in options) or sku


def _line_rows(page: Page, judged: JudgedOrder, chosen: Mapping[str, Selection],
               errors: Mapping[int, dict[str, str]], returns: tuple[ReturnRequest, ...],
               offers: Mapping[str, tuple[ExchangeOption, ...]]) -> list[dict[str, Any]]:
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
            # exchanges: the variants in stock this line may become (none when it can't be chosen).
            "options": [{"sku": o.sku, "name": variant_text(o.options, o.sku), "difference": o.difference}
                        for o in offers.get(line.id, ())] if verdict.can_be_chosen else [],
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
    offers = offered_exchanges(page.deps, judged.order, judged.verdicts, judged.policy)
    return page.html(
        "pages/items.html", status=status, step=2, order=judged.order,
        note_reasons=page._(", ").join(needing), max_note=MAX_NOTE,
        rows=_line_rows(page, judged, chosen, line_errors, returns, offers), reasons=reasons, errors=errors,
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
        # exchanges: "" is money back, else the SKU of the variant wanted instead.
        exchange_for = form.get(f"exchange-{index}", "")[:100]
        selection = Selection(line.id, quantity, reason, note[:MAX_NOTE], exchange_for)
        submitted[line.id] = Selection(line.id, quantity, reason, note, exchange_for)
        if note_too_long(note):
            line_errors.setdefault(index, {})["note"] = page._(
                "Shorten the note to %(max)s characters or fewer (it has %(count)s).", max=MAX_NOTE, count=len(note))
        selections.append(selection)
        indexes.append(index)
    if switching_language(form):
        return _switch_language(page, judged, submitted, Draft(tuple(submitted.values()), page.session.draft.resolution))
    errors: list[dict[str, str]] = []
    exchanging = [s for s in selections if s.exchange_for]
    if not selections:
        errors.append({"field": "lines", "message": page._("Choose at least one item to return.")})
    elif exchanging and len(exchanging) < len(selections):
        errors.append({"field": "lines", "message": _mixed_message(page, judged, selections)})
    else:
        resolution = "exchange" if exchanging else offered(judged)[0]
        try:
            quote_return(page.deps, order_number=judged.order.number, selections=selections,
                         resolution=resolution)
        except ValidationError as error:
            _line_problems(page, judged, error, indexes, line_errors, errors)
            if "resolution" in error.fields and exchanging:
                # The store stopped offering exchanges since the page was shown.
                for selection, index in zip(selections, indexes, strict=True):
                    line_errors.setdefault(index, {}).setdefault("exchange", page._(
                        "Choose money back or one of the variants offered."))
        except OutOfStockError as error:
            # Taken by another shopper between the page and this submit.
            _out_of_stock(page, judged, selections, indexes, error, line_errors)
    draft = Draft(tuple(selections), _draft_resolution(page.session.draft.resolution, bool(exchanging)))
    if not line_errors and not errors and not fits_in_a_cookie(page.deps.tokens, page.session.with_draft(draft), now=page.now):
        for index in indexes:
            line_errors.setdefault(index, {})["note"] = page._("Please shorten your notes a little.")
    if line_errors or errors:
        # Each message names its item, beside the field and in the summary alike.
        errors += _named(judged, line_errors, page)
        return _items_page(page, judged, submitted, line_errors, errors, status=400)
    page.save(page.session.with_draft(draft))
    # An exchange has no money to choose: straight to the review.
    return page.redirect("/return/review" if exchanging else "/return/resolution")


def _draft_resolution(before: str, exchanging: bool) -> str:
    """The draft's resolution once the lines are chosen: "exchange" for exchanges; else the money
    choice made before (none if the draft was an exchange)."""
    if exchanging:
        return "exchange"
    return "" if before == "exchange" else before


def _mixed_message(page: Page, judged: JudgedOrder, selections: list[Selection]) -> str:
    """Why exchanges and money back can't go together, naming the lines of each."""
    titles = {line.id: line.title for line in judged.order.lines}
    comma = page._(", ")
    exchanged = comma.join(titles[s.line_id] for s in selections if s.exchange_for)
    refunded = comma.join(titles[s.line_id] for s in selections if not s.exchange_for)
    return page._(
        "A return is either an exchange or money back, so this needs two returns. You chose an exchange "
        "for %(exchanged)s and money back for %(refunded)s: untick one group and continue, then start a "
        "second return for the other.", exchanged=exchanged, refunded=refunded)


def _out_of_stock_words(page: Page, error: OutOfStockError, sku: str, product: Product | None) -> str:
    """"Size L is no longer available. Still available: Size M." (or: none left)."""
    variant = product.variant(sku) if product is not None else None
    chosen = variant_text(variant.options if variant is not None else (), sku)
    if not error.available:
        return page._("%(variant)s is no longer available, and no other variant is left: choose money back.",
                      variant=chosen)
    return page._("%(variant)s is no longer available. Still available: %(available)s.", variant=chosen,
                  available=page._(", ").join(variant_text(o.options, o.sku) for o in error.available))


def _out_of_stock(page: Page, judged: JudgedOrder, selections: list[Selection] | tuple[Selection, ...],
                  indexes: list[int], error: OutOfStockError, line_errors: dict[int, dict[str, str]]) -> None:
    """The use case's out-of-stock refusal beside the line that chose the variant."""
    for selection, index in zip(selections, indexes, strict=True):
        if selection.exchange_for == error.sku:
            line = judged.order.lines[index]
            product = page.deps.catalog.get(line.product_id) if line.product_id else None
            line_errors.setdefault(index, {})["exchange"] = _out_of_stock_words(page, error, error.sku, product)
            return


def out_of_stock_page(page: Page, judged: JudgedOrder, draft: Draft, error: OutOfStockError) -> Response:
    """The items step again (409), the exchange that ran out since it was chosen named beside its line
    with what is still available; the draft is kept as it was."""
    positions = {line.id: k for k, line in enumerate(judged.order.lines)}
    chosen = [s for s in draft.selections if s.line_id in positions]
    indexes = [positions[s.line_id] for s in chosen]
    line_errors: dict[int, dict[str, str]] = {}
    _out_of_stock(page, judged, chosen, indexes, error, line_errors)
    errors = _named(judged, line_errors, page)
    return _items_page(page, judged, {s.line_id: s for s in chosen}, line_errors, errors, status=409)


def _named(judged: JudgedOrder, line_errors: dict[int, dict[str, str]], page: Page) -> list[dict[str, str]]:
    """Each line's messages prefixed with its item's title, and listed for the summary."""
    errors = []
    for index, problems in sorted(line_errors.items()):
        title = judged.order.lines[index].title
        for name, message in problems.items():
            problems[name] = page._("%(item)s: %(problem)s", item=title, problem=message)
            errors.append({"field": f"{name}-{index}", "message": problems[name]})
    return errors


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
        elif kind == "exchange_for":
            kind = "exchange"
            message = page._("Choose money back or one of the variants offered.")
        else:
            kind = "return"
            message = page._("This item can't be returned.")
        line_errors.setdefault(index, {}).setdefault(kind, message)

