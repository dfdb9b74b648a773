"""Use case: the merchant's one-time Approve / Deny links, and the email that carries them.

A link is 256 random bits (`secrets.token_urlsafe(32)`) that exist only in the email; the table
keeps their SHA-256, bound to the RMA, the actions it may take, the approver, a hash of the quote
and the return's version, with an absolute expiry. Opening a link never changes anything (mail
scanners open every link); only the confirm page's POST decides (services/decide_return.py), and
single use comes from the return's status: the decision is a conditional write on
`pending_approval` at the version the link was issued for.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ..domain.approvals import ACTIONS, APPROVE_STORE_CREDIT, ApprovalLink, ApprovalRequest, LineException
from ..domain.eligibility import Verdict, judge_line
from ..domain.errors import ConflictError, ForbiddenError, NotFoundError, StaleWriteError
from ..domain.order import Order
from ..domain.policy import DEFAULT_POLICY, Policy
from ..domain.return_photos import photo_lines
from ..domain.return_request import PENDING_APPROVAL, ReturnRequest
from .ports.approvals import ApprovalLinkStore, ExceptionDigests
from .ports.notifications import MerchantNotifier
from .ports.orders import OrderRepository
from .ports.policy import PolicyRepository
from .ports.returns import ReturnHistory, ReturnListings, ReturnRepository
from .ports.system import Clock

log = logging.getLogger("retour.approvals")

TOKEN_BYTES = 32
# Lambdas' clocks differ by a little: a link stays good this long past its expiry.
CLOCK_SKEW_LEEWAY = timedelta(minutes=2)
LINK_PATH = "/merchant/approvals/"
# token_urlsafe(32): 43 characters of the URL-safe base64 alphabet, nothing else.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")
EARLIER_RETURNS_SHOWN = 10


class ApprovalLinkInvalidError(ForbiddenError):
    """A token we never issued (tampered, truncated, made up)."""

    code = "approval_link_invalid"


class ApprovalLinkExpiredError(ForbiddenError):
    """A genuine link past its expiry; a fresh one comes from the admin API or a reminder."""

    code = "approval_link_expired"


class ApprovalLinkOutdatedError(ConflictError):
    """The return changed since the link was issued (its version or quote): a newer email rules."""

    code = "approval_link_outdated"


class ApprovalLinkDeps(Protocol):
    """What issuing and reading approval links needs."""

    @property
    def returns(self) -> ReturnRepository: ...
    @property
    def orders(self) -> OrderRepository: ...
    @property
    def policies(self) -> PolicyRepository: ...
    @property
    def return_history(self) -> ReturnHistory: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def approval_links(self) -> ApprovalLinkStore: ...
    @property
    def listings(self) -> ReturnListings: ...
    @property
    def merchant_notifier(self) -> MerchantNotifier: ...
    @property
    def public_base_url(self) -> str: ...


class NotifyMerchantDeps(ApprovalLinkDeps, Protocol):
    """What emailing the merchant about a new exception needs: the day's digests too."""

    @property
    def exception_digests(self) -> ExceptionDigests: ...


@dataclass(frozen=True, slots=True)
class Judgement:
    """What a new return was judged with: the policy and each line's verdict (by line id)."""

    policy: Policy
    verdicts: Mapping[str, Verdict]


@dataclass(frozen=True, slots=True)
class OpenedLink:
    """A genuine link and the return it is about (read only: nothing was written)."""

    link: ApprovalLink
    request: ReturnRequest


def token_hash(token: str) -> str:
    """What the table keeps of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def quote_hash(request: ReturnRequest) -> str:
    """A fingerprint of exactly what the merchant was shown: resolution and every amount."""
    quote = request.quote
    amounts = quote.amounts()
    if quote.shipping.is_zero():
        # Links issued before the original shipping could be refunded stay valid.
        del amounts["shipping"]
    shown = {
        "resolution": request.resolution,
        "amounts": amounts,
        "lines": [[q.line_id, q.quantity, q.reason, q.items.minor, q.tax.minor, q.fees.minor,
                   q.bonus.minor, q.total.minor] for q in quote.lines],
    }
    return hashlib.sha256(json.dumps(shown, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def actions_for(request: ReturnRequest) -> tuple[str, ...]:
    """The actions a link for `request` offers (store credit only is no counter-offer to credit)."""
    if request.resolution == "store_credit":
        return tuple(a for a in ACTIONS if a != APPROVE_STORE_CREDIT)
    return ACTIONS


def link_url(public_base_url: str, token: str, action: str) -> str:
    """The absolute address of the confirm page for `token`, with `action` chosen."""
    return f"{public_base_url.rstrip('/')}{LINK_PATH}{token}?action={action}"


def policy_of(policies: PolicyRepository, request: ReturnRequest) -> Policy:
    """The policy version `request` was judged by (the built-in default for version 0)."""
    if request.policy_version == 0:
        return DEFAULT_POLICY
    return policies.get_version(request.policy_version) or policies.current()


def issue_approval_link(deps: ApprovalLinkDeps, request: ReturnRequest, *, approver: str,
                        policy: Policy, now: datetime) -> tuple[str, ApprovalLink]:
    """A new token for `request` and what is stored of it; the token itself is never stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = ApprovalLink(
        token_hash=token_hash(token), rma=request.rma, actions=actions_for(request),
        approver=approver, quote_hash=quote_hash(request), return_version=request.decision_version,
        issued_at=now, expires_at=now + timedelta(hours=policy.approval_link_ttl_hours),
    )
    deps.approval_links.put(link)
    return token, link


