"""The merchant's Approve / Deny pages, reached from the approval email's links.

GET and HEAD only show (mail scanners such as Safe Links, Mimecast and Proofpoint open every
link, some in a headless browser); only the confirm form's POST decides, and it must carry a
CSRF token signed for this very link. The token in the path is the credential: pages say
`no-referrer` so it never leaks to another site, and `noindex`, `no-store`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from chalice.app import Blueprint, Request, Response

from ..adapters.babel_formatting import format_date, format_money, format_zoned_datetime
from ..adapters.ses_approvals import ACTION_LABELS, exception_text, quote_context
from ..bootstrap import Deps, get_deps
from ..domain.approvals import APPROVE, APPROVE_FEE, APPROVE_STORE_CREDIT, REJECT
from ..domain.errors import ForbiddenError, RetourError, ValidationError
from ..domain.return_request import EventKind, ReturnEvent, ReturnRequest
from ..domain.notes import MAX_NOTE
from ..locales import N_, catalog, locale_or_default
from ..locales.names import status_name
from ..services.approval_links import (
    ApprovalLinkExpiredError,
    ApprovalLinkInvalidError,
    ApprovalLinkOutdatedError,
    line_exceptions,
    token_hash,
)
from ..services.return_photos import photo_links
from ..services.decide_return import (
    AlreadyDecidedError,
    Decision,
    counter_quote,
    decide_by_link,
    preview_link,
)
from . import html
from .forms import read_form, whole_number

merchant_pages = Blueprint(__name__)

FORM = ["application/x-www-form-urlencoded", "multipart/form-data"]
CSRF_PURPOSE = "merchant_approval_csrf"
# Long enough to read the request and think; a stale form is reloaded, not trusted.
CSRF_TTL = timedelta(hours=1)
DEFAULT_FEE_PERCENT = 15


def _t(locale: str, message: str, **values: Any) -> str:
    text = catalog(locale).gettext(message)
    return text % values if values else text


def _render(deps: Deps, template: str, status: int, *, photo_origin: str | None = None, **context: Any) -> Response:
    locale = locale_or_default(deps.settings.merchant_locale)
    body = html.render(f"merchant/{template}", locale, lang=locale, store_name=deps.settings.store_name,
                       **context)
    return html.page(body, status=status, lang=locale, logo_url=deps.settings.store_logo_url, noindex=True,
                     photo_origin=photo_origin)


def _message(deps: Deps, status: int, title: str, *paragraphs: str) -> Response:
    return _render(deps, "message.html", status, title=title, paragraphs=list(paragraphs))


def csrf_for(deps: Deps, token: str, *, now: datetime) -> str:
    """The confirm form's CSRF token: signed for this link's hash, purpose and an hour."""
    return html.csrf_token(deps.tokens, token_hash(token), purpose=CSRF_PURPOSE, now=now, ttl=CSRF_TTL)


def csrf_matches(deps: Deps, token: str, presented: str | None, *, now: datetime) -> bool:
    return html.csrf_is_valid(deps.tokens, token_hash(token), presented, purpose=CSRF_PURPOSE, now=now)


def _already_decided(deps: Deps, error: AlreadyDecidedError) -> Response:
    locale = locale_or_default(deps.settings.merchant_locale)
    request, event = error.request, error.decision
    status = status_name(request.status, locale)
    cancelled = next((e for e in reversed(request.events) if e.kind == "cancelled"), None)
    # In the store's time zone, named (eventually consistent: the zone is rarely changed).
    zone = deps.policies.current(consistent=False).zone
    if request.status == "cancelled" and cancelled is not None:
        # Nobody decided it: the shopper withdrew the request (or an approved return) themselves.
        line = _t(locale, "The shopper cancelled this return at %(when)s. There is nothing to decide.",
                  when=format_zoned_datetime(cancelled.at, locale, zone))
    elif event is not None and event.kind == EventKind.OFFERED and (answer := _offer_answer(request)) is not None:
        # The merchant made an offer and the shopper answered it (or let it run out): the status
        # is the shopper's doing, not "Cancelled/Approved by" the merchant.
        words = {EventKind.OFFER_ACCEPTED: N_("You made an offer at %(offered)s. The shopper accepted it at %(when)s."),
                 EventKind.OFFER_DECLINED: N_("You made an offer at %(offered)s. The shopper declined it at %(when)s: "
                                              "nothing is refunded and the items stay with them."),
                 EventKind.EXPIRED: N_("You made an offer at %(offered)s. The shopper did not answer it, so the "
                                       "return expired at %(when)s.")}
        line = _t(locale, words[answer.kind], offered=format_zoned_datetime(event.at, locale, zone),
                  when=format_zoned_datetime(answer.at, locale, zone))
    elif event is not None:
        who = event.actor.removeprefix("merchant:")
        line = _t(locale, "Already decided: %(status)s by %(who)s at %(when)s.", status=status, who=who,
                 when=format_zoned_datetime(event.at, locale, zone))
    else:
        line = _t(locale, "Already decided: %(status)s.", status=status)
    return _message(deps, 200, _t(locale, "Return %(rma)s", rma=request.rma), line,
                    _t(locale, "Nothing was changed by opening this link again."))


def _offer_answer(request: ReturnRequest) -> ReturnEvent | None:
    """What became of the merchant's latest offer: the shopper's answer or its expiry, if any."""
    after_offer = []
    for event in reversed(request.events):
        if event.kind == EventKind.OFFERED:
            break
        after_offer.append(event)
    return next((e for e in reversed(after_offer)
                 if e.kind in (EventKind.OFFER_ACCEPTED, EventKind.OFFER_DECLINED, EventKind.EXPIRED)), None)


def _refusal(deps: Deps, error: RetourError) -> Response:
    """The page for a link that can't decide: expired, outdated or not ours."""
    locale = locale_or_default(deps.settings.merchant_locale)
    if isinstance(error, ApprovalLinkExpiredError):
        return _message(
            deps, 410, _t(locale, "This link has expired"),
            _t(locale, "Approval links work for a limited time, so an old email can't decide a return."),
            _t(locale, "For a fresh link, wait for the reminder email or send POST "
                      "/api/v1/admin/returns/{rma}/approval-link with the admin API key; you can also "
                      "decide with POST /api/v1/admin/returns/{rma}/approve or /reject."),
        )
    if isinstance(error, ApprovalLinkOutdatedError):
        return _message(deps, 409, _t(locale, "This link is out of date"),
                        _t(locale, "The return changed after this email was sent. Use the newest email about it."))
    return _message(deps, 403, _t(locale, "This link is not valid"),
                    _t(locale, "Check that the whole link was opened, or use the newest email."))


