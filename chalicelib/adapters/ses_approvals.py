"""Approval emails through SES: the merchant's request (merchant's language) and the shopper's decision.

Rendered by the one Jinja environment of each language (adapters/jinja_templates.py); words are
msgids of the one catalog (chalicelib/locales), shared with the merchant's confirm pages
(web/merchant_pages.py). `make catalogs` after changing a message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.approvals import (
    APPROVE,
    APPROVE_FEE,
    APPROVE_STORE_CREDIT,
    REJECT,
    ApprovalRequest,
    LineException,
)
from ..domain.order import Order
from ..domain.return_request import APPROVED, OFFERED, ReturnRequest
from ..locales import catalog, locale_or_default
from ..locales.names import resolution_name, status_name
from ..services.status_links import plain_status_url
from .babel_formatting import format_date, format_money
from .jinja_templates import environment
from .ses_mailer import SendByDate, followed_link, mime_message, send_by_text

log = logging.getLogger("retour.email")

def _(message: str) -> str:
    """Marks a Python-side message for extraction; translated at render time."""
    return message


ACTION_LABELS = {
    APPROVE: _("Approve"),
    APPROVE_STORE_CREDIT: _("Offer store credit only"),
    APPROVE_FEE: _("Offer the refund minus a fee"),
    REJECT: _("Deny"),
}
WINDOW_PASSED = _("The return window ended %(days)s days ago (last day %(date)s).")
ABUSE_LIMIT = _("The shopper reached the limit of %(limit)s returns in 90 days.")
WITHIN_POLICY = _("Within the policy.")
OTHER_EXCEPTION = _("Outside the policy (%(code)s).")
SUBJECT_REQUEST = _("Return %(rma)s needs your decision")
SUBJECT_REMINDER = _("Reminder: return %(rma)s is waiting for your decision")
SUBJECT_DIGEST = _("Order %(order)s: %(count)s more return requests need your decision")
SUBJECT_APPROVED = _("Your return %(rma)s is approved")
SUBJECT_COUNTER = _("Your return %(rma)s is approved with changed terms")
SUBJECT_REJECTED = _("Your return request %(rma)s was declined")
SUBJECT_OFFER = _("The store makes you an offer for your return %(rma)s")


def locale_of(locale: str) -> str:
    """The language an approval email is written in: `locale` when we speak it, else English."""
    return locale_or_default(locale)


def exception_text(line: LineException, locale: str) -> str:
    """Why a line needed the merchant, in `locale`."""
    gettext_ = catalog(locale).gettext
    if line.exception == "window_passed":
        last_day = format_date(line.last_day, locale) if line.last_day else ""
        return gettext_(WINDOW_PASSED) % {"days": line.days_late, "date": last_day}
    if line.exception == "abuse_limit":
        return gettext_(ABUSE_LIMIT) % {"limit": line.abuse_limit}
    if not line.exception:
        return gettext_(WITHIN_POLICY)
    return gettext_(OTHER_EXCEPTION) % {"code": line.exception}


def quote_context(request: ReturnRequest, locale: str, *, offer: bool = False) -> dict[str, Any]:
    """The money of a return, formatted for `locale`; `offer`: of its open counter-offer instead,
    with `asked_total`, the total the shopper asked for."""
    quote = request.offer if offer and request.offer is not None else request.quote
    extra = {"asked_total": format_money(request.quote.total, locale)} if quote is not request.quote else {}
    return {
        **extra,
        "resolution": resolution_name(quote.resolution, locale),
        "items": format_money(quote.items, locale), "tax": format_money(quote.tax, locale),
        "fees": format_money(quote.fees, locale), "has_fees": not quote.fees.is_zero(),
        "bonus": format_money(quote.bonus, locale), "has_bonus": not quote.bonus.is_zero(),
        "shipping": format_money(quote.shipping, locale), "has_shipping": not quote.shipping.is_zero(),
        "total": format_money(quote.total, locale),
    }


def render_approval_request(approval: ApprovalRequest, *, locale: str, store_name: str) -> tuple[str, str, str]:
    """(subject, text, HTML) of the merchant's email, in the merchant's `locale`."""
    locale = locale_of(locale)
    request = approval.request
    gettext_ = catalog(locale).gettext
    subject = gettext_(SUBJECT_REMINDER if approval.reminder else SUBJECT_REQUEST) % {"rma": request.rma}
    context: dict[str, Any] = {
        "lang": locale, "subject": subject, "store_name": store_name, **_approval_context(approval, locale),
    }
    env = environment(locale)
    text = env.get_template("emails/merchant_approval.txt").render(context)
    html = env.get_template("emails/merchant_approval.html").render(context)
    return subject, text, html


def render_approval_digest(approvals: tuple[ApprovalRequest, ...], *, locale: str,
                           store_name: str) -> tuple[str, str, str]:
    """(subject, text, HTML) of the merchant's daily digest of one order's later exception requests."""
    locale = locale_of(locale)
    gettext_ = catalog(locale).gettext
    order = approvals[0].order
    subject = gettext_(SUBJECT_DIGEST) % {"order": order.number, "count": len(approvals)}
    context: dict[str, Any] = {
        "lang": locale, "subject": subject, "store_name": store_name,
        "customer_name": order.customer_name, "order_number": order.number, "count": len(approvals),
        "requests": [_approval_context(approval, locale) for approval in approvals],
    }
    env = environment(locale)
    text = env.get_template("emails/merchant_approval_digest.txt").render(context)
    html = env.get_template("emails/merchant_approval_digest.html").render(context)
    return subject, text, html


def _approval_context(approval: ApprovalRequest, locale: str) -> dict[str, Any]:
    """What the merchant's email shows of one request, formatted for `locale`."""
    request, order = approval.request, approval.order
    gettext_ = catalog(locale).gettext
    waited = approval.sent_at - request.created_at
    return {
        "reminder": approval.reminder, "waited_hours": max(int(waited.total_seconds() // 3600), 0),
        "customer_name": order.customer_name, "customer_email": order.customer_email,
        "order_number": order.number, "rma": request.rma,
        "placed_on": format_date(order.placed_at.date(), locale),
        "lines": [
            {"title": line.title, "sku": line.sku, "quantity": line.quantity, "reason": line.reason,
             "note": line.note, "total": format_money(line.total, locale),
             "why": exception_text(line, locale), "accepts_photos": line.accepts_photos}
            for line in approval.lines
        ],
        "earlier_returns": [
            {"rma": r.rma, "created_on": format_date(r.created_at.date(), locale),
             "status": status_name(r.status, locale),
             "total": format_money(r.quote.total, locale)}
            for r in approval.earlier_returns
        ],
        "actions": [{"label": gettext_(ACTION_LABELS[action]), "url": url} for action, url in approval.links],
        "expires_on": format_date(approval.expires_at.date(), locale),
        **quote_context(request, locale),
    }


def render_decision(request: ReturnRequest, order: Order, *, note: str, counter_terms: str,
                    public_base_url: str, store_name: str, status_url: str | None = None,
                    send_by: str = "") -> tuple[str, str, str]:
    """(subject, text, HTML) of the shopper's decision email, in the return's language (the shopper's).

    `status_url`: the signed link to the status page (where the label is); else the plain address.
    """
    locale = locale_of(request.locale)
    gettext_ = catalog(locale).gettext
    approved = request.status == APPROVED
    offered = request.status == OFFERED
    subject_id = (SUBJECT_OFFER if offered else SUBJECT_REJECTED if not approved
                  else SUBJECT_COUNTER if counter_terms else SUBJECT_APPROVED)
    subject = gettext_(subject_id) % {"rma": request.rma}
    followed = status_url or plain_status_url(public_base_url, request.rma)
    fee_percent = 0
    terms = request.offer if offered and request.offer is not None else request.quote
    if counter_terms == APPROVE_FEE and not terms.items.is_zero():
        fee_percent = round(terms.fees.minor * 100 / terms.items.minor)
    context: dict[str, Any] = {
        "lang": locale, "subject": subject, "store_name": store_name,
        "customer_name": order.customer_name, "order_number": order.number, "rma": request.rma,
        "approved": approved, "offered": offered, "counter_terms": counter_terms, "fee_percent": fee_percent,
        # The label is printed from the status page: both links open it.
        "note": note, "status_url": followed, "label_url": followed,
        **quote_context(request, locale, offer=offered),
        # "Send by <date>" of the approved return (domain/send_by.py); "" without a limit.
        "send_by": send_by if approved else "",
    }
    env = environment(locale)
    text = env.get_template("emails/return_decided.txt").render(context)
    html = env.get_template("emails/return_decided.html").render(context)
    return subject, text, html


class SESApprovalMailer:
    """The merchant's exception emails and the shopper's decision email through SES (SendRawEmail, text
    and HTML); ses_notifiers hands them to the merchant's and the shopper's notifier."""

    def __init__(self, client: Callable[[], Any], *, sender: str, public_base_url: str, store_name: str,
                 merchant_locale: str, configuration_set: str | None = None,
                 status_link: Callable[[ReturnRequest], str] | None = None,
                 send_by: SendByDate | None = None) -> None:
        self._status_link = status_link
        self._send_by = send_by
        self._client_factory = client
        self._client: Any = None
        self._sender = sender
        self._public_base_url = public_base_url
        self._store_name = store_name
        self._merchant_locale = merchant_locale
        self._configuration_set = configuration_set

    def approval_requested(self, approval: ApprovalRequest, *, to: str) -> None:
        subject, text, html = render_approval_request(
            approval, locale=self._merchant_locale, store_name=self._store_name,
        )
        self._send(to, subject, text, html, rma=approval.request.rma)

    def approval_digest(self, approvals: tuple[ApprovalRequest, ...], *, to: str) -> None:
        subject, text, html = render_approval_digest(
            approvals, locale=self._merchant_locale, store_name=self._store_name,
        )
        self._send(to, subject, text, html, rma=", ".join(a.request.rma for a in approvals))

    def return_decided(self, request: ReturnRequest, order: Order, *, note: str, counter_terms: str) -> None:
        subject, text, html = render_decision(
            request, order, note=note, counter_terms=counter_terms,
            public_base_url=self._public_base_url, store_name=self._store_name,
            status_url=followed_link(self._status_link, request, public_base_url=self._public_base_url),
            send_by=send_by_text(self._send_by, request, locale_of(request.locale)),
        )
        self._send(order.email.strip(), subject, text, html, rma=request.rma)

    def _send(self, to: str, subject: str, text: str, html: str, *, rma: str) -> None:
        raw = mime_message(sender=self._sender, sender_name=self._store_name, to=to, subject=subject,
                           text=text, html=html)
        options: dict[str, Any] = {"Source": self._sender, "RawMessage": {"Data": raw}}
        if self._configuration_set:
            options["ConfigurationSetName"] = self._configuration_set
        if self._client is None:
            self._client = self._client_factory()
        try:
            self._client.send_raw_email(**options)
        except (ClientError, BotoCoreError):
            # The decision (or the request) is stored; the status page and the reminder job
            # carry on without this email.
            log.exception("could not send an approval email about return %s", rma)
