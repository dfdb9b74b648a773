"""Shopper emails through Amazon SES: templates/emails/<name>.txt and .html rendered by the one
Jinja environment of the shopper's language (adapters/jinja_templates.py), MIME.

Their words are msgids of the one catalog (chalicelib/locales; `make catalogs` after changing one).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, tzinfo
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.csat import RATING_WORDS, RATINGS, SurveyNotSentError
from ..domain.errors import RetourError
from ..domain.money import Money
from ..domain.order import Order
from ..domain.return_request import APPROVED, PENDING_APPROVAL, REJECTED, ReturnRequest
from ..domain.store_credit import CreditLot
from ..locales import catalog, locale_or_default
from ..locales.names import resolution_name
from ..services.csat_surveys import CSAT_LINK_TTL
from ..services.status_links import plain_status_url
from .babel_formatting import format_date, format_money
from .jinja_templates import environment

log = logging.getLogger("retour.email")

def _(message: str) -> str:
    """Marks a Python-side message for extraction; translated at render time."""
    return message


SUBJECTS = {
    "approved": _("Your return %(rma)s is approved"),
    "pending_approval": _("We received your return request %(rma)s"),
    "refunded": _("Your refund for return %(rma)s is on its way"),
    "credited": _("Store credit for return %(rma)s is ready"),
    "cancelled": _("Your return %(rma)s is cancelled"),
    "expired": _("Your return %(rma)s has expired"),
    "csat_survey": _("How was your return? (%(rma)s)"),
    "ship_reminder": _("Please send your return %(rma)s by %(date)s"),
    "exchange_created": _("Your exchange %(rma)s: replacement order %(number)s is made"),
    "exchange_unavailable": _("Your exchange %(rma)s: the replacement ran out of stock"),
}


def _subject(locale: str, event: str, rma: str, **values: str) -> str:
    """The subject of the email about `event`, in the shopper's language."""
    # Looked up first, then translated: a literal inside gettext() would be extracted as a msgid.
    message = SUBJECTS[event]
    return catalog(locale).gettext(message) % {"rma": rma, **values}


SendByDate = Callable[[ReturnRequest], date | None]


def send_by_text(send_by: SendByDate | None, request: ReturnRequest, locale: str) -> str:
    """The return's "send by" date as the shopper writes dates ("" when it has none, or when the
    policy could not be read: the email goes without the line rather than not at all)."""
    if send_by is None:
        return ""
    try:
        day = send_by(request)
    except (RetourError, RuntimeError, ClientError, BotoCoreError):
        log.exception("could not work out the send-by date of return %s", request.rma)
        return ""
    return format_date(day, locale) if day is not None else ""


def _shopper_locale(request: ReturnRequest) -> str:
    return locale_or_default(request.locale)


def _common(request: ReturnRequest, locale: str, *, public_base_url: str, store_name: str,
            status_url: str | None) -> dict[str, Any]:
    """What every shopper email shows: its language, the store, the RMA and the status link."""
    return {
        "lang": locale,
        "store_name": store_name,
        "rma": request.rma,
        "status_url": status_url or plain_status_url(public_base_url, request.rma),
    }


def _rendered(locale: str, event: str, template: str, context: dict[str, Any],
              **subject_values: str) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of templates/emails/<template>.txt/.html in `locale`."""
    env = environment(locale)
    return (
        _subject(locale, event, context["rma"], **subject_values),
        env.get_template(f"emails/{template}.txt").render(context),
        env.get_template(f"emails/{template}.html").render(context),
    )


def confirmation_context(
    request: ReturnRequest, order: Order, *, locale: str, public_base_url: str, store_name: str,
    status_url: str | None = None, send_by: str = "",
) -> dict[str, Any]:
    """What the confirmation templates show, formatted for `locale`."""
    quote = request.quote
    titles = {line.id: line.title for line in order.lines}
    return {
        **_common(request, locale, public_base_url=public_base_url, store_name=store_name, status_url=status_url),
        "customer_name": order.customer_name,
        "order_number": order.number,
        "approved": request.status == APPROVED,
        # "Send by <date>" for an approved return (domain/send_by.py); "" without a limit.
        "send_by": send_by if request.status == APPROVED else "",
        "pending": request.status == PENDING_APPROVAL,
        "requested_on": format_date(request.created_at.date(), locale),
        "resolution": resolution_name(request.resolution, locale),
        "store_credit": request.resolution == "store_credit",
        "lines": [
            {"title": titles.get(q.line_id, q.line_id), "quantity": q.quantity,
             "total": format_money(q.total, locale)}
            for q in quote.lines
        ],
        "items": format_money(quote.items, locale),
        "tax": format_money(quote.tax, locale),
        "fees": format_money(quote.fees, locale),
        "has_fees": not quote.fees.is_zero(),
        "bonus": format_money(quote.bonus, locale),
        "has_bonus": not quote.bonus.is_zero(),
        "shipping": format_money(quote.shipping, locale),
        "has_shipping": not quote.shipping.is_zero(),
        "total": format_money(quote.total, locale),
    }


def render_confirmation(
    request: ReturnRequest, order: Order, *, public_base_url: str, store_name: str,
    status_url: str | None = None, send_by: str = "",
) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of a new return's confirmation, in the return's language (the shopper's).

    `status_url`: the signed "Follow your return" link; without it, the plain status address.
    """
    locale = _shopper_locale(request)
    context = confirmation_context(
        request, order, locale=locale, public_base_url=public_base_url, store_name=store_name,
        status_url=status_url, send_by=send_by,
    )
    event = "approved" if request.status == APPROVED else "pending_approval"
    return _rendered(locale, event, "return_requested", context)


