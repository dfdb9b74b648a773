"""The merchant's refund emails through SES: refunds that failed or are held, in the merchant's language.

Rendered from templates/emails/merchant_refund.{txt,html} by the one Jinja environment of the
merchant's language (adapters/jinja_templates.py: the one catalog, money through Babel, HTML
autoescaped): the reason comes from Stripe or a dispute and reaches the HTML part escaped, like
every other value.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.return_request import ReturnRequest
from ..locales import N_, catalog, locale_or_default
from .babel_formatting import format_date, format_money
from .jinja_templates import environment
from .ses_mailer import mime_message

log = logging.getLogger("retour.email")

SUBJECT_FAILED = N_("Refund failed for return %(rma)s")
SUBJECT_HELD = N_("Refund held for return %(rma)s: the charge is disputed")
SUBJECT_DIFFERENCE = N_("Price difference not paid back for return %(rma)s")
SUBJECT_OFFER_ACCEPTED = N_("Return %(rma)s: the shopper accepted your offer")
SUBJECT_OFFER_DECLINED = N_("Return %(rma)s: the shopper declined your offer")
SUBJECT_EXCHANGE_CREATED = N_("Replacement order %(number)s to ship (return %(rma)s)")
SUBJECT_EXCHANGE_UNRETURNED = N_("Return %(rma)s expired after its replacement order %(number)s was made")

# Why a refund failed or waits, in the merchant's words: our own codes (services/refund_return.py)
# and Stripe's refund failure reasons. Any other code (a Stripe error code, a message) is shown as
# it came, so the merchant can still look it up.
REFUND_PROBLEMS: dict[str, str] = {
    "charge_disputed": N_("The shopper disputed the charge with their bank."),
    "no_payment_intent": N_("The order has no Stripe payment to refund."),
    "exceeds_refundable": N_("The refund is more than what is left to refund on the payment."),
    "lost_or_stolen_card": N_("The card was reported lost or stolen."),
    "expired_or_canceled_card": N_("The card has expired or was cancelled."),
    "charge_for_pending_refund_disputed": N_("The shopper disputed the charge while the refund was pending."),
    "insufficient_funds": N_("The Stripe balance could not cover the refund."),
    "declined": N_("The card's bank declined the refund."),
    "merchant_request": N_("The refund was cancelled in the Stripe dashboard."),
}


def refund_problem(reason: str, locale: str) -> str:
    """Why the refund failed or waits, in `locale`: the words and Stripe's code, or the code alone."""
    message = REFUND_PROBLEMS.get(reason)
    if message is None:
        return reason
    return f"{catalog(locale).gettext(message)} ({reason})"


def render_refund_problem(request: ReturnRequest, *, held: bool, reason: str, locale: str,
                          store_name: str, difference: bool = False) -> tuple[str, str, str]:
    """(subject, text, HTML) of the merchant's email about a failed (or held) refund, in `locale`.

    `difference`: the refund refused was a dearer exchange's paid difference going back."""
    locale = locale_or_default(locale)
    title = SUBJECT_DIFFERENCE if difference else SUBJECT_HELD if held else SUBJECT_FAILED
    subject = catalog(locale).gettext(title) % {"rma": request.rma}
    amount = request.refund.amount if request.refund is not None else request.quote.refund_value
    payment_intent = ""
    if difference and request.payment is not None:
        amount, payment_intent = request.difference_owed_back, request.payment.payment_intent
    context: dict[str, Any] = {
        "lang": locale, "subject": subject, "store_name": store_name, "held": held,
        "difference": difference, "payment_intent": payment_intent,
        "rma": request.rma, "order_number": request.order_number, "amount": format_money(amount, locale),
        "requested_on": format_date(request.created_at.date(), locale),
        "reason": refund_problem(reason, locale),
    }
    env = environment(locale)
    text = env.get_template("emails/merchant_refund.txt").render(context)
    html = env.get_template("emails/merchant_refund.html").render(context)
    return subject, text, html


