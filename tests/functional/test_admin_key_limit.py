"""Ten wrong admin keys from one address close the admin API to that address for the rest of the
15-minute window: 429 with Retry-After, even for the right key, and nothing a refused call asked
for happens. The key signs nobody in to a page, so the guesses lock no staff member out of the
console or the warehouse page."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.local import LambdaEventConverter
from chalice.test import Client

from chalicelib.services.limit_lookups import window_start
from tests.documents import a_policy_document, an_order_document
from tests.fakes import FixedClock
from tests.functional.conftest import app_clock, console_cookie

RIGHT_KEY = "local-admin-key"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# The clock stands one minute into a window, so the wait left is known to the second.
WAIT = 14 * 60


@pytest.fixture
def clock(client: Client) -> Iterator[FixedClock]:
    """A clock one minute into a window two days ahead: no other test counts in it."""
    # The stage's settings (its admin key) are in the environment only during a request, so the
    # app builds its dependencies there first.
    assert client.http.get("/console/sign-in").status_code == 200
    one_minute_in = window_start(datetime.now(UTC) + timedelta(days=2)) + timedelta(minutes=1)
    with app_clock(FixedClock(one_minute_in)) as fixed:
        yield fixed


@pytest.fixture
def from_address(monkeypatch: pytest.MonkeyPatch) -> Callable[[str | None], str]:
    """A function: make the test client's next calls come from `address` (a fresh one if None).

    Chalice's test client says every call comes from 127.0.0.1; each test here takes addresses
    of its own, so no test spends another's budget.
    """

    def use(address: str | None = None) -> str:
        chosen = address or f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"
        monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", chosen)
        return chosen

    return use


def headers(key: str | None) -> dict[str, str]:
    base = {"Content-Type": "application/json"}
    return base if key is None else {**base, "Authorization": f"Bearer {key}"}


# One call of each admin module, so every door of the API is shown to count and to refuse.
ADMIN_CALLS: list[tuple[str, str, Any]] = [
    ("GET", "/api/v1/admin/orders/9101", None),
    ("GET", "/api/v1/admin/policy", None),
    ("GET", "/api/v1/admin/returns?status=pending_approval", None),
    ("GET", "/api/v1/admin/store-credit/kim@example.kr?currency=KRW", None),
    ("POST", "/api/v1/admin/returns/R-0000-0000/receive", None),
]


def call(client: Client, method: str, path: str, key: str | None, body: Any = None) -> Any:
    payload = b"" if body is None else json.dumps(body).encode()
    return client.http.request(method, path, headers=headers(key), body=payload)


def guess(client: Client, times: int) -> list[int]:
    """`times` wrong keys spread over the admin modules; their statuses."""
    return [call(client, *ADMIN_CALLS[i % len(ADMIN_CALLS)][:2], f"guess-{uuid.uuid4().hex}").status_code
            for i in range(times)]


def assert_limited(response: Any) -> None:
    assert response.status_code == 429
    assert response.json_body == {"error": {"code": "too_many_attempts", "message": response.json_body["error"]["message"]}}
    assert response.json_body["error"]["message"]
    assert response.headers["Retry-After"] == str(WAIT)


def warehouse_page(client: Client) -> Any:
    """The warehouse page as a signed-in warehouse member sees it (from the client's address)."""
    return client.http.get("/warehouse", headers=console_cookie("warehouse"))


def test_after_ten_wrong_keys_every_admin_call_from_that_address_is_a_429_even_with_the_right_key(
    client: Client, clock: FixedClock, from_address: Callable[[str | None], str]
) -> None:
    from_address(None)
    assert guess(client, 10) == [401] * 10
    for method, path, body in ADMIN_CALLS:
        assert_limited(call(client, method, path, RIGHT_KEY, body))
    # Without a key, or with another wrong one, the answer is the same: nothing to learn.
    assert_limited(call(client, "GET", "/api/v1/admin/policy", None))
    assert_limited(call(client, "GET", "/api/v1/admin/policy", "another-guess"))


def test_a_refused_call_changes_nothing(
    client: Client, clock: FixedClock, from_address: Callable[[str | None], str]
) -> None:
    from_address(None)
    before = call(client, "GET", "/api/v1/admin/policy", RIGHT_KEY)
    assert before.status_code == 200
    assert guess(client, 10) == [401] * 10

    changed = a_policy_document(window_days=before.json_body["window_days"] + 7)
    order = an_order_document(number="9102")
    assert_limited(call(client, "PUT", "/api/v1/admin/policy", RIGHT_KEY, changed))
    assert_limited(call(client, "PUT", "/api/v1/admin/orders/9102", RIGHT_KEY, order))

    from_address(None)  # the merchant's own back office, elsewhere
    assert call(client, "GET", "/api/v1/admin/policy", RIGHT_KEY).json_body == before.json_body
    assert call(client, "GET", "/api/v1/admin/orders/9102", RIGHT_KEY).status_code == 404
    # The very same calls from an address in good standing do change things.
    assert call(client, "PUT", "/api/v1/admin/orders/9102", RIGHT_KEY, order).status_code == 201
    assert call(client, "PUT", "/api/v1/admin/policy", RIGHT_KEY, changed).status_code == 200


def test_the_right_key_works_before_the_limit_and_never_counts(
    client: Client, clock: FixedClock, from_address: Callable[[str | None], str]
) -> None:
    from_address(None)
    assert guess(client, 9) == [401] * 9
    for method, path, body in ADMIN_CALLS[:4] * 3:
        assert call(client, method, path, RIGHT_KEY, body).status_code in (200, 404)
    # Twelve right keys later the budget still has exactly one wrong key left.
    assert guess(client, 1) == [401]
    assert_limited(call(client, "GET", "/api/v1/admin/policy", RIGHT_KEY))


@pytest.mark.parametrize(
    "malformed",
    [{}, {"Authorization": RIGHT_KEY}, {"Authorization": f"Basic {RIGHT_KEY}x"}, {"Authorization": "Bearer "}],
    ids=["no header", "no scheme", "basic scheme", "empty key"],
)
def test_a_call_without_a_bearer_key_is_a_401_that_does_not_count(
    client: Client, clock: FixedClock, from_address: Callable[[str | None], str], malformed: dict[str, str]
) -> None:
    from_address(None)
    assert guess(client, 9) == [401] * 9
    for _ in range(5):
        refused = client.http.get("/api/v1/admin/policy", headers=malformed)
        assert refused.status_code == 401 and refused.json_body["error"]["code"] == "unauthorized"
    assert call(client, "GET", "/api/v1/admin/policy", RIGHT_KEY).status_code == 200


def test_another_address_is_unaffected(
    client: Client, clock: FixedClock, from_address: Callable[[str | None], str]
) -> None:
    from_address(None)
    assert guess(client, 10) == [401] * 10
    assert_limited(call(client, "GET", "/api/v1/admin/policy", RIGHT_KEY))

    from_address(None)
    assert call(client, "GET", "/api/v1/admin/policy", RIGHT_KEY).status_code == 200
    assert guess(client, 1) == [401]


def test_ten_wrong_keys_leave_the_warehouse_page_open_to_staff_at_that_address(
    client: Client, clock: FixedClock, from_address: Callable[[str | None], str]
) -> None:
    from_address(None)
    assert guess(client, 10) == [401] * 10
    assert_limited(call(client, "GET", "/api/v1/admin/policy", RIGHT_KEY))
    page = warehouse_page(client)
    assert page.status_code == 200 and 'id="rma"' in page.body.decode()
    # The key opens no page: posting it where the old form was signs nobody in.
    old_form = client.http.post("/warehouse/sign-in", headers=FORM, body=urlencode({"admin_key": RIGHT_KEY}))
    assert old_form.status_code != 303 and "Set-Cookie" not in old_form.headers


def test_when_the_window_ends_the_right_key_works_again_and_the_count_starts_over(
    client: Client, clock: FixedClock, from_address: Callable[[str | None], str]
) -> None:
    from_address(None)
    assert guess(client, 10) == [401] * 10
    limited = call(client, "GET", "/api/v1/admin/policy", RIGHT_KEY)
    assert_limited(limited)

    clock.advance(int(limited.headers["Retry-After"]) - 1)
    assert call(client, "GET", "/api/v1/admin/policy", RIGHT_KEY).status_code == 429
    clock.advance(1)
    assert call(client, "GET", "/api/v1/admin/policy", RIGHT_KEY).status_code == 200
    # A fresh budget: nine more wrong keys still leave the door open.
    assert guess(client, 9) == [401] * 9
    assert call(client, "GET", "/api/v1/admin/policy", RIGHT_KEY).status_code == 200