def render_money_back(
    request: ReturnRequest, *, amount: Money, balance: Money | None, public_base_url: str, store_name: str,
    status_url: str | None = None, credit_code: str | None = None, expiring: CreditLot | None = None,
    zone: tzinfo | None = None,
) -> tuple[str, str, str]:
    """(subject, plain text, HTML) telling the shopper their money is back: a refund (`balance`
    None) or store credit (the amount includes the bonus; `balance` is the account's new one,
    `credit_code` what they spend it with, `expiring` the credit that expires first, on its day in
    the store's time zone `zone`, as the status page shows it)."""
    locale = _shopper_locale(request)
    credited = balance is not None
    expires_at = expiring.issue.expires_at if expiring is not None else None
    context = {
        **_common(request, locale, public_base_url=public_base_url, store_name=store_name, status_url=status_url),
        "credited": credited,
        "amount": format_money(amount, locale),
        "balance": format_money(balance, locale) if balance is not None else "",
        "credit_code": credit_code or "",
        "expiring_amount": format_money(expiring.remaining, locale) if expiring is not None else "",
        "expiring_on": format_date(expires_at.astimezone(zone or UTC).date(), locale) if expires_at is not None else "",
    }
    return _rendered(locale, "credited" if credited else "refunded", "money_back", context)


def render_cancellation(
    request: ReturnRequest, order: Order, *, public_base_url: str, store_name: str,
    status_url: str | None = None,
) -> tuple[str, str, str]:
    """(subject, plain text, HTML) confirming that the shopper cancelled, in the return's language (the shopper's)."""
    locale = _shopper_locale(request)
    context = {
        **_common(request, locale, public_base_url=public_base_url, store_name=store_name, status_url=status_url),
        "customer_name": order.customer_name,
        "order_number": order.number,
        # The label carries a barcode a carrier would still accept: say plainly it is void.
        "had_label": any(event.kind == "approved" for event in request.events)
        or request.events[0].detail == APPROVED,
    }
    return _rendered(locale, "cancelled", "return_cancelled", context)


def render_expiry(
    request: ReturnRequest, order: Order, *, ship_within_days: int, public_base_url: str, store_name: str,
    status_url: str | None = None,
) -> tuple[str, str, str]:
    """(subject, plain text, HTML) telling the shopper their return expired unsent, in the return's
    language: the parcel did not arrive within `ship_within_days` days of approval."""
    locale = _shopper_locale(request)
    context = {
        **_common(request, locale, public_base_url=public_base_url, store_name=store_name, status_url=status_url),
        "customer_name": order.customer_name,
        "order_number": order.number,
        "days": ship_within_days,
        # A counter-offer left unanswered closed it: no parcel was ever due (issue 18 item 5).
        "offer_expired": request.offer_outcome == "expired",
        # A dearer exchange whose difference was never paid: no parcel was ever due either.
        "payment_lapsed": request.payment_lapsed,
    }
    return _rendered(locale, "expired", "return_expired", context)


def render_ship_reminder(
    request: ReturnRequest, order: Order, *, send_by: str, public_base_url: str, store_name: str,
    status_url: str | None = None,
) -> tuple[str, str, str]:
    """(subject, plain text, HTML) reminding the shopper, in the return's language, to send the
    parcel of their approved return by `send_by` (a formatted date), after which it expires."""
    locale = _shopper_locale(request)
    context = {
        **_common(request, locale, public_base_url=public_base_url, store_name=store_name, status_url=status_url),
        "customer_name": order.customer_name,
        "order_number": order.number,
        "send_by": send_by,
    }
    return _rendered(locale, "ship_reminder", "ship_reminder", context, date=send_by)