# What each decision leaves the shopper, shown beside it before the merchant confirms.
OUTCOMES = {
    APPROVE: N_("The shopper gets %(amount)s."),
    APPROVE_STORE_CREDIT: N_("The shopper is offered %(amount)s in store credit instead of %(asked)s, and accepts or declines."),
    APPROVE_FEE: N_("The shopper gets %(amount)s instead of %(asked)s, if they accept the offer."),
    REJECT: N_("The shopper gets nothing back. Nothing is refunded and the items stay with them."),
}


def _outcomes(deps: Deps, opened: Any, order: Any, locale: str, fee: int | None) -> dict[str, str]:
    """Each offered action's outcome in money (the fee's at `fee` percent), in the merchant's words."""
    request = opened.request
    asked = format_money(request.quote.total, locale)
    found: dict[str, str] = {}
    for action in opened.link.actions:
        amount = request.quote.total
        if action in (APPROVE_STORE_CREDIT, APPROVE_FEE):
            if action == APPROVE_FEE and fee is None:
                continue  # no valid fee to price: the field's error says so
            terms = counter_quote(deps, request, order, Decision(action, fee_percent=fee))
            amount = terms.total if terms is not None else amount
        found[action] = _t(locale, OUTCOMES[action], amount=format_money(amount, locale), asked=asked)
    return found


def _confirm(deps: Deps, token: str, *, chosen: str, now: datetime, status: int = 200,
             error: str = "", note: str = "", fee_percent: str = "", error_field: str = "") -> Response:
    opened, order = preview_link(deps, token)
    request = opened.request
    locale = locale_or_default(deps.settings.merchant_locale)
    lines = line_exceptions(deps, request, order)
    # photos: the shopper's photos of each line, as links that work for minutes, not days.
    photos = photo_links(deps, request.rma)
    fee_text = fee_percent or str(DEFAULT_FEE_PERCENT)
    fee = whole_number(fee_text, max_digits=3)
    outcomes = _outcomes(deps, opened, order, locale, fee if fee is not None and 1 <= fee <= 100 else None)
    return _render(
        deps, "confirm.html", status, photo_origin=deps.photo_origin() if photos else None,
        title=_t(locale, "Return %(rma)s needs your decision", rma=request.rma),
        customer_name=order.customer_name, customer_email=order.customer_email,
        order_number=order.number, rma=request.rma,
        placed_on=format_date(order.placed_at.date(), locale),
        lines=[{"title": l.title, "sku": l.sku, "quantity": l.quantity, "reason": l.reason,
                "note": l.note, "total": format_money(l.total, locale), "why": exception_text(l, locale),
                "photos": photos.get(l.line_id, ())}
               for l in lines],
        actions=[{"value": a, "label": _t(locale, ACTION_LABELS[a]), "chosen": a == chosen,
                  "outcome": outcomes.get(a, "")}
                 for a in opened.link.actions],
        error_field=error_field,
        csrf=csrf_for(deps, token, now=now), form_action=f"/merchant/approvals/{token}",
        expires_on=format_date(opened.link.expires_at.date(), locale), error=error, note=note,
        fee_percent=fee_text, max_note=MAX_NOTE,
        **quote_context(request, locale),
    )


def _problem(deps: Deps, status: int) -> Response:
    """The page for what no view answered itself: a bad form (4xx) or a fault of ours (500)."""
    locale = locale_or_default(deps.settings.merchant_locale)
    if status >= 500:
        return _message(deps, status, _t(locale, "Something went wrong on our side"),
                        _t(locale, "Please open the link again in a moment: it shows whether the return was decided."))
    return _message(deps, status, _t(locale, "This form can't be sent"),
                    _t(locale, "Nothing was decided. Open the link in the email again and confirm once more."))


