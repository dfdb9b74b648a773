"""The ports use cases talk through: Protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

# The value objects and action constants live in domain/ now; imported here under their own
# names only until the callers import them from there.
from ..domain.approvals import ACTIONS as ACTIONS
from ..domain.approvals import APPROVE as APPROVE
from ..domain.approvals import APPROVE_FEE as APPROVE_FEE
from ..domain.approvals import APPROVE_STORE_CREDIT as APPROVE_STORE_CREDIT
from ..domain.approvals import REJECT as REJECT
from ..domain.approvals import ApprovalLink as ApprovalLink
from ..domain.approvals import ApprovalRequest as ApprovalRequest
from ..domain.approvals import ExceptionDigest as ExceptionDigest
from ..domain.approvals import LineException as LineException
from ..domain.money import Money
from ..domain.order import Order
from ..domain.policy import Policy
from ..domain.refunds import GatewayRefund as GatewayRefund
from ..domain.refunds import PaymentLedgerState as PaymentLedgerState
from ..domain.reservations import ReturnedUnits as ReturnedUnits
from ..domain.return_limits import CreationLimits as CreationLimits
from ..domain.return_limits import CustomerCapReachedError as CustomerCapReachedError
from ..domain.return_limits import OrderDayLimitReachedError as OrderDayLimitReachedError
from ..domain.return_request import ReturnRequest

if TYPE_CHECKING:  # annotations only: a cold lookup need not import them
    from ..domain.store_credit import CreditLot, Redemption, StoreCreditAccount
    from .label_document import LabelDocument, LabelSize


class Clock(Protocol):
    """Tells the time; injected so that rules about dates can be tested."""

    def now(self) -> datetime: ...


class OrderRepository(Protocol):
    """Stored orders, each saved with a conditional write on its version."""

    def get(self, number: str, *, consistent: bool = False) -> Order | None:
        """The order with this number, or None.

        An eventually consistent read (half the cost) unless `consistent`: an order changes only
        when the storefront imports it again, and the writes that depend on its version (the
        import, the admin API) ask for a consistent read.
        """
        ...

    def get_with_units(self, number: str) -> tuple[Order | None, ReturnedUnits | None]:
        """The order (eventually consistent, as `get`) and, when the store holds them beside it,
        its lines' returned units (ReturnHistory.units_of_order) read in the same call: one read
        instead of two on the lookup and creation paths. None for the units: ask ReturnHistory."""
        ...

    def save(self, order: Order, *, now: datetime) -> Order:
        """Store `order` and return it with its new version.

        `order.version` is the version it was read at (0: new). Raises StaleWriteError when the
        stored version is not that one any more (or, for a new order, when one now exists).
        """
        ...

    def recent(self, limit: int, *, now: datetime) -> list[Order]:
        """Up to `limit` orders placed in the month of `now` or before, newest first.

        Walks the store's months backwards from `now`'s and stops after a long run of months
        without orders, so a sparse store costs a bounded number of reads, never a Scan.
        """
        ...

    def paid_by(self, payment_intent: str) -> list[Order]:
        """The orders whose stored payment is this PaymentIntent now, by number ([] if none).

        Through an index written with the order itself (a re-import that changes the
        PaymentIntent moves the entry), never a Scan; each hit is read again consistently, so an
        order that has just moved to another PaymentIntent is not returned. Usually one order,
        but nothing stops a storefront from importing two orders paid by one PaymentIntent.
        An order written a moment ago may not be found yet (the index lags its writes).
        """
        ...


class PolicyRepository(Protocol):
    """The store's policy history: immutable versions and a pointer to the current one."""

    def current(self, *, consistent: bool = True) -> Policy:
        """The policy in force: the latest stored version, or DEFAULT_POLICY (version 0).

        Consistent by default: a policy change must show in the very next lookup. Paths that
        only read a setting after the return was judged (the refund trigger at a receipt) may
        take an eventually consistent read.
        """
        ...

    def save(self, policy: Policy, *, expected_version: int, now: datetime) -> Policy:
        """Store `policy` as version `expected_version + 1` and make it current; return it.

        Raises StaleWriteError when the current version is no longer `expected_version`;
        then nothing is written.
        """
        ...

    def get_version(self, version: int) -> Policy | None:
        """Stored version `version`, or None (the built-in default is never stored)."""
        ...

    def versions(self) -> list[Policy]:
        """Every stored version, newest first."""
        ...




