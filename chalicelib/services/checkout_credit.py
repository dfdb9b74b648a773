"""Use cases: store credit at Stripe Checkout, for stores that sell through it.

The credit is offered as a single-use promotion code (the shopper's credit code itself, so they
type the code they were sent) for the spendable balance. Whenever the balance moves the code is
made again for what is left: the old one deactivated first, then a new Coupon and promotion code
under the next generation's idempotency key (with the amount it is made for). A spend at
Checkout arrives as `checkout.session.completed`; it is recorded in the ledger as a redeem keyed by the session and
the promotion code (`stripe-checkout-{session}-{promotion}`), so a repeated or late delivery
records nothing more.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, Protocol

from ..domain.errors import ConflictError, StaleWriteError
from ..domain.money import Money
from ..domain.refunds import PaymentGatewayUnavailableError
from ..domain.store_credit import (
    CheckoutPromotion,
    InsufficientCreditError,
    StoreCreditAccount,
    UnknownCreditCodeError,
    next_to_expire,
    promotion_is_current,
    spendable,
)
from .ports.money import CheckoutPromotions, StoreCreditLedger
from .ports.system import Clock

log = logging.getLogger("retour.store_credit")

# Offers of one account racing each other: each round is one generation saved by someone.
_ATTEMPTS = 8
# How long an offer whose code Stripe refused waits for a concurrent offer to save its own.
_CONCURRENT_OFFER_SECONDS = 0.3


class CheckoutCreditDeps(Protocol):
    """What Checkout credit needs; `checkout_promotions` is None for a store not on Stripe Checkout."""

    @property
    def store_credit(self) -> StoreCreditLedger: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def checkout_promotions(self) -> CheckoutPromotions | None: ...


def offer_credit_at_checkout(deps: CheckoutCreditDeps, email: str, currency: str) -> CheckoutPromotion | None:
    """Make the account's Checkout promotion code match its spendable balance; what is offered now.

    Nothing to do when it already matches (or the store is not on Stripe Checkout). Stripe not
    answering raises PaymentGatewayUnavailableError with the old code already deactivated or
    untouched: the next balance move (or call) makes it again.

    Balance moves at once (an API redeem, a Checkout spend, a credited return) each make the code
    again; of two offers of one generation only one is saved, and the code saved may have been
    made for a balance read before another spend. So every offer reads the account again after
    its write, and again when it lost, until the code saved is worth what is left: the last
    spend's offer always sees it.
    """
    promotions = deps.checkout_promotions
    if promotions is None:
        return None
    refusals, swept = 0, False
    for _ in range(_ATTEMPTS):
        now = deps.clock.now()
        account = deps.store_credit.account(email, currency)
        if account.code is None or promotion_is_current(account, now=now):
            return account.checkout_promotion
        current = account.checkout_promotion
        amount = spendable(account, now=now)
        generation = (current.generation if current is not None else 0) + 1
        if current is not None and current.id is not None:
            # First: two codes for one balance must never both be usable.
            promotions.deactivate_promotion(current.id)
        promotion_id = None
        if not amount.is_zero():
            compact = account.code.replace("-", "")
            try:
                promotion_id = promotions.create_credit_promotion(
                    code=account.code, amount=amount,
                    # The amount too: a generation retried after the balance moved (a lost answer,
                    # a concurrent offer) is another Coupon, never the first one's replay.
                    # After orphans went: a new key, never the refused request's saved answer.
                    idempotency_key=f"credit-{compact}-{generation}-{amount.minor}" + ("-swept" if swept else ""),
                    metadata={"retour_credit_code": account.code, "retour_generation": str(generation)},
                    # Not usable past the first expiry of what it spends (the daily job writes it
                    # off later; the code is then made again for what is left).
                    expires_at=expiring.issue.expires_at if (expiring := next_to_expire(account, now=now)) else None,
                )
            except PaymentGatewayUnavailableError:
                # Stripe keeps one active code per text: a concurrent offer's code for this
                # generation may hold it (when it was saved meanwhile, make the next generation),
                # or a code made earlier whose answer was lost, which no one will ever deactivate.
                if deps.store_credit.account(email, currency).checkout_promotion != current:
                    continue
                refusals += 1
                if refusals == 1:
                    time.sleep(_CONCURRENT_OFFER_SECONDS)  # a concurrent offer saves in moments
                    continue
                if refusals > 2:
                    raise
                # Still unsaved: an orphan. It goes (a spend of it is still recorded: see
                # record_checkout_spend), so the code can be made for what is left.
                for orphan in promotions.active_promotions(account.code):
                    promotions.deactivate_promotion(orphan)
                swept = True
                continue
        offered = CheckoutPromotion(id=promotion_id, amount=amount, generation=generation)
        try:
            deps.store_credit.save_checkout_promotion(account, offered, now=now)
        except StaleWriteError:
            # Another offer saved this generation first; ours must not stay usable beside it.
            latest = deps.store_credit.account(email, currency).checkout_promotion
            if promotion_id is not None and (latest is None or latest.id != promotion_id):
                promotions.deactivate_promotion(promotion_id)
        # Read again: a spend since our read makes the saved code worth too much.
    log.warning("store credit offer at Checkout kept changing; the next balance move makes it again",
                extra={"currency": currency})
    return deps.store_credit.account(email, currency).checkout_promotion


def keep_checkout_offer(deps: CheckoutCreditDeps, email: str, currency: str) -> None:
    """After a balance move: offer what is left at Checkout, logging (never raising) if Stripe is away.

    The ledger is the truth; the promotion code follows it and is made again on the next move.
    """
    try:
        offer_credit_at_checkout(deps, email, currency)
    except PaymentGatewayUnavailableError as error:
        log.warning("store credit not re-offered at Checkout", extra={"currency": currency, "reason": error.message})


def record_checkout_spend(deps: CheckoutCreditDeps, session: Mapping[str, Any]) -> str:
    """Record the credit a completed Checkout Session spent (once per session and code); a word for the log."""
    session_id = str(session.get("id") or "")
    spends = credit_discounts(session)
    if not session_id or not spends:
        return "no_credit"
    outcome = "no_credit"
    for promotion_id, minor in spends:
        if minor <= 0:
            continue
        account = deps.store_credit.account_by_promotion(promotion_id) or _account_made_for(deps, promotion_id)
        if account is None:
            continue  # another promotion of the store's
        key = f"stripe-checkout-{session_id}-{promotion_id}"
        try:
            deps.store_credit.redeem(account.email, Money(minor, account.currency), idempotency_key=key,
                                     now=deps.clock.now())
            outcome = "credit_spent"
        except InsufficientCreditError:
            # Stripe granted more than is left (spent elsewhere before the code was made again):
            # the discount is given, so what is left is spent by it too (else the shopper would
            # spend it a second time); the merchant sees the excess in the log.
            log.error("Checkout spent more store credit than the balance",
                      extra={"session": session_id, "promotion": promotion_id, "amount": minor})
            _spend_the_rest(deps, account.email, account.currency, key=f"{key}-rest")
            outcome = "credit_overspent"
        keep_checkout_offer(deps, account.email, account.currency)
    return outcome


def _spend_the_rest(deps: CheckoutCreditDeps, email: str, currency: str, *, key: str) -> None:
    """Record an overspent Checkout's claim on whatever the account still has, once per `key`."""
    now = deps.clock.now()
    rest = spendable(deps.store_credit.account(email, currency), now=now)
    if rest.is_zero() or rest.is_negative():
        return  # nothing left (or taken already by this very spend's earlier delivery)
    try:
        deps.store_credit.redeem(email, rest, idempotency_key=key, now=now)
    except InsufficientCreditError:
        pass  # spent elsewhere this very moment: nothing left to take
    except ConflictError as error:
        if error.code != "idempotency_key_reused":
            raise
        # An earlier delivery took the rest then; credit issued since is not this spend's.


