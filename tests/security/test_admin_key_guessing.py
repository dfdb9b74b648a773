"""Guessing the admin key: the limit counts the address API Gateway saw, and a limited address
learns nothing from its answers, whatever key it sends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.test import Client

from tests.fakes import FixedClock
from tests.functional.test_admin_key_limit import (  # noqa: F401  (fixtures)
    RIGHT_KEY,
    call,
    clock,
    from_address,
    guess,
)

# What differs between any two answers whatever they say.
PER_REQUEST = {"x-request-id"}


def test_a_forged_forwarded_for_header_does_not_buy_more_guesses(
    client: Client, clock: FixedClock, from_address: Callable[[str | None], str]
) -> None:
    from_address(None)
    for i in range(10):
        forged = {"Authorization": f"Bearer guess-{i}", "X-Forwarded-For": f"198.51.100.{i}",
                  "X-Real-IP": f"198.51.100.{i}"}
        assert client.http.get("/api/v1/admin/policy", headers=forged).status_code == 401
    fresh_header = {"Authorization": f"Bearer {RIGHT_KEY}", "X-Forwarded-For": "198.51.100.99"}
    assert client.http.get("/api/v1/admin/policy", headers=fresh_header).status_code == 429


def test_while_limited_the_right_key_gets_the_very_answer_of_a_wrong_one(
    client: Client, clock: FixedClock, from_address: Callable[[str | None], str]
) -> None:
    from_address(None)
    assert guess(client, 10) == [401] * 10
    right = call(client, "GET", "/api/v1/admin/orders/1001", RIGHT_KEY)
    wrong = call(client, "GET", "/api/v1/admin/orders/1001", "local-admin-kez")
    assert right.status_code == wrong.status_code == 429
    assert right.body == wrong.body

    def comparable(response: Any) -> dict[str, str]:
        return {k.lower(): v for k, v in response.headers.items() if k.lower() not in PER_REQUEST}

    assert comparable(right) == comparable(wrong)