class ReturnHistory(Protocol):
    """What earlier returns mean for judging a line (filled in by the returns feature)."""

    def units_of_order(self, order_number: str) -> ReturnedUnits:
        """Units per line of the order already returned or in an open return.

        May be a moment stale (an eventually consistent read): it informs the verdicts, while the
        create transaction's condition on the reservations is what keeps a unit from being
        returned twice.
        """
        ...

    def customer_returns_90d(self, email: str, *, now: datetime) -> int:
        """Returns the shopper (normalised email) started in the 90 days before `now`."""
        ...


class TokenSigner(Protocol):
    """Short-lived bearer tokens bound to one subject and one purpose."""

    def issue(self, subject: str, *, purpose: str, now: datetime, ttl: timedelta) -> str:
        """A signed token for `subject` that is valid for `purpose` until `now + ttl`."""
        ...

    def verify(self, token: str, *, purpose: str, now: datetime) -> str:
        """The subject of a genuine, unexpired `token` for `purpose`; else AuthenticationError."""
        ...








class ReturnRepository(Protocol):
    """Stored returns with their timelines; every write is conditional."""

    def create(self, request: ReturnRequest, *, line_quantities: Mapping[str, int], now: datetime,
               limits: CreationLimits | None = None) -> ReturnRequest:
        """Store a new return, its first event and a reservation of its units, all or nothing.

        `line_quantities` are the order's units per line id: no line may ever hold more
        reserved units than that. Raises ConflictError (nothing written) when another return
        reserved some of the units first, or when the RMA is taken. With `limits`, the same
        transaction counts the return for its shopper and its order's day: CustomerCapReachedError
        for an approved return over the shopper's cap, OrderDayLimitReachedError past the order's
        daily limit (nothing written either way).
        """
        ...

    def get(self, rma: str, *, consistent: bool = True) -> ReturnRequest | None:
        """The return with this RMA and its whole timeline, or None.

        `consistent=False` reads at half the cost and may answer a copy from before the latest
        writes (or None for a return created a moment ago): only for callers whose next write is
        conditional on the version they read, or who check a doubtful answer again consistently.
        """
        ...

    def of_order(self, order_number: str) -> list[ReturnRequest]:
        """Every return of one order, oldest first (without their timelines)."""
        ...

    def save(self, request: ReturnRequest, *, new_events: int, now: datetime) -> ReturnRequest:
        """Store a status move read at `request.version`, appending its last `new_events` events.

        Raises StaleWriteError when the stored version is no longer that one.
        """
        ...


class RandomBits(Protocol):
    """Unguessable random numbers (the RMA's 40 bits)."""

    def bits(self, count: int) -> int:
        """A uniformly random integer of `count` bits."""
        ...


class RateCounter(Protocol):
    """Fixed-window counters that expire by themselves."""

    def hit(self, scope: str, key: str, *, window_start: datetime, window: timedelta) -> int:
        """Count one more hit of `key` in the window starting at `window_start`; the new count."""
        ...

    def count(self, scope: str, key: str, *, window_start: datetime) -> int:
        """The hits of `key` counted so far in the window starting at `window_start` (0 if none)."""
        ...


class ShopperNotifier(Protocol):
    """Tells the shopper about their return (email), in the order's language."""

    def return_requested(self, request: ReturnRequest, order: Order) -> None:
        """The confirmation of a new return: RMA, quote, next steps, status page link."""
        ...

    def return_cancelled(self, request: ReturnRequest, order: Order) -> None:
        """The confirmation that the shopper cancelled the return: nothing to send, label void."""
        ...

    def return_expired(self, request: ReturnRequest, order: Order, *, ship_within_days: int) -> None:
        """The parcel did not arrive within `ship_within_days` days of approval: the return
        expired, its label no longer works, and a new return can be started while the items are
        still returnable."""
        ...


class LabelStore(Protocol):
    """Private storage of rendered label PDFs, handed out as short-lived download links."""

    def exists(self, key: str) -> bool:
        """True when a PDF is stored under `key`."""
        ...

    def put_pdf(self, key: str, pdf: bytes) -> None:
        """Store `pdf` under `key` (encrypted at rest), replacing any earlier one."""
        ...

    def presigned_url(self, key: str, *, expires_in: timedelta) -> str:
        """A GET link to the PDF under `key` that stops working after `expires_in`."""
        ...


class LabelRenderer(Protocol):
    """Draws a label document as a PDF of one of the label sizes."""

    def __call__(self, document: LabelDocument, size: LabelSize) -> bytes: ...


# --- Money back (issue 7) -------------------------------------------------------------------




