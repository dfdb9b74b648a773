"""Store credit offered at Stripe Checkout while the balance moves from several hands at once:
whatever order the spends land in, the one usable promotion code ends worth what is left."""

from __future__ import annotations

import uuid
from typing import Any

from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.services.redeem_store_credit import redeem_store_credit
from tests.functional.test_refunds import (  # noqa: F401  (fixtures)
    Stripe,
    api,
    money_env,
    policy,
    sqs,
    stripe_state,
)
from tests.functional.test_store_credit_and_webhooks import credit, credited_shopper
from tests.functional.test_store_credit_checkout import offered, on_checkout  # noqa: F401  (fixture)
from tests.races.test_money_races import together

SPENDERS = 6


def test_redeems_at_once_leave_one_checkout_code_worth_the_balance(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any,  # noqa: F811
    on_checkout: None,  # noqa: F811
) -> None:
    email, total = credited_shopper(api, stripe_endpoint, stripe_state, money_env, sqs)
    code = credit(api, email, "JPY").json_body["code"]
    deps = get_deps()
    # Different amounts, so a code made for a balance read before another spend shows.
    spends = [100 + 10 * k for k in range(SPENDERS)]
    assert sum(spends) < total
    outcomes = together([
        lambda k=k: redeem_store_credit(deps, code=code, currency="JPY", amount=spends[k],
                                        idempotency_key=f"cart-{uuid.uuid4().hex}")
        for k in range(SPENDERS)
    ])
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    balance = credit(api, email, "JPY").json_body["balance"]
    assert balance == total - sum(spends)
    # Never two codes usable for one balance, and never one worth more than what is left.
    assert [p["amount_off"] for p in offered(stripe_state, code)] == [balance]
