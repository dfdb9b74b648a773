"""Use case: write off store credit past its expiry (the daily job).

Which credit expires is decided by FIFO (domain/store_credit.py `credit_lots`): spending takes
the oldest credit first, so what expires is what is left of an old issue. Each write-off is one
transaction (expire entry + balance), conditioned on the balance read; a redeem at the same
moment makes it read again. Redeem never spends expired credit even before this job runs.
"""

from __future__ import annotations

import logging
from typing import Final, Protocol

from ..domain.errors import StaleWriteError
from ..domain.store_credit import due_to_expire
from .checkout_credit import keep_checkout_offer
from .ports.money import CheckoutPromotions, StoreCreditLedger
from .ports.system import Clock

log = logging.getLogger("retour.store_credit")

# Reads of one account before the job leaves it to tomorrow's run (a busy checkout).
_ATTEMPTS: Final = 5


class ExpireDeps(Protocol):
    """What the expiry job needs."""

    @property
    def store_credit(self) -> StoreCreditLedger: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def checkout_promotions(self) -> CheckoutPromotions | None: ...


def expire_store_credit(deps: ExpireDeps) -> list[str]:
    """Write off every issue past its expiry; the ids of the issues written off."""
    now = deps.clock.now()
    done: list[str] = []
    for email, currency in deps.store_credit.expiring_accounts(before=now):
        failures = 0
        while failures < _ATTEMPTS:
            account = deps.store_credit.account(email, currency)
            due = due_to_expire(account, now=now)
            if not due:
                break
            try:
                deps.store_credit.expire(account, due[0], now=now)
            except StaleWriteError:
                failures += 1
                continue
            done.append(due[0].issue.id)
        else:
            log.warning("store credit left for the next run: the account kept changing")
        # What expired is no longer offered at Stripe Checkout either.
        keep_checkout_offer(deps, email, currency)
    return done