class PaymentGateway(Protocol):
    """Refunds on the provider (Stripe), keyed so that a retry never pays twice."""

    def refund(
        self, *, payment_intent: str, amount: Money, idempotency_key: str, rma: str, attempt: int
    ) -> GatewayRefund:
        """Create (or replay, same key) a refund. RefundDeclinedError: a definite no;
        PaymentGatewayUnavailableError: no answer, the refund may or may not exist."""
        ...

    def refunds_of(self, payment_intent: str) -> list[GatewayRefund]:
        """Every refund made on the PaymentIntent, by anyone."""
        ...

    def order_number_of(self, payment_intent: str) -> str | None:
        """The `order_number` in the PaymentIntent's metadata (disputes carry no order of ours)."""
        ...

    def captured(self, payment_intent: str) -> Money | None:
        """What the PaymentIntent captured, in its currency, refunds not subtracted; None when
        the provider knows no such PaymentIntent. PaymentGatewayUnavailableError: no answer."""
        ...




class PaymentLedger(Protocol):
    """Each order's payment and its remaining refundable amount, moved with the return itself."""

    def ensure(self, order: Order, *, now: datetime) -> None:
        """Create the payment item from the order's total, unless it exists."""
        ...

    def get(self, order_number: str) -> PaymentLedgerState | None:
        ...

    def start_refund(self, request: ReturnRequest, *, new_events: int, now: datetime) -> ReturnRequest:
        """Save the move to refunding and take its amount off the ceiling in one transaction.

        RefundCeilingError when the amount is above what remains; ChargeDisputedError while the
        charge is disputed; StaleWriteError when the return moved meanwhile. Either way nothing
        is written.
        """
        ...

    def fail_refund(self, request: ReturnRequest, *, new_events: int, now: datetime) -> ReturnRequest:
        """Save the move to refund_failed and give its amount back to the ceiling, in one transaction."""
        ...

    def record_outside_refund(self, order_number: str, refund_id: str, amount: Money, *, now: datetime) -> bool:
        """Lower the ceiling by a refund someone else made (once per refund id); False if known."""
        ...

    def open_dispute(self, order: Order, dispute_id: str, *, now: datetime) -> bool:
        """Mark the order's payment disputed (refunds are held); False if this dispute is open or closed already."""
        ...

    def close_dispute(self, order_number: str, dispute_id: str, *, now: datetime) -> bool:
        """Clear the dispute (refunds may go) and remember it closed; False when it was not the open one."""
        ...

    def stuck_refunding(self, *, older_than: datetime) -> list[str]:
        """RMAs of returns in refunding since before `older_than` (gsi2 RETURNS#refunding)."""
        ...


class RefundQueue(Protocol):
    """Refund jobs handed to the worker (SQS), so the request path never calls Stripe."""

    def enqueue(self, rma: str, *, trigger: str) -> None:
        ...


class MerchantNotifier(Protocol):
    """Tells the merchant what needs them (email)."""

    def refund_failed(self, request: ReturnRequest, *, to: str, reason: str) -> None:
        ...

    def refund_held(self, request: ReturnRequest, *, to: str, reason: str) -> None:
        """The refund waits (a disputed charge): nothing was paid; it goes when the dispute closes."""
        ...


class MoneyNotifier(Protocol):
    """Tells the shopper their money is back (email, in the return's language)."""

    def refund_sent(self, request: ReturnRequest) -> None:
        """Stripe accepted the refund: its amount, and that banks take 5-10 days."""
        ...

    def credit_issued(self, request: ReturnRequest, *, balance: Money) -> None:
        """Store credit was issued: the amount (bonus included) and the account's balance."""
        ...


class StoreCreditLedger(Protocol):
    """Store-credit accounts per (email, currency) with append-only entries; never below zero."""

    def credit_return(
        self, request: ReturnRequest, *, amount: Money, new_events: int, now: datetime,
        expires_at: datetime | None = None,
    ) -> ReturnRequest:
        """Issue `amount` for a return and save its move to credited, in one transaction."""
        ...

    def account(self, email: str, currency: str) -> StoreCreditAccount:
        ...

    def redeem(self, email: str, amount: Money, *, idempotency_key: str, now: datetime) -> Redemption:
        """Spend `amount` once per key; the same key replays its first result.

        InsufficientCreditError when the spendable balance (expired credit left out) is lower
        (nothing written).
        """
        ...

    def expiring_accounts(self, *, before: datetime) -> list[tuple[str, str]]:
        """(email, currency) of accounts holding an issue that expired before `before`, not yet written off."""
        ...

    def expire(self, account: StoreCreditAccount, lot: CreditLot, *, now: datetime) -> None:
        """Write off what is left of `lot`: the expire entry and the balance change in one
        transaction, conditioned on the balance read in `account` (StaleWriteError if it moved)."""
        ...


