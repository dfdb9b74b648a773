"""Store credit offered at Stripe Checkout while the balance moves from several hands at once:
whatever order the spends land in, the one usable promotion code ends worth what is left."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import stripe
from chalice.test import Client

from chalicelib.adapters.stripe_payments import StripePayments
from chalicelib.bootstrap import get_deps
from chalicelib.services.redeem_store_credit import redeem_store_credit
from tests.functional.test_refunds import (  # noqa: F401  (fixtures)
    API_KEY,
    Stripe,
    api,
    money_env,
    policy,
    sqs,
    stripe_state,
)
from tests.functional.test_store_credit_and_webhooks import credit, credited_shopper, signed
from tests.functional.test_store_credit_checkout import (  # noqa: F401  (fixture)
    checkout_completed,
    offered,
    on_checkout,
)
from tests.races.test_money_races import StripeFaults, together

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


class StripeGoesAway(StripeFaults):
    """The fault on the first matching call, then no answer at all to anything after it."""

    def request(self, method: str, url: str, headers: Any, post_data: Any = None) -> Any:
        if self.fired:
            raise stripe.APIConnectionError("connect timed out (injected: Stripe is away)")
        return super().request(method, url, headers, post_data)


def lost_promotion_answer(stripe_endpoint: str) -> Any:
    """The app's deps whose next promotion code is made at Stripe but its answer lost on the way,
    Stripe answering nothing more after it (so no retry learns the code's id)."""
    faulty = StripePayments(lambda: API_KEY, api_base=stripe_endpoint, min_interval_seconds=0,
                            http_client=StripeGoesAway("post", "/v1/promotion_codes", "timeout-after"))
    return dataclasses.replace(get_deps(), _payments=faulty, _checkout_promotions=faulty)


def test_a_code_made_with_its_answer_lost_is_not_left_usable_beside_the_balance(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any,  # noqa: F811
    on_checkout: None,  # noqa: F811
) -> None:
    email, total = credited_shopper(api, stripe_endpoint, stripe_state, money_env, sqs)
    code = credit(api, email, "JPY").json_body["code"]
    # A spend whose new code Stripe makes but whose answer never arrives: we do not know its id.
    redeem_store_credit(lost_promotion_answer(stripe_endpoint), code=code, currency="JPY", amount=300,
                        idempotency_key=f"cart-{uuid.uuid4().hex}")
    # The next spend makes the code again, for what is left: one usable code, worth just that.
    redeem_store_credit(get_deps(), code=code, currency="JPY", amount=200, idempotency_key=f"cart-{uuid.uuid4().hex}")
    balance = credit(api, email, "JPY").json_body["balance"]
    assert balance == total - 500
    assert [p["amount_off"] for p in offered(stripe_state, code)] == [balance]


def test_a_checkout_spend_of_a_code_whose_answer_was_lost_is_still_recorded(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any,  # noqa: F811
    on_checkout: None,  # noqa: F811
) -> None:
    email, total = credited_shopper(api, stripe_endpoint, stripe_state, money_env, sqs)
    code = credit(api, email, "JPY").json_body["code"]
    redeem_store_credit(lost_promotion_answer(stripe_endpoint), code=code, currency="JPY", amount=300,
                        idempotency_key=f"cart-{uuid.uuid4().hex}")
    [orphan] = offered(stripe_state, code)
    # The shopper uses the code Stripe holds before anything made it again: the spend is theirs.
    session = f"cs_{uuid.uuid4().hex[:12]}"
    assert signed(api, checkout_completed(session, orphan["id"], 1000)).status_code == 200
    assert signed(api, checkout_completed(session, orphan["id"], 1000)).status_code == 200
    account = credit(api, email, "JPY").json_body
    assert account["balance"] == total - 300 - 1000
    assert sorted(e["amount"] for e in account["entries"] if e["kind"] == "redeem") == [-1000, -300]
