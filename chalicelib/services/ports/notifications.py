"""Emails to the two people a return concerns: one notifier per recipient."""

from __future__ import annotations

from datetime import date, tzinfo
from typing import Protocol

from ...domain.approvals import ApprovalRequest
from ...domain.money import Money
from ...domain.order import Order
from ...domain.return_request import ReturnRequest
from ...domain.store_credit import CreditLot


class ShopperNotifier(Protocol):
    """Tells the shopper about their return (email), in the return's language (the shopper's)."""

    def return_requested(self, request: ReturnRequest, order: Order) -> None:
        """The confirmation of a new return: RMA, quote, next steps, status page link."""
        ...

    def return_cancelled(self, request: ReturnRequest, order: Order) -> None:
        """The confirmation that the shopper cancelled the return: nothing to send, label void."""
        ...

    def return_expired(self, request: ReturnRequest, order: Order, *, ship_within_days: int) -> None:
        """The parcel did not arrive within `ship_within_days` days of approval: the return
        expired, its label no longer works, and a new return can be started while the items are
        still returnable. A counter-offer left unanswered expires too (`ship_within_days` 0, the
        return's `offer_outcome` "expired"): the email says the offer expired instead."""
        ...

    def ship_reminder(self, request: ReturnRequest, order: Order, *, send_by: date) -> None:
        """A few days before the approved return's send-by date: send the parcel by `send_by`
        (the store's calendar day), else the return expires. Raises a RetourError when the email
        could not be handed to the mail service."""
        ...

    def return_decided(self, request: ReturnRequest, order: Order, *, note: str, counter_terms: str) -> None:
        """What the merchant decided: approved (with the label link), approved on counter-terms
        (the new quote), or denied."""
        ...

    def refund_sent(self, request: ReturnRequest) -> None:
        """Stripe accepted the refund: its amount, and that banks take 5-10 days."""
        ...

    def credit_issued(self, request: ReturnRequest, *, balance: Money, code: str | None = None,
                      expiring: CreditLot | None = None, zone: tzinfo | None = None) -> None:
        """Store credit was issued: the amount (bonus included), the account's balance, the code
        the shopper spends it with, and the credit that expires first (if any has a date; its day
        as the store's time zone `zone` counts it)."""
        ...

    def csat_survey(self, request: ReturnRequest, *, rating_urls: tuple[str, ...]) -> None:
        """A day after the return resolved: "How was your return?" and five ratings, each a link
        (`rating_urls`, rating 1 to 5). Raises SurveyNotSentError when the email could not be
        handed to the mail service, so the caller can try again later."""
        ...

    def exchange_created(self, request: ReturnRequest, order: Order) -> None:
        """The exchange's replacement order was made: what is sent instead of what, its number,
        and the status page link."""
        ...

    def exchange_unavailable(self, request: ReturnRequest, order: Order) -> None:
        """The replacement ran out of stock before it could be sent: the return is paid back
        instead (its resolution and quote now say how much, as a refund or store credit)."""
        ...


class MerchantNotifier(Protocol):
    """Tells the merchant what needs them (email), in the merchant's language."""

    def approval_requested(self, approval: ApprovalRequest, *, to: str) -> None:
        """An exception: the request, why it is one, the quote, and the Approve / Deny links."""
        ...

    def approval_digest(self, approvals: tuple[ApprovalRequest, ...], *, to: str) -> None:
        """One email for several requests of one order: each as in `approval_requested`, with
        its own links."""
        ...

    def refund_failed(self, request: ReturnRequest, *, to: str, reason: str) -> None:
        """Stripe refused (or later failed) the refund: the merchant retries or pays otherwise."""
        ...

    def refund_held(self, request: ReturnRequest, *, to: str, reason: str) -> None:
        """The refund waits (a disputed charge): nothing was paid; it goes when the dispute closes."""
        ...

    def difference_refund_refused(self, request: ReturnRequest, *, to: str, reason: str) -> None:
        """Stripe refused to pay back a dearer exchange's paid difference (the exchange did not
        happen): nothing went back yet; it is tried again, and the merchant may refund by hand."""
        ...

    def offer_answered(self, request: ReturnRequest, *, to: str, accepted: bool) -> None:
        """The shopper accepted (the return is approved on the offer) or declined (closed, nothing
        paid, the items free again) the merchant's counter-offer."""
        ...

    def exchange_unreturned(self, request: ReturnRequest, *, to: str) -> None:
        """An exchange expired without its parcel after its replacement order was made: the store
        may hold the replacement or ask the shopper for the items."""
        ...

    def exchange_created(self, request: ReturnRequest, *, to: str) -> None:
        """A replacement order to ship: its number, the variants and units, the shopper's address
        being the order's (the store's own system holds it)."""
        ...