def exchange_lines(request: ReturnRequest, order: Order) -> list[dict[str, Any]]:
    """Each exchanged line as the shopper reads it: units, the item sent back (its title and
    options) and the variant sent instead (the replacement order's units: after a partial
    receipt, fewer)."""
    sent = {line.line_id: line for line in request.exchange_order.lines} if request.exchange_order else {}
    rows: list[dict[str, Any]] = []
    for line in request.lines:
        if not line.exchange_for:
            continue
        sold = order.line(line.line_id)
        order_line = sent.get(line.line_id)
        returned = sold.title if sold is not None else (line.sku or line.line_id)
        rows.append({
            "returned": returned,
            # As the pages name it (services/fulfil_exchange.py `variant_words`): "Size L".
            "replacement": ", ".join(f"{n[:1].upper()}{n[1:]} {v}" for n, v in order_line.options)
            if order_line and order_line.options else line.exchange_for,
            "quantity": order_line.quantity if order_line else line.quantity,
        })
    return rows


def render_exchange_notice(
    request: ReturnRequest, order: Order, *, public_base_url: str, store_name: str, status_url: str | None = None,
) -> tuple[str, str, str]:
    """(subject, plain text, HTML) telling the shopper, in the return's language, that their
    replacement order was made, or that the replacement ran out and what they get instead."""
    locale = _shopper_locale(request)
    made = request.exchange_order
    context = {
        **_common(request, locale, public_base_url=public_base_url, store_name=store_name, status_url=status_url),
        "customer_name": order.customer_name,
        "order_number": order.number,
        "made": made is not None,
        "number": made.number if made is not None else "",
        "lines": exchange_lines(request, order) if made is not None else [],
        "parcel_received": request.parcel_received,
        "store_credit": request.resolution == "store_credit",
        "amount": format_money(request.quote.total, locale),
    }
    if made is not None:
        return _rendered(locale, "exchange_created", "exchange_notice", context, number=made.number)
    return _rendered(locale, "exchange_unavailable", "exchange_notice", context)


def render_csat_survey(
    request: ReturnRequest, *, rating_urls: tuple[str, ...], public_base_url: str, store_name: str,
) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of the CSAT survey in the return's language: "How was your
    return?" and the five ratings, each a link (`rating_urls`, rating 1 to 5)."""
    locale = _shopper_locale(request)
    words = catalog(locale)
    context = {
        **_common(request, locale, public_base_url=public_base_url, store_name=store_name, status_url=None),
        "declined": request.status == REJECTED,
        "ratings": [
            {"value": rating, "words": words.gettext(RATING_WORDS[rating]), "url": url}
            for rating, url in zip(RATINGS, rating_urls, strict=True)
        ],
        "days": CSAT_LINK_TTL.days,
    }
    return _rendered(locale, "csat_survey", "csat_survey", context)