class StoredEvents(Protocol):
    """Provider events already applied (webhook deliveries repeat)."""

    def first_time(self, event_id: str, *, now: datetime) -> bool:
        """Record `event_id`; False when it was recorded before."""
        ...

    def forget(self, event_id: str) -> None:
        """Drop the record again (applying the event failed; Stripe will deliver it again)."""
        ...


# --- merchant approvals (issue 8) ---------------------------------------------------------------





class ApprovalLinkStore(Protocol):
    """Approval links by token hash, and the once-only reminder marks."""

    def put(self, link: ApprovalLink) -> None:
        """Store a new link (a hash seen before is refused: 256 random bits never repeat)."""
        ...

    def get(self, token_hash: str) -> ApprovalLink | None:
        """The link stored under `token_hash`, or None (unknown, or removed by its TTL)."""
        ...

    def mark_reminded(self, rma: str, *, at: datetime, keep_until: datetime) -> bool:
        """Record that the merchant was reminded of `rma`; False when someone already did."""
        ...


@dataclass(frozen=True, slots=True)
class ReturnsPage:
    """One page of a listing and the opaque cursor of the next (None: the last page)."""

    returns: tuple[ReturnRequest, ...]
    cursor: str | None


class ReturnListings(Protocol):
    """Returns by status, by order and by shopper, through indexes (never a Scan)."""

    def with_status(self, status: str, *, newest_first: bool, limit: int, cursor: str | None) -> ReturnsPage:
        """Returns now in `status`, by the time they entered it. ValidationError for a bad cursor."""
        ...

    def of_customer(self, email: str, *, limit: int) -> list[ReturnRequest]:
        """The shopper's latest returns across all orders, newest first (without timelines)."""
        ...

    def by_order(self, order_number: str, *, limit: int, cursor: str | None) -> ReturnsPage:
        """A page of one order's returns, newest first (without timelines). ValidationError for a bad cursor."""
        ...

    def by_customer(self, email: str, *, limit: int, cursor: str | None) -> ReturnsPage:
        """A page of one shopper's returns across orders, newest first (without timelines).

        `email` in the form returns store it (services: `normalize_email`). ValidationError for a
        bad cursor.
        """
        ...


class ReturnReports(Protocol):
    """What the returns report reads: returns by the status they reached and when, and how many
    wait in a status; through the status index, never a Scan."""

    def reached_between(self, status: str, *, since: datetime, until: datetime) -> Iterator[ReturnRequest]:
        """Returns now in `status` that moved last at or after `since` and before `until`, oldest
        first, without timelines; read page by page as the caller iterates."""
        ...

    def count_in(self, status: str) -> int:
        """How many returns are in `status` now."""
        ...






class ApprovalNotifier(Protocol):
    """Emails the merchant about exceptions, in the merchant's language."""

    def approval_requested(self, approval: ApprovalRequest, *, to: str) -> None:
        """The request, why it is an exception, the quote, and the Approve / Deny links."""
        ...

    def approval_digest(self, approvals: tuple[ApprovalRequest, ...], *, to: str) -> None:
        """One email for several requests of one order: each as in `approval_requested`, with
        its own links."""
        ...




class ExceptionDigests(Protocol):
    """The merchant's exception emails per order and day: the first at once, later ones in a
    digest sent once the day is over (jobs/exception_digests.py)."""

    def record(self, order_number: str, day: date, rma: str, *, now: datetime) -> bool:
        """Count exception `rma` of the order on `day` (the store's date); True when it is the
        day's first (or its digest is already sent): email the merchant now. Atomic: of two
        requests at once exactly one is first."""
        ...

    def due(self, day: date) -> list[ExceptionDigest]:
        """The digests of `day` not sent yet, each with the requests after the day's first
        (by key: one Query, never a Scan)."""
        ...

    def claim(self, order_number: str, day: date, *, now: datetime) -> bool:
        """Mark the digest sent; False when another run claimed it first (then do not send)."""
        ...


class DecisionNotifier(Protocol):
    """Tells the shopper what the merchant decided, in the order's language."""

    def return_decided(self, request: ReturnRequest, order: Order, *, note: str, counter_terms: str) -> None:
        """Approved (with the label link), approved on counter-terms (the new quote), or denied."""
        ...