def request_approval(deps: ApprovalLinkDeps, request: ReturnRequest, order: Order | None = None, *,
                     reminder: bool = False, judged: Judgement | None = None) -> ApprovalLink:
    """Issue a fresh link for a pending return and email it to the policy's merchant address.

    `judged`: the policy and verdicts the return was just created with, when the caller holds
    them (a new return): nothing is read twice. Raises ConflictError when the return is no
    longer pending, NotFoundError without its order.
    """
    policy = judged.policy if judged is not None else deps.policies.current()
    approval, link = approval_of(deps, request, order, policy=policy, reminder=reminder, judged=judged)
    deps.merchant_notifier.approval_requested(approval, to=policy.merchant_email)
    return link


def resend_approval_email(deps: ApprovalLinkDeps, rma: str, *, actor: str, source_ip: str = "") -> ApprovalLink:
    """Email the merchant a fresh link at a staff member's request, and record who asked.

    ConflictError (`not_pending_approval`) once the return is decided or cancelled; nothing is
    sent then. The record is a conditional write after the email (a lost race is read again).
    """
    request = deps.returns.get(rma)
    if request is None:
        raise NotFoundError("We couldn't find that return.", code="return_not_found")
    link = request_approval(deps, request)
    for _ in range(3):
        try:
            deps.returns.save(request.record_approval_resent(at=deps.clock.now(), actor=actor, source_ip=source_ip),
                              new_events=1, now=deps.clock.now())
            break
        except StaleWriteError:
            current = deps.returns.get(rma)
            if current is None or current.status != PENDING_APPROVAL:
                break  # decided meanwhile: the email's links say so themselves
            request = current
    return link


def approval_of(deps: ApprovalLinkDeps, request: ReturnRequest, order: Order | None = None, *,
                policy: Policy, reminder: bool = False,
                judged: Judgement | None = None) -> tuple[ApprovalRequest, ApprovalLink]:
    """What the merchant's email shows of a pending return, with a fresh link issued for it."""
    if request.status != PENDING_APPROVAL:
        raise ConflictError(f"return {request.rma} is {request.status}, not awaiting a decision",
                            code="not_pending_approval")
    if order is None:
        order = deps.orders.get(request.order_number)
        if order is None:
            raise NotFoundError("We couldn't find that return's order.", code="order_not_found")
    now = deps.clock.now()
    token, link = issue_approval_link(deps, request, approver=policy.merchant_email, policy=policy, now=now)
    earlier = tuple(
        r for r in deps.listings.of_customer(order.customer_email, limit=EARLIER_RETURNS_SHOWN + 1)
        if r.rma != request.rma
    )[:EARLIER_RETURNS_SHOWN]
    approval = ApprovalRequest(
        request=request, order=order,
        lines=line_exceptions(deps, request, order, verdicts=judged.verdicts if judged is not None else None),
        earlier_returns=earlier,
        links=tuple((action, link_url(deps.public_base_url, token, action)) for action in link.actions),
        expires_at=link.expires_at, sent_at=now, reminder=reminder,
    )
    return approval, link