def render_offer_answer(request: ReturnRequest, *, accepted: bool, locale: str,
                        store_name: str) -> tuple[str, str, str]:
    """(subject, text, HTML) of the merchant's email when the shopper answers a counter-offer."""
    locale = locale_or_default(locale)
    subject = catalog(locale).gettext(SUBJECT_OFFER_ACCEPTED if accepted else SUBJECT_OFFER_DECLINED) % {
        "rma": request.rma}
    context: dict[str, Any] = {
        "lang": locale, "subject": subject, "store_name": store_name, "accepted": accepted,
        "rma": request.rma, "order_number": request.order_number,
        "amount": format_money(request.quote.total, locale),
        "requested_on": format_date(request.created_at.date(), locale),
    }
    env = environment(locale)
    text = env.get_template("emails/merchant_offer.txt").render(context)
    html = env.get_template("emails/merchant_offer.html").render(context)
    return subject, text, html


def render_exchange_created(request: ReturnRequest, *, locale: str, store_name: str,
                            unreturned: bool = False) -> tuple[str, str, str]:
    """(subject, text, HTML) of the merchant's email: a replacement order to ship, line by line.

    `unreturned`: the return expired without its parcel after that order was made."""
    locale = locale_or_default(locale)
    order = request.exchange_order
    assert order is not None, "only a return with its replacement order"
    title = SUBJECT_EXCHANGE_UNRETURNED if unreturned else SUBJECT_EXCHANGE_CREATED
    subject = catalog(locale).gettext(title) % {"number": order.number, "rma": request.rma}
    context: dict[str, Any] = {
        "lang": locale, "subject": subject, "store_name": store_name, "rma": request.rma, "unreturned": unreturned,
        "number": order.number, "order_number": request.order_number,
        "lines": [{"sku": line.sku, "options": ", ".join(value for _, value in line.options),
                   "quantity": line.quantity} for line in order.lines],
        "requested_on": format_date(request.created_at.date(), locale),
    }
    env = environment(locale)
    text = env.get_template("emails/merchant_exchange.txt").render(context)
    html = env.get_template("emails/merchant_exchange.html").render(context)
    return subject, text, html


class SESMerchantMailer:
    """Emails to the merchant about refunds that failed or are held."""

    def __init__(self, client: Callable[[], Any], *, sender: str, store_name: str, admin_base_url: str,
                 merchant_locale: str = "en") -> None:
        self._client_factory = client
        self._client: Any = None
        self._sender = sender
        self._store_name = store_name
        self._admin_base_url = admin_base_url
        self._merchant_locale = merchant_locale

    def refund_failed(self, request: ReturnRequest, *, to: str, reason: str) -> None:
        self._send(request, to=to, held=False, reason=reason)

    def refund_held(self, request: ReturnRequest, *, to: str, reason: str) -> None:
        self._send(request, to=to, held=True, reason=reason)

    def difference_refund_refused(self, request: ReturnRequest, *, to: str, reason: str) -> None:
        self._deliver(request, to, *render_refund_problem(
            request, held=False, reason=reason, locale=self._merchant_locale, store_name=self._store_name,
            difference=True))

    def offer_answered(self, request: ReturnRequest, *, to: str, accepted: bool) -> None:
        self._deliver(request, to, *render_offer_answer(request, accepted=accepted, locale=self._merchant_locale,
                                                         store_name=self._store_name))

    def exchange_created(self, request: ReturnRequest, *, to: str) -> None:
        self._deliver(request, to, *render_exchange_created(request, locale=self._merchant_locale,
                                                             store_name=self._store_name))

    def exchange_unreturned(self, request: ReturnRequest, *, to: str) -> None:
        self._deliver(request, to, *render_exchange_created(request, locale=self._merchant_locale,
                                                             store_name=self._store_name, unreturned=True))

    def _send(self, request: ReturnRequest, *, to: str, held: bool, reason: str) -> None:
        subject, text, html = render_refund_problem(
            request, held=held, reason=reason, locale=self._merchant_locale, store_name=self._store_name,
        )
        self._deliver(request, to, subject, text, html)

    def _deliver(self, request: ReturnRequest, to: str, subject: str, text: str, html: str) -> None:
        raw = mime_message(
            sender=self._sender, sender_name=self._store_name, to=to, subject=subject, text=text, html=html,
        )
        if self._client is None:
            self._client = self._client_factory()
        try:
            self._client.send_raw_email(Source=self._sender, RawMessage={"Data": raw})
        except (ClientError, BotoCoreError):
            # The return shows its state in the admin API; a lost email must not undo that.
            log.exception("could not email the merchant about return %s", request.rma)