def mime_message(*, sender: str, sender_name: str, to: str, subject: str, text: str, html: str) -> bytes:
    """A multipart/alternative message (plain text first, HTML preferred), UTF-8 throughout."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = Address(display_name=sender_name, addr_spec=sender)
    message["To"] = to
    message["Message-ID"] = make_msgid(domain=sender.partition("@")[2] or None)
    # base64 bodies and CRLF lines: 7-bit clean, whatever relays the message after SES.
    message.set_content(text, charset="utf-8", cte="base64")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
    return message.as_bytes(policy=SMTP)


def followed_link(status_link: Callable[[ReturnRequest], str] | None, request: ReturnRequest,
                  *, public_base_url: str) -> str:
    """The email's "Follow your return" address: signed when a signer is wired and works.

    Signing needs the stage's key (Secrets Manager); an email without the shortcut still leads
    to the page through the lookup, so a key that can't be read costs the shortcut, not the email.
    """
    if status_link is not None:
        try:
            return status_link(request)
        except (RetourError, RuntimeError, ClientError, BotoCoreError):
            log.exception("could not sign the status link of return %s; the plain address goes", request.rma)
    return plain_status_url(public_base_url, request.rma)


class SESMailer:
    """The shopper's return and money emails through SES (SendRawEmail: one message with both parts)."""

    def __init__(
        self,
        client: Callable[[], Any],
        *,
        sender: str,
        public_base_url: str,
        store_name: str,
        configuration_set: str | None = None,
        status_link: Callable[[ReturnRequest], str] | None = None,
        send_by: SendByDate | None = None,
    ) -> None:
        self._client_factory = client
        # The "send by" date of a return under the policy in force (Deps.send_by_date).
        self._send_by = send_by
        self._client: Any = None
        self._sender = sender
        self._public_base_url = public_base_url
        self._store_name = store_name
        self._configuration_set = configuration_set
        # The signed "Follow your return" address (services/status_links.py), made at send time.
        self._status_link = status_link

    def _status_url(self, request: ReturnRequest) -> str:
        return followed_link(self._status_link, request, public_base_url=self._public_base_url)

    def return_requested(self, request: ReturnRequest, order: Order) -> None:
        subject, text, html = render_confirmation(
            request, order, public_base_url=self._public_base_url, store_name=self._store_name,
            status_url=self._status_url(request),
            send_by=send_by_text(self._send_by, request, _shopper_locale(request)),
        )
        self._send(order.email.strip(), subject, text, html, rma=request.rma)

    def return_cancelled(self, request: ReturnRequest, order: Order) -> None:
        subject, text, html = render_cancellation(
            request, order, public_base_url=self._public_base_url, store_name=self._store_name,
            status_url=self._status_url(request),
        )
        self._send(order.email.strip(), subject, text, html, rma=request.rma)

    def return_expired(self, request: ReturnRequest, order: Order, *, ship_within_days: int) -> None:
        subject, text, html = render_expiry(
            request, order, ship_within_days=ship_within_days, public_base_url=self._public_base_url,
            store_name=self._store_name, status_url=self._status_url(request),
        )
        self._send(order.email.strip(), subject, text, html, rma=request.rma)

    def ship_reminder(self, request: ReturnRequest, order: Order, *, send_by: date) -> None:
        locale = _shopper_locale(request)
        subject, text, html = render_ship_reminder(
            request, order, send_by=format_date(send_by, locale), public_base_url=self._public_base_url,
            store_name=self._store_name, status_url=self._status_url(request),
        )
        self._send(order.email.strip(), subject, text, html, rma=request.rma, must_send=True)

    def refund_sent(self, request: ReturnRequest) -> None:
        amount = request.refund.amount if request.refund is not None else request.quote.refund_value
        subject, text, html = render_money_back(
            request, amount=amount, balance=None, public_base_url=self._public_base_url,
            store_name=self._store_name, status_url=self._status_url(request),
        )
        self._send(request.customer_email.strip(), subject, text, html, rma=request.rma)

    def credit_issued(self, request: ReturnRequest, *, balance: Money, code: str | None = None,
                      expiring: CreditLot | None = None, zone: tzinfo | None = None) -> None:
        subject, text, html = render_money_back(
            request, amount=request.quote.total, balance=balance, public_base_url=self._public_base_url,
            store_name=self._store_name, status_url=self._status_url(request), credit_code=code, expiring=expiring,
            zone=zone,
        )
        self._send(request.customer_email.strip(), subject, text, html, rma=request.rma)

    def csat_survey(self, request: ReturnRequest, *, rating_urls: tuple[str, ...]) -> None:
        subject, text, html = render_csat_survey(
            request, rating_urls=rating_urls, public_base_url=self._public_base_url, store_name=self._store_name,
        )
        self._send(request.customer_email.strip(), subject, text, html, rma=request.rma, must_send=True)

    def exchange_created(self, request: ReturnRequest, order: Order) -> None:
        self._exchange_notice(request, order)

    def exchange_unavailable(self, request: ReturnRequest, order: Order) -> None:
        self._exchange_notice(request, order)

    def _exchange_notice(self, request: ReturnRequest, order: Order) -> None:
        subject, text, html = render_exchange_notice(
            request, order, public_base_url=self._public_base_url, store_name=self._store_name,
            status_url=self._status_url(request),
        )
        self._send(order.email.strip(), subject, text, html, rma=request.rma)

    def _send(self, to: str, subject: str, text: str, html: str, *, rma: str, must_send: bool = False) -> None:
        raw = mime_message(
            sender=self._sender, sender_name=self._store_name, to=to, subject=subject,
            text=text, html=html,
        )
        # No Destinations: SES then sends to the message's own To, so the two cannot disagree.
        options: dict[str, Any] = {"Source": self._sender, "RawMessage": {"Data": raw}}
        if self._configuration_set:
            options["ConfigurationSetName"] = self._configuration_set
        if self._client is None:
            self._client = self._client_factory()
        try:
            self._client.send_raw_email(**options)
        except (ClientError, BotoCoreError) as error:
            if must_send:
                # The caller (the survey or reminder job) counts it failed; the survey job gives
                # its claim back and tries again later.
                raise SurveyNotSentError(f"could not email the shopper about return {rma}") from error
            # The return is stored and its status page works; a lost email must not turn
            # into an error that makes the shopper request the same return again.
            log.exception("could not email the shopper about return %s", rma)