def _account_made_for(deps: CheckoutCreditDeps, promotion_id: str) -> StoreCreditAccount | None:
    """The account of a promotion code we made but never saved (its answer was lost, or it lost
    the race to save): Stripe's metadata on it names the credit code. None for any other code."""
    promotions = deps.checkout_promotions
    credit_code = promotions.credit_code_of(promotion_id) if promotions is not None else None
    if credit_code is None:
        return None
    try:
        return deps.store_credit.account_by_code(credit_code)
    except UnknownCreditCodeError:
        return None


def credit_discounts(session: Mapping[str, Any]) -> list[tuple[str, int]]:
    """(promotion code id, amount taken off) of each promotion code on a Checkout Session.

    Stripe sends the amounts in `total_details.breakdown.discounts` (when expanded); otherwise a
    single code on `discounts[]` took the whole `total_details.amount_discount`.
    """
    def promotion_of(discount: Any) -> str | None:
        code = (discount or {}).get("promotion_code") if isinstance(discount, Mapping) else None
        if isinstance(code, Mapping):
            code = code.get("id")
        return str(code) if code else None

    totals: Mapping[str, Any] = session.get("total_details") or {}
    breakdown = ((totals.get("breakdown") or {}).get("discounts")) or []
    found = [(promotion_of(item.get("discount")), int(item.get("amount") or 0)) for item in breakdown
             if isinstance(item, Mapping)]
    if not found:
        codes = [promotion_of(d) for d in session.get("discounts") or []]
        codes = [c for c in codes if c]
        if len(codes) == 1:
            found = [(codes[0], int(totals.get("amount_discount") or 0))]
    return [(code, amount) for code, amount in found if code]
