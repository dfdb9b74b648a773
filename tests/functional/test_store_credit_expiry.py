"""Store credit may expire (policy `store_credit_expiry_days`): never spent once past its date,
written off by the daily job, oldest credit spent first."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import Deps, get_deps
from chalicelib.domain.money import Money
from chalicelib.domain.store_credit import InsufficientCreditError
from chalicelib.services.expire_store_credit import expire_store_credit
from tests.fakes import ShiftedClock
from tests.functional.conftest import ADMIN, days_later, put_policy
from tests.functional.test_refunds import (  # noqa: F401  (fixtures)
    ONE_TEE,
    Stripe,
    api,
    money_env,
    paid_order,
    policy,
    receive,
    request_return,
    sqs,
    stripe_state,
)

CREDIT = 3600 + 360  # one tee and its 10 % bonus


def set_expiry(api: Client, days: int | None) -> None:
    stored = put_policy(api, store_credit_expiry_days=days)
    assert stored["store_credit_expiry_days"] == days, stored


def credit_once(api: Client, stripe_endpoint: str, stripe_state: Stripe, email: str) -> str:
    order = paid_order(api, stripe_endpoint, stripe_state, email=email)
    rma = request_return(api, order, ONE_TEE, resolution="store_credit")
    assert receive(api, rma).json_body["status"] == "credited"
    return rma


def later(days: int) -> Deps:
    return dataclasses.replace(get_deps(), clock=ShiftedClock(timedelta(days=days)))


def redeem(deps: Deps, email: str, amount: int) -> Any:
    return deps.store_credit.redeem(email, Money(amount, "JPY"), idempotency_key=f"checkout-{uuid.uuid4().hex}",
                                    now=deps.clock.now())


def test_expiring_credit_is_never_spent_after_its_date_and_the_job_writes_it_off_once(
    api: Client, stripe_endpoint: str, stripe_state: Stripe
) -> None:
    set_expiry(api, 30)
    email = f"shopper-{uuid.uuid4().hex[:8]}@example.jp"
    credit_once(api, stripe_endpoint, stripe_state, email)
    [issue] = get_deps().store_credit.account(email, "JPY").entries
    assert issue.expires_at is not None
    assert abs(issue.expires_at - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=1)
    assert redeem(later(29), email, 1000).balance_after == Money(CREDIT - 1000, "JPY")
    # Past the date: nothing left to spend, even before the job has run, and the merchant sees so.
    with pytest.raises(InsufficientCreditError):
        redeem(later(31), email, 1)
    with days_later(31):
        shown = api.http.get(f"/api/v1/admin/store-credit/{email}?currency=JPY", headers=ADMIN).json_body
    assert (shown["balance"], shown["spendable"]) == (CREDIT - 1000, 0)
    assert shown["entries"][0]["expires_at"] == issue.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    today = api.http.get(f"/api/v1/admin/store-credit/{email}?currency=JPY", headers=ADMIN).json_body
    assert today["spendable"] == today["balance"] == CREDIT - 1000
    assert expire_store_credit(later(31)) == [issue.id]
    assert expire_store_credit(later(32)) == []
    account = get_deps().store_credit.account(email, "JPY")
    assert account.balance == Money(0, "JPY")
    assert [(e.kind, e.amount.minor) for e in account.entries] == [
        ("issue", CREDIT), ("redeem", -1000), ("expire", -(CREDIT - 1000))]
    assert sum(e.amount.minor for e in account.entries) == account.balance.minor


def test_spending_takes_the_oldest_credit_first_so_only_its_rest_expires(
    api: Client, stripe_endpoint: str, stripe_state: Stripe
) -> None:
    email = f"shopper-{uuid.uuid4().hex[:8]}@example.jp"
    set_expiry(api, 30)
    credit_once(api, stripe_endpoint, stripe_state, email)  # expires in 30 days
    set_expiry(api, None)
    credit_once(api, stripe_endpoint, stripe_state, email)  # never expires
    redeem(get_deps(), email, 1000)  # from the first credit
    assert len(expire_store_credit(later(31))) == 1
    account = get_deps().store_credit.account(email, "JPY")
    assert account.balance == Money(CREDIT, "JPY")
    assert redeem(later(31), email, CREDIT).balance_after == Money(0, "JPY")


def test_without_an_expiry_credit_never_expires(api: Client, stripe_endpoint: str, stripe_state: Stripe) -> None:
    email = f"shopper-{uuid.uuid4().hex[:8]}@example.jp"
    credit_once(api, stripe_endpoint, stripe_state, email)
    assert get_deps().store_credit.account(email, "JPY").entries[0].expires_at is None
    assert email not in [e for e, _ in get_deps().store_credit.expiring_accounts(before=later(3650).clock.now())]
    assert redeem(later(3650), email, CREDIT).balance_after == Money(0, "JPY")
