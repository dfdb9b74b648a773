"""Approval emails through SES: the merchant's request (merchant's language) and the shopper's decision.

Words are msgids of the `approvals` gettext domain in chalicelib/locales, shared with the
merchant's confirm pages (web/merchant_pages.py). After changing a message, from the repo root:

    pybabel extract -F chalicelib/locales/babel-approvals.cfg -k _t:2 --no-location --omit-header \
        -o chalicelib/locales/approvals.pot .
    pybabel update -D approvals -i chalicelib/locales/approvals.pot -d chalicelib/locales
    pybabel compile -D approvals -d chalicelib/locales

tests/unit/adapters/test_ses_approvals.py fails while a .mo file lags behind its .po file.
"""

from __future__ import annotations

import functools
import gettext
import logging
from collections.abc import Callable
from functools import cache
from typing import Any

import jinja2
from botocore.exceptions import BotoCoreError, ClientError

from ..domain.locale import DEFAULT_LOCALE
from ..domain.order import Order
from ..domain.return_request import APPROVED, ReturnRequest
from ..services.label_document import reason_label
from ..services.ports import (
    APPROVE,
    APPROVE_FEE,
    APPROVE_STORE_CREDIT,
    REJECT,
    ApprovalRequest,
    LineException,
)
from ..services.status_links import plain_status_url
from .babel_formatting import format_date, format_money
from .ses_mailer import CATALOG_DIRS, LOCALES_DIR, TEMPLATES, followed_link, mime_message

log = logging.getLogger("retour.email")

DOMAIN = "approvals"


def _(message: str) -> str:
    """Marks a Python-side message for extraction; translated at render time."""
    return message


