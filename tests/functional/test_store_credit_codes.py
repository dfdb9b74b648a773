"""Store credit spent by its code: the storefront reads the balance and redeems in part or whole,
once per key, never below zero; an unknown code is one 404 whatever the reason."""

from __future__ import annotations

import json
import uuid
from typing import Any

from chalice.test import Client

from tests.functional.conftest import ADMIN
from tests.functional.test_refunds import (  # noqa: F401  (fixtures)
    Stripe,
    api,
    money_env,
    policy,
    sqs,
    stripe_state,
)
from tests.functional.test_store_credit_and_webhooks import credit, credited_shopper


def by_code(api: Client, code: str) -> Any:
    return api.http.get(f"/api/v1/admin/store-credit/codes/{code}", headers=ADMIN)


def redeem_code(api: Client, code: str, amount: int, key: str, currency: str = "JPY") -> Any:
    body = {"code": code, "currency": currency, "amount": amount, "idempotency_key": key}
    return api.http.post("/api/v1/admin/store-credit/redeem", headers=ADMIN, body=json.dumps(body))


def adjust(api: Client, email: str, amount: int, currency: str = "EUR") -> Any:
    """Staff credit through the deps (the console's adjustment), as a first issue without a return."""
    from chalicelib.bootstrap import get_deps
    from chalicelib.domain.money import Money

    deps = get_deps()
    return deps.store_credit.adjust(email, Money(amount, currency), reason="goodwill", actor="staff:a@example.com",
                                    idempotency_key=f"adjust-{uuid.uuid4().hex}", now=deps.clock.now())


def test_a_credited_shopper_has_one_code_that_reads_their_balance(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    email, total = credited_shopper(api, stripe_endpoint, stripe_state, money_env, sqs)
    code = credit(api, email, "JPY").json_body["code"]
    assert code and len(code) == 19 and code.count("-") == 3
    read = by_code(api, code)
    assert read.status_code == 200, read.json_body
    assert (read.json_body["email"], read.json_body["currency"], read.json_body["spendable"]) == (email, "JPY", total)
    # Typed from an email by hand: lower case, no dashes.
    assert by_code(api, code.replace("-", "").lower()).json_body["balance"] == total


def test_a_code_spends_in_parts_down_to_zero_and_never_below(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    email, total = credited_shopper(api, stripe_endpoint, stripe_state, money_env, sqs)
    code = credit(api, email, "JPY").json_body["code"]
    part = redeem_code(api, code, 1000, "checkout-part-0001")
    assert part.status_code == 200, part.json_body
    assert part.json_body["balance"] == total - 1000
    over = redeem_code(api, code, total, "checkout-over-0001")
    assert over.status_code == 409 and over.json_body["error"]["code"] == "insufficient_credit"
    rest = redeem_code(api, code, total - 1000, "checkout-rest-0001")
    assert rest.status_code == 200 and rest.json_body["balance"] == 0
    assert by_code(api, code).json_body["spendable"] == 0
    assert credit(api, email, "JPY").json_body["balance"] == 0


def test_replaying_a_redeem_by_code_spends_once(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    email, total = credited_shopper(api, stripe_endpoint, stripe_state, money_env, sqs)
    code = credit(api, email, "JPY").json_body["code"]
    first = redeem_code(api, code, 700, "checkout-replay-01")
    again = redeem_code(api, code, 700, "checkout-replay-01")
    assert first.status_code == again.status_code == 200
    assert first.json_body == again.json_body
    assert by_code(api, code).json_body["balance"] == total - 700
    # The same spend by email under the same key is the same spend.
    by_email = api.http.post("/api/v1/admin/store-credit/redeem", headers=ADMIN, body=json.dumps(
        {"email": email, "currency": "JPY", "amount": 700, "idempotency_key": "checkout-replay-01"}))
    assert by_email.json_body == first.json_body


def test_an_unknown_code_and_a_code_in_another_currency_get_the_same_404(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    email, total = credited_shopper(api, stripe_endpoint, stripe_state, money_env, sqs)
    code = credit(api, email, "JPY").json_body["code"]
    never = redeem_code(api, "ABCD-EFGH-JKMN-PQRS", 100, "checkout-never-01")
    other_currency = redeem_code(api, code, 100, "checkout-usd-0001", currency="USD")
    garbage = by_code(api, "not-a-code")
    for response in (never, other_currency, garbage, by_code(api, "ABCD-EFGH-JKMN-PQRS")):
        assert response.status_code == 404, response.json_body
        assert response.json_body["error"] == {"code": "unknown_credit_code", "message": "no store credit has this code"}
    assert by_code(api, code).json_body["balance"] == total


def test_a_redeem_with_both_email_and_code_or_neither_is_refused_and_spends_nothing(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    email, total = credited_shopper(api, stripe_endpoint, stripe_state, money_env, sqs)
    code = credit(api, email, "JPY").json_body["code"]
    both = api.http.post("/api/v1/admin/store-credit/redeem", headers=ADMIN, body=json.dumps(
        {"email": email, "code": code, "currency": "JPY", "amount": 100, "idempotency_key": "checkout-both-01"}))
    neither = api.http.post("/api/v1/admin/store-credit/redeem", headers=ADMIN, body=json.dumps(
        {"currency": "JPY", "amount": 100, "idempotency_key": "checkout-none-01"}))
    assert both.status_code == neither.status_code == 400
    assert both.json_body["error"]["code"] == "invalid_request"
    assert by_code(api, code).json_body["balance"] == total


def test_staff_credit_opens_an_account_with_a_code_and_later_credit_keeps_it(api: Client) -> None:
    email = f"goodwill-{uuid.uuid4().hex[:8]}@example.com"
    adjust(api, email, 500)
    code = credit(api, email, "EUR").json_body["code"]
    assert code
    adjust(api, email, 250)
    assert credit(api, email, "EUR").json_body["code"] == code
    assert by_code(api, code).json_body["spendable"] == 750
