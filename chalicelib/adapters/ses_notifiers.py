"""The shopper's and the merchant's notifiers, over the SES mailers that write their emails.

Each mailer owns the templates and catalogs of its emails (ses_mailer: the shopper's return and
money emails; ses_approvals: exceptions and decisions; ses_merchant_mailer: refund trouble);
the use cases see one notifier per recipient.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the mailers load email, Jinja2 and Babel when built
    from datetime import date, tzinfo

    from ..domain.approvals import ApprovalRequest
    from ..domain.money import Money
    from ..domain.order import Order
    from ..domain.return_request import ReturnRequest
    from ..domain.store_credit import CreditLot
    from .ses_approvals import SESApprovalMailer
    from .ses_mailer import SESMailer
    from .ses_merchant_mailer import SESMerchantMailer


class SESShopperNotifier:
    """ShopperNotifier: the return and money emails, and the merchant's decision."""

    def __init__(self, mailer: SESMailer, approvals: SESApprovalMailer) -> None:
        self._mailer = mailer
        self._approvals = approvals

    def return_requested(self, request: ReturnRequest, order: Order) -> None:
        self._mailer.return_requested(request, order)

    def return_cancelled(self, request: ReturnRequest, order: Order) -> None:
        self._mailer.return_cancelled(request, order)

    def return_expired(self, request: ReturnRequest, order: Order, *, ship_within_days: int) -> None:
        self._mailer.return_expired(request, order, ship_within_days=ship_within_days)

    def ship_reminder(self, request: ReturnRequest, order: Order, *, send_by: date) -> None:
        self._mailer.ship_reminder(request, order, send_by=send_by)

    def return_decided(self, request: ReturnRequest, order: Order, *, note: str, counter_terms: str) -> None:
        self._approvals.return_decided(request, order, note=note, counter_terms=counter_terms)

    def refund_sent(self, request: ReturnRequest) -> None:
        self._mailer.refund_sent(request)

    def credit_issued(self, request: ReturnRequest, *, balance: Money, code: str | None = None,
                      expiring: CreditLot | None = None, zone: tzinfo | None = None) -> None:
        self._mailer.credit_issued(request, balance=balance, code=code, expiring=expiring, zone=zone)

    def csat_survey(self, request: ReturnRequest, *, rating_urls: tuple[str, ...]) -> None:
        self._mailer.csat_survey(request, rating_urls=rating_urls)


    def exchange_created(self, request: ReturnRequest, order: Order) -> None:
        self._mailer.exchange_created(request, order)

    def exchange_unavailable(self, request: ReturnRequest, order: Order) -> None:
        self._mailer.exchange_unavailable(request, order)


class SESMerchantNotifier:
    """MerchantNotifier: exceptions to decide (at once or in a digest) and refunds in trouble."""

    def __init__(self, mailer: SESMerchantMailer, approvals: SESApprovalMailer) -> None:
        self._mailer = mailer
        self._approvals = approvals

    def approval_requested(self, approval: ApprovalRequest, *, to: str) -> None:
        self._approvals.approval_requested(approval, to=to)

    def approval_digest(self, approvals: tuple[ApprovalRequest, ...], *, to: str) -> None:
        self._approvals.approval_digest(approvals, to=to)

    def refund_failed(self, request: ReturnRequest, *, to: str, reason: str) -> None:
        self._mailer.refund_failed(request, to=to, reason=reason)

    def refund_held(self, request: ReturnRequest, *, to: str, reason: str) -> None:
        self._mailer.refund_held(request, to=to, reason=reason)

    def difference_refund_refused(self, request: ReturnRequest, *, to: str, reason: str) -> None:
        self._mailer.difference_refund_refused(request, to=to, reason=reason)

    def exchange_created(self, request: ReturnRequest, *, to: str) -> None:
        self._mailer.exchange_created(request, to=to)

    def exchange_unreturned(self, request: ReturnRequest, *, to: str) -> None:
        self._mailer.exchange_unreturned(request, to=to)

    def offer_answered(self, request: ReturnRequest, *, to: str, accepted: bool) -> None:
        self._mailer.offer_answered(request, to=to, accepted=accepted)