def problem_page(request: Request, status: int) -> Response:
    """Chalice's own refusal of a merchant request (a 415, a 405) as a page in the merchant's language."""
    return _problem(get_deps(), status)


def merchant_view(view: Callable[..., Response]) -> Callable[..., Response]:
    """Wrap a merchant page so every error is a page in the merchant's language, never Chalice's JSON 500."""

    @functools.wraps(view)
    def handler(*args: Any, **kwargs: Any) -> Response:
        return html.answering_errors("merchant", lambda: view(*args, **kwargs), lambda status: _problem(get_deps(), status))

    return handler


def _origin(request: Request) -> tuple[str, str]:
    identity = (request.context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or ""), (request.headers.get("user-agent") or "")[:512]


@merchant_pages.route("/merchant/approvals/{token}", methods=["GET", "HEAD"])
@merchant_view
def show_approval(token: str) -> Response:
    """The request and a confirm form; opening it (any number of times) changes nothing."""
    deps = get_deps()
    query: dict[str, str] = dict(merchant_pages.current_request.query_params or {})
    chosen = query.get("action") or APPROVE
    try:
        response = _confirm(deps, token, chosen=chosen, now=deps.clock.now())
    except AlreadyDecidedError as error:
        response = _already_decided(deps, error)
    except (ApprovalLinkInvalidError, ApprovalLinkExpiredError, ApprovalLinkOutdatedError) as error:
        response = _refusal(deps, error)
    if merchant_pages.current_request.method == "HEAD":
        response.body = ""
    return response


@merchant_pages.route("/merchant/approvals/{token}", methods=["POST"], content_types=FORM)
@merchant_view
def decide_approval(token: str) -> Response:
    """The confirm form: decides once, with the CSRF token of a page of this very link."""
    deps = get_deps()
    request = merchant_pages.current_request
    locale = locale_or_default(deps.settings.merchant_locale)
    form = read_form(request.raw_body)
    now = deps.clock.now()
    action = form.get("decision", "")
    note, fee_text = form.get("note", ""), form.get("fee_percent", "").strip()
    try:
        if not csrf_matches(deps, token, form.get(html.CSRF_FIELD), now=now):
            # Either a forged post or a form older than an hour: show the request again.
            return _confirm(deps, token, chosen=action or APPROVE, now=now, status=403, note=note,
                            fee_percent=fee_text,
                            error=_t(locale, "This form has expired. Please confirm again."))
        if form.get("preview"):
            # "Show what the shopper gets": the same form again, priced at the fee typed; nothing decided.
            return _confirm(deps, token, chosen=action or APPROVE, now=now, note=note, fee_percent=fee_text)
        fee: int | None = None
        if action == APPROVE_FEE:
            # Not a number (or "²"): -1, which the use case refuses as any fee out of range.
            fee = whole_number(fee_text, max_digits=3)
            fee = -1 if fee is None else fee
        source_ip, user_agent = _origin(request)
        try:
            decided = decide_by_link(deps, token, Decision(action, note=note, fee_percent=fee),
                                     source_ip=source_ip, user_agent=user_agent)
        except ValidationError as error:
            field = error.fields[0] if error.fields else "note"
            # The note's limit in the merchant's words (the one limit, domain/notes.py).
            why = (_t(locale, "The note can be at most %(count)s characters.", count=MAX_NOTE)
                   if field == "note" and len(note) > MAX_NOTE else _t(locale, error.message))
            return _confirm(deps, token, chosen=action or APPROVE, now=now, status=400, note=note,
                            fee_percent=fee_text, error=why, error_field=field)
        except ForbiddenError as error:
            if error.code != "action_not_allowed":
                raise
            # A decision this link does not offer (a hand-made post): the same form again.
            return _confirm(deps, token, chosen=APPROVE, now=now, status=400, note=note, fee_percent=fee_text,
                            error=_t(locale, "Choose one of the decisions offered on this page."))
    except AlreadyDecidedError as error:
        return _already_decided(deps, error)
    except (ApprovalLinkInvalidError, ApprovalLinkExpiredError, ApprovalLinkOutdatedError) as error:
        return _refusal(deps, error)
    status = status_name(decided.status, locale)
    done = _t(locale, "Done: %(status)s. The shopper gets an email now.", status=status)
    if decided.status == "rejected":
        return _message(deps, 200, _t(locale, "Return %(rma)s", rma=decided.rma), done,
                        _t(locale, OUTCOMES[REJECT]))
    if decided.offer is not None:
        return _message(deps, 200, _t(locale, "Return %(rma)s", rma=decided.rma), done,
                        _t(locale, "Your offer: %(amount)s. The shopper accepts or declines it; we email you their answer.",
                           amount=format_money(decided.offer.total, locale)))
    return _message(
        deps, 200, _t(locale, "Return %(rma)s", rma=decided.rma), done,
        _t(locale, "What the shopper gets back") + ": " + format_money(decided.quote.total, locale),
    )
