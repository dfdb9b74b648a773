"""MerchantNotifier through SES: short plain-text emails about what needs the merchant."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.return_request import ReturnRequest
from .ses_mailer import mime_message

log = logging.getLogger("retour.email")


class SESMerchantMailer:
    """Emails to the merchant (refunds that failed or are held), in English: staff read the admin side in it."""

    def __init__(self, client: Callable[[], Any], *, sender: str, store_name: str, admin_base_url: str) -> None:
        self._client_factory = client
        self._client: Any = None
        self._sender = sender
        self._store_name = store_name
        self._admin_base_url = admin_base_url

    def refund_failed(self, request: ReturnRequest, *, to: str, reason: str) -> None:
        amount = request.refund.amount if request.refund is not None else request.quote.refund_value
        subject = f"Refund failed for return {request.rma}"
        text = (
            f"The refund of return {request.rma} (order {request.order_number}, "
            f"{amount.minor} {amount.currency} in minor units) failed: {reason}.\n\n"
            "Nothing was paid. Retry it with POST /api/v1/admin/returns/"
            f"{request.rma}/retry-refund, or pay it as store credit with "
            f"POST /api/v1/admin/returns/{request.rma}/credit.\n"
        )
        self._send(request, to=to, subject=subject, text=text)

    def refund_held(self, request: ReturnRequest, *, to: str, reason: str) -> None:
        amount = request.refund.amount if request.refund is not None else request.quote.refund_value
        subject = f"Refund held for return {request.rma}: the charge is disputed"
        text = (
            f"The refund of return {request.rma} (order {request.order_number}, "
            f"{amount.minor} {amount.currency} in minor units) is held: {reason}.\n\n"
            "Nothing was paid and the return stays as it is. Answer the dispute in the Stripe "
            "dashboard; when it closes, the held refund is tried again on its own.\n"
        )
        self._send(request, to=to, subject=subject, text=text)

    def _send(self, request: ReturnRequest, *, to: str, subject: str, text: str) -> None:
        html = f"<p>{text.replace(chr(10), '<br>')}</p>"
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