def notify_merchant(deps: NotifyMerchantDeps, request: ReturnRequest, order: Order, *,
                    judged: Judgement | None = None) -> None:
    """After a new return is stored: email the merchant when it awaits a decision.

    The order's first exception of the day is emailed at once; later ones that day wait for the
    day's digest (services/exception_digests.py), so a shopper cannot flood the merchant's inbox.
    Never raises: the return is stored and the shopper told; a lost merchant email is logged
    and made good by the reminder job or a fresh link from the admin API.
    """
    if request.status != PENDING_APPROVAL:
        return
    try:
        policy = judged.policy if judged is not None else deps.policies.current()
        day = request.created_at.astimezone(policy.zone).date()
        if not deps.exception_digests.record(order.number, day, request.rma, now=deps.clock.now()):
            log.info("return %s waits for the merchant's digest of order %s on %s", request.rma, order.number, day)
            return
        request_approval(deps, request, order, judged=judged)
    except Exception:  # noqa: BLE001 - the boundary of a stored return, see the docstring
        log.exception("could not email the merchant about return %s", request.rma)


def open_link(deps: ApprovalLinkDeps, token: str) -> OpenedLink:
    """The link and its return, for a token as presented; ApprovalLinkInvalidError if not ours."""
    # fullmatch: `$` of match() also matches before a trailing newline.
    if not _TOKEN_SHAPE.fullmatch(token):
        raise ApprovalLinkInvalidError("This link is not valid.")
    link = deps.approval_links.get(token_hash(token))
    if link is None:
        raise ApprovalLinkInvalidError("This link is not valid.")
    request = deps.returns.get(link.rma)
    if request is None:
        raise ApprovalLinkInvalidError("This link is not valid.")
    return OpenedLink(link, request)


def check_link_usable(opened: OpenedLink, *, now: datetime) -> None:
    """Raise when a pending return's link can't decide: expired, or issued for an older state."""
    link, request = opened.link, opened.request
    if now > link.expires_at + CLOCK_SKEW_LEEWAY:
        raise ApprovalLinkExpiredError("This link has expired.")
    # Moves only: a staff note since the email does not outdate it (domain decision_version).
    if request.decision_version != link.return_version or quote_hash(request) != link.quote_hash:
        raise ApprovalLinkOutdatedError("This return changed after the email was sent; use the newest email.")


def line_exceptions(deps: ApprovalLinkDeps, request: ReturnRequest, order: Order, *,
                    verdicts: Mapping[str, Verdict] | None = None) -> tuple[LineException, ...]:
    """Why each chosen line needed the merchant, judged as at the request with its own policy.

    `verdicts`: the lines' verdicts from the request itself, when the caller holds them (a
    return just created); otherwise the lines are judged again as the shopper was judged.
    """
    if verdicts is None:
        verdicts = _judged_again(deps, request, order)
    # photos: the email says which lines may still get photos (the approval page shows them).
    photo_lines_ = set(photo_lines(request, policy_of(deps.policies, request)))
    totals = {q.line_id: q.total for q in request.quote.lines}
    found: list[LineException] = []
    for line in request.lines:
        ordered = order.line(line.line_id)
        exception, days_late, last_day, limit = "", None, None, None
        verdict = verdicts.get(line.line_id)
        if ordered is not None and verdict is not None:
            params = verdict.message_params
            if verdict.status != "returnable":
                exception = verdict.reason_code
            late = params.get("days_late")
            days_late = late if isinstance(late, int) else None
            last_day = verdict.returnable_until
            cap = params.get("limit")
            limit = cap if isinstance(cap, int) else None
        found.append(LineException(
            line_id=line.line_id, title=ordered.title if ordered else line.line_id,
            sku=ordered.sku if ordered else "", quantity=line.quantity, reason=line.reason,
            note=line.note, total=totals[line.line_id], exception=exception,
            days_late=days_late, last_day=last_day, abuse_limit=limit,
            accepts_photos=line.line_id in photo_lines_,
        ))
    return tuple(found)


def _judged_again(deps: ApprovalLinkDeps, request: ReturnRequest, order: Order) -> dict[str, Verdict]:
    """The verdicts of the request's lines as at its creation, with the policy it was judged by."""
    policy = policy_of(deps.policies, request)
    units = deps.return_history.units_of_order(order.number)
    own = request.units if request.is_open else {}
    # The request itself is one of the shopper's returns by now; judge as the shopper was judged.
    earlier_count = max(deps.return_history.customer_returns_90d(order.customer_email, now=request.created_at) - 1, 0)
    verdicts: dict[str, Verdict] = {}
    for line in request.lines:
        ordered = order.line(line.line_id)
        if ordered is not None:
            verdicts[line.line_id] = judge_line(
                order, ordered, policy, now=request.created_at,
                already_returned=units.returned.get(line.line_id, 0),
                in_open_returns=max(units.in_open_returns.get(line.line_id, 0) - own.get(line.line_id, 0), 0),
                customer_returns_90d=earlier_count,
            )
    return verdicts
