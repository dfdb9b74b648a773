"""Random and hostile store-credit forms (an agent's, with the session's CSRF token): never a 5xx,
always a console page or a redirect, and the balance never below zero."""

from __future__ import annotations

from typing import Any

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chalicelib.bootstrap import get_deps
from tests.functional.conftest import console_cookie, console_csrf
from tests.fuzz.test_page_forms import OTHER_DIGITS, assert_a_page, body_of, garbage, text

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
EMAIL = "fuzzed-credit@example.com"
FIELDS = ["email", "currency", "amount", "reason", "token", "step"]
amounts = st.one_of(text, st.sampled_from(OTHER_DIGITS + ["-1", "1e9", "-0.001", "9" * 40, "1,0,0", "¥-3", "--1"]))
values = {
    "email": st.one_of(st.just(EMAIL), text),
    "currency": st.one_of(st.sampled_from(["USD", "JPY", "KWD", "usd", "XXX", ""]), text),
    "amount": amounts,
    "reason": st.one_of(st.just("Fuzz"), text),
    "token": st.one_of(st.sampled_from(["fuzz-token-0001", "fuzz-token-0002"]), text),
    "step": st.sampled_from(["review", "confirm", "edit", "", "CONFIRM"]),
}
forms = st.fixed_dictionaries({}, optional=values).map(lambda chosen: list(chosen.items()))


@pytest.fixture(scope="module")
def agent(client: Client) -> dict[str, Any]:
    assert client.http.get("/console/sign-in").status_code == 200  # the stage's settings
    headers = console_cookie("agent", "fuzz-agent@retour.local")
    page = client.http.get("/console/store-credit", headers=headers).body.decode()
    return {"headers": headers, "csrf": console_csrf(page)}


@settings(max_examples=80, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(form=forms, extra=garbage)
@example(form=[("email", EMAIL), ("currency", "USD"), ("amount", "-99999"), ("reason", "x"),
               ("token", "fuzz-token-0003"), ("step", "confirm")], extra=b"")
@example(form=[("email", EMAIL), ("currency", "JPY"), ("amount", "3,300"), ("reason", "x" * 600),
               ("token", "fuzz-token-0004"), ("step", "confirm")], extra=b"%ff")
def test_random_store_credit_forms_get_a_page_never_a_server_error(
    client: Client, agent: dict[str, Any], form: list[tuple[str, str]], extra: bytes
) -> None:
    pairs = [("csrf", agent["csrf"]), *form]
    response = client.http.post("/console/store-credit/adjust", headers={**agent["headers"], **FORM},
                                body=body_of(pairs, extra))
    assert_a_page(response, "/console/store-credit/adjust", form, lang="en")
    for currency in get_deps().store_credit.currencies(EMAIL):
        assert get_deps().store_credit.account(EMAIL, currency).balance.minor >= 0