ACTION_LABELS = {
    APPROVE: _("Approve"),
    APPROVE_STORE_CREDIT: _("Approve as store credit only"),
    APPROVE_FEE: _("Approve minus a fee"),
    REJECT: _("Deny"),
}
RESOLUTION_NAMES = {"refund": _("Refund to the original payment"), "store_credit": _("Store credit")}
STATUS_NAMES = {
    "pending_approval": _("awaiting a decision"), "approved": _("approved"), "rejected": _("declined"),
    "received": _("received"), "refunding": _("refund under way"), "refunded": _("refunded"),
    "credited": _("store credit issued"), "cancelled": _("cancelled"), "expired": _("expired"),
    "refund_failed": _("refund failed"),
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


def locale_of(locale: str) -> str:
    return locale if locale in CATALOG_DIRS else DEFAULT_LOCALE


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The `approvals` catalog of one of our languages (English text is the msgid)."""
    folder = CATALOG_DIRS.get(locale, CATALOG_DIRS[DEFAULT_LOCALE])
    return gettext.translation(DOMAIN, localedir=LOCALES_DIR, languages=[folder], fallback=True)


@cache
@functools.cache
def environment(locale: str) -> jinja2.Environment:
    """Jinja2 over templates/emails speaking `locale`, built once (the merchant pages render through web/html.py)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        # Shopper names, notes and titles are untrusted: HTML is escaped, text is not.
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    # Reasons are codes in the data; the merchant reads them in words, in their language.
    env.globals["reason_label"] = lambda code: reason_label(code, locale)
    return env


def exception_text(line: LineException, locale: str) -> str:
    """Why a line needed the merchant, in `locale`."""
    gettext_ = translations(locale).gettext
    if line.exception == "window_passed":
        last_day = format_date(line.last_day, locale) if line.last_day else ""
        return gettext_(WINDOW_PASSED) % {"days": line.days_late, "date": last_day}
    if line.exception == "abuse_limit":
        return gettext_(ABUSE_LIMIT) % {"limit": line.abuse_limit}
    if not line.exception:
        return gettext_(WITHIN_POLICY)
    return gettext_(OTHER_EXCEPTION) % {"code": line.exception}


def quote_context(request: ReturnRequest, locale: str) -> dict[str, Any]:
    """The money of a return, formatted for `locale`."""
    quote = request.quote
    gettext_ = translations(locale).gettext
    return {
        "resolution": gettext_(RESOLUTION_NAMES.get(request.resolution, request.resolution)),
        "items": format_money(quote.items, locale), "tax": format_money(quote.tax, locale),
        "fees": format_money(quote.fees, locale), "has_fees": not quote.fees.is_zero(),
        "bonus": format_money(quote.bonus, locale), "has_bonus": not quote.bonus.is_zero(),
        "total": format_money(quote.total, locale),
    }


def render_approval_request(approval: ApprovalRequest, *, locale: str, store_name: str) -> tuple[str, str, str]:
    """(subject, text, HTML) of the merchant's email, in the merchant's `locale`."""
    locale = locale_of(locale)
    request = approval.request
    gettext_ = translations(locale).gettext
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
    gettext_ = translations(locale).gettext
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
    gettext_ = translations(locale).gettext
    waited = approval.sent_at - request.created_at
    return {
        "reminder": approval.reminder, "waited_hours": max(int(waited.total_seconds() // 3600), 0),
        "customer_name": order.customer_name, "customer_email": order.customer_email,
        "order_number": order.number, "rma": request.rma,
        "placed_on": format_date(order.placed_at.date(), locale),
        "lines": [
            {"title": line.title, "sku": line.sku, "quantity": line.quantity, "reason": line.reason,
             "note": line.note, "total": format_money(line.total, locale),
             "why": exception_text(line, locale)}
            for line in approval.lines
        ],
        "earlier_returns": [
            {"rma": r.rma, "created_on": format_date(r.created_at.date(), locale),
             "status": gettext_(STATUS_NAMES.get(r.status, r.status)),
             "total": format_money(r.quote.total, locale)}
            for r in approval.earlier_returns
        ],
        "actions": [{"label": gettext_(ACTION_LABELS[action]), "url": url} for action, url in approval.links],
        "expires_on": format_date(approval.expires_at.date(), locale),
        **quote_context(request, locale),
    }


def render_decision(request: ReturnRequest, order: Order, *, note: str, counter_terms: str,
                    public_base_url: str, store_name: str, status_url: str | None = None) -> tuple[str, str, str]:
    """(subject, text, HTML) of the shopper's decision email, in the order's language.

    `status_url`: the signed link to the status page (where the label is); else the plain address.
    """
    locale = locale_of(request.locale)
    gettext_ = translations(locale).gettext
    approved = request.status == APPROVED
    subject_id = (SUBJECT_REJECTED if not approved else SUBJECT_COUNTER if counter_terms else SUBJECT_APPROVED)
    subject = gettext_(subject_id) % {"rma": request.rma}
    followed = status_url or plain_status_url(public_base_url, request.rma)
    fee_percent = 0
    if counter_terms == APPROVE_FEE and not request.quote.items.is_zero():
        fee_percent = round(request.quote.fees.minor * 100 / request.quote.items.minor)
    context: dict[str, Any] = {
        "lang": locale, "subject": subject, "store_name": store_name,
        "customer_name": order.customer_name, "order_number": order.number, "rma": request.rma,
        "approved": approved, "counter_terms": counter_terms, "fee_percent": fee_percent,
        # The label is printed from the status page: both links open it.
        "note": note, "status_url": followed, "label_url": followed,
        **quote_context(request, locale),
    }
    env = environment(locale)
    text = env.get_template("emails/return_decided.txt").render(context)
    html = env.get_template("emails/return_decided.html").render(context)
    return subject, text, html


class SESApprovalMailer:
    """ApprovalNotifier and DecisionNotifier through SES (SendRawEmail, text and HTML)."""

    def __init__(self, client: Callable[[], Any], *, sender: str, public_base_url: str, store_name: str,
                 merchant_locale: str, configuration_set: str | None = None,
                 status_link: Callable[[ReturnRequest], str] | None = None) -> None:
        self._status_link = status_link
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
