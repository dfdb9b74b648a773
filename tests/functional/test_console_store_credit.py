"""The console's store-credit page: find a shopper's balance and ledger, issue or take back credit
with a reason (confirmed first, recorded once, never below zero), as owners and agents only."""

from __future__ import annotations

import html
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.domain.money import Money
from tests.functional.conftest import console_cookie, console_csrf, form_post, put_policy

PAGE = "/console/store-credit"


@pytest.fixture(autouse=True)
def _stage_settings(client: Client) -> None:
    """The app builds its dependencies (the stage's signing key) on its first request."""
    assert client.http.get("/console/sign-in").status_code == 200


def shopper() -> str:
    return f"credit-{uuid.uuid4().hex[:8]}@example.com"


def balance(email: str, currency: str = "USD") -> int:
    return get_deps().store_credit.account(email, currency).balance.minor


def token_of(page: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', page)
    assert found, "the adjustment form carries its token"
    return found.group(1)


def open_page(client: Client, headers: dict[str, str], email: str, currency: str = "") -> str:
    query = f"?email={email}" + (f"&currency={currency}" if currency else "")
    page = client.http.get(PAGE + query, headers=headers)
    assert page.status_code == 200, page.body[:500]
    return page.body.decode()


def review(client: Client, headers: dict[str, str], email: str, amount: str, reason: str, *,
           currency: str = "USD", page: str | None = None) -> Any:
    page = page or open_page(client, headers, email)
    return form_post(client, f"{PAGE}/adjust", headers, csrf=console_csrf(page), email=email, currency=currency,
                     amount=amount, reason=reason, token=token_of(page), step="review")


def confirm(client: Client, headers: dict[str, str], reviewed: Any) -> Any:
    """Press "Confirm" on a confirmation page: its hidden fields, as the browser posts them."""
    page = reviewed.body.decode()
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    fields = {name: html.unescape(value) for name, value in fields.items()}
    return form_post(client, f"{PAGE}/adjust", headers, **fields, step="confirm")


def issue(client: Client, headers: dict[str, str], email: str, amount: str, reason: str, currency: str = "USD") -> Any:
    reviewed = review(client, headers, email, amount, reason, currency=currency)
    assert reviewed.status_code == 200, reviewed.body[:800]
    return confirm(client, headers, reviewed)


def test_finding_a_shopper_without_credit_shows_the_form_to_issue_some(client: Client) -> None:
    headers = console_cookie("agent")
    email = shopper()
    page = open_page(client, headers, email)
    assert "No store credit yet" in page and 'name="amount"' in page and 'name="reason"' in page
    assert 'href="/console/store-credit" aria-current="page"' in page
    bad = client.http.get(f"{PAGE}?email=not-an-email", headers=headers)
    body = bad.body.decode()
    assert bad.status_code == 400 and 'aria-describedby="find-email-error"' in body
    assert 'id="find-email-error"' in body


def test_an_agent_issues_credit_after_confirming_and_the_ledger_names_them(client: Client) -> None:
    headers = console_cookie("agent")
    email = shopper()
    reviewed = review(client, headers, email, "1,234.56", "Parcel lost by the carrier <b>twice</b>")
    page = reviewed.body.decode()
    assert reviewed.status_code == 200 and "Confirm the store credit" in page and "$1,234.56" in page
    assert balance(email) == 0  # nothing moves before the confirmation
    done = confirm(client, headers, reviewed)
    assert done.status_code == 303
    assert done.headers["Location"].startswith(f"{PAGE}?email=") and "done=1" in done.headers["Location"]
    assert balance(email) == 123456
    ledger = client.http.get(done.headers["Location"], headers=headers).body.decode()
    assert "Recorded." in ledger and "staff:agent@retour.local" in ledger and "$1,234.56" in ledger
    # The reason is the staff member's words, escaped.
    assert "Parcel lost by the carrier &lt;b&gt;twice&lt;/b&gt;" in ledger and "<b>twice" not in ledger
    entry = get_deps().store_credit.account(email, "USD").entries[0]
    assert entry.actor == "staff:agent@retour.local" and entry.reason.startswith("Parcel lost")


def test_an_owner_takes_credit_back_and_never_below_zero(client: Client) -> None:
    headers = console_cookie("owner")
    email = shopper()
    assert issue(client, headers, email, "25", "Goodwill").status_code == 303
    down = issue(client, headers, email, "-10.50", "Issued too much")
    assert down.status_code == 303 and balance(email) == 1450
    ledger = open_page(client, headers, email)
    assert "Taken back" in ledger and "-$10.50" in ledger and "staff:owner@retour.local" in ledger
    refused = review(client, headers, email, "−20", "Take it all")
    body = refused.body.decode()
    assert refused.status_code == 400 and balance(email) == 1450
    assert "below zero" in body and "$14.50" in body and 'aria-describedby="amount-hint amount-error"' in body
    assert 'id="amount-error"' in body and "Confirm and record it" not in body


def test_a_take_back_that_became_too_large_since_the_review_is_refused(client: Client) -> None:
    headers = console_cookie("agent")
    email = shopper()
    assert issue(client, headers, email, "10", "Goodwill").status_code == 303
    reviewed = review(client, headers, email, "-8", "Mistake")
    assert reviewed.status_code == 200
    # Meanwhile the shopper spends some at checkout.
    get_deps().store_credit.redeem(email, Money(500, "USD"), idempotency_key=f"checkout-{uuid.uuid4().hex}",
                                   now=get_deps().clock.now())
    late = confirm(client, headers, reviewed)
    assert late.status_code == 409 and "below zero" in late.body.decode()
    assert balance(email) == 500


@pytest.mark.parametrize(("amount", "reason", "field", "words"), [
    ("10", "   ", "reason", "Give a reason"),
    ("", "Goodwill", "amount", "Enter the amount"),
    ("ten", "Goodwill", "amount", "Enter an amount such as 25.00"),
    ("0", "Goodwill", "amount", "other than zero"),
    ("2.505", "Goodwill", "amount", "more decimals than USD"),
])
def test_a_form_with_a_problem_says_so_next_to_its_field_and_records_nothing(
    client: Client, amount: str, reason: str, field: str, words: str
) -> None:
    headers = console_cookie("agent")
    email = shopper()
    refused = review(client, headers, email, amount, reason)
    body = refused.body.decode()
    assert refused.status_code == 400 and words in body
    assert f'id="{field}-error"' in body and 'aria-invalid="true"' in body
    # The error is beside its own field: between the field's label and its control.
    label, control = body.index(f'<label for="{field}">'), body.index(f'id="{field}" name="{field}"')
    assert label < body.index(f'id="{field}-error"') < control
    assert balance(email) == 0 and get_deps().store_credit.currencies(email) == []
    # A confirmation forged without a reason is refused the same way.
    forged = form_post(client, f"{PAGE}/adjust", headers, csrf=console_csrf(body), email=email, currency="USD",
                       amount="10", reason="", token=uuid.uuid4().hex, step="confirm")
    assert forged.status_code == 400 and balance(email) == 0


def test_a_double_submitted_confirmation_credits_once(client: Client) -> None:
    headers = console_cookie("agent")
    email = shopper()
    reviewed = review(client, headers, email, "40", "Late delivery")
    first, second = confirm(client, headers, reviewed), confirm(client, headers, reviewed)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    account = get_deps().store_credit.account(email, "USD")
    assert account.balance.minor == 4000 and len(account.entries) == 1
    # The same token for other money is not a replay: it is refused and nothing moves.
    page = reviewed.body.decode()
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    other = form_post(client, f"{PAGE}/adjust", headers, **{**fields, "amount": "41"}, step="confirm")
    assert other.status_code == 409 and "already used" in other.body.decode()
    assert balance(email) == 4000


def test_a_shopper_with_several_currencies_has_a_balance_in_each_and_a_ledger_per_currency(client: Client) -> None:
    headers = console_cookie("agent")
    email = shopper()
    assert issue(client, headers, email, "¥3,300", "Goodwill", currency="JPY").status_code == 303
    assert issue(client, headers, email, "5", "Goodwill", currency="usd").status_code == 303
    assert get_deps().store_credit.currencies(email) == ["JPY", "USD"]
    page = open_page(client, headers, email)
    assert "¥3,300" in page and "$5.00" in page and "Ledger (JPY)" in page
    assert f'href="/console/store-credit?email={email.replace("@", "%40")}&amp;currency=USD"' in page
    usd = open_page(client, headers, email, "USD")
    assert "Ledger (USD)" in usd and 'name="currency" type="text"' in usd


def test_credit_staff_issue_expires_as_the_policy_says_and_the_ledger_shows_when(client: Client) -> None:
    put_policy(client, store_credit_expiry_days=30)
    try:
        headers = console_cookie("agent")
        email = shopper()
        reviewed = review(client, headers, email, "20", "Goodwill")
        expiry = (get_deps().clock.now() + timedelta(days=30)).date()
        assert "Expires" in reviewed.body.decode()
        assert confirm(client, headers, reviewed).status_code == 303
        entry = get_deps().store_credit.account(email, "USD").entries[0]
        assert entry.expires_at is not None and entry.expires_at.date() == expiry
        # Taking credit back never carries an expiry.
        assert issue(client, headers, email, "-5", "Too much").status_code == 303
        voided = [e for e in get_deps().store_credit.account(email, "USD").entries if e.kind == "void"]
        assert voided[0].expires_at is None
    finally:
        put_policy(client, store_credit_expiry_days=None)


def test_warehouse_staff_get_403_and_strangers_the_sign_in(client: Client) -> None:
    warehouse = console_cookie("warehouse")
    page = client.http.get(f"{PAGE}?email=someone@example.com", headers=warehouse)
    assert page.status_code == 403 and "not for your role" in page.body.decode()
    csrf = console_csrf(client.http.get("/warehouse", headers=warehouse).body.decode())
    email = shopper()
    posted = form_post(client, f"{PAGE}/adjust", warehouse, csrf=csrf, email=email, currency="USD", amount="100",
                       reason="Me", token=uuid.uuid4().hex, step="confirm")
    assert posted.status_code == 403 and balance(email) == 0
    stranger = client.http.get(PAGE)
    assert stranger.headers["Location"] == "/console/sign-in?next=%2Fconsole%2Fstore-credit"
