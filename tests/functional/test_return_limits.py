"""One order starts a few returns a day: a create / cancel loop is stopped with a clear answer, a
JSON 429 on the API and a page in the shopper's language, and nothing more is written."""

from __future__ import annotations

import json
from typing import Any

from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.domain.quote import Selection
from chalicelib.services.cancel_return import cancel_return
from chalicelib.services.request_return import RETURNS_PER_ORDER_PER_DAY, request_return
from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN
from tests.functional.test_shopper_pages import choose_first_line, signed_in, text


def an_order(client: Client, number: str, *, locale: str = "en") -> str:
    email = f"loop{number}@example.com"
    document = an_order_document(number=number, email=email, locale=locale,
                                 currency="USD" if locale == "en" else "JPY",
                                 placed_at=days_ago(7), delivered_at=days_ago(5))
    response = client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(document))
    assert response.status_code == 201, response.json_body
    return email


def token_for(client: Client, number: str, email: str) -> str:
    found = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                             body=json.dumps({"order_number": number, "email": email}))
    assert found.status_code == 200, found.json_body
    return str(found.json_body["token"])


def create(client: Client, token: str, number: str) -> Any:
    return client.http.post(
        "/api/v1/returns", headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        body=json.dumps({"order_number": number, "resolution": "refund",
                         "lines": [{"line_id": "L1", "quantity": 2, "reason": "too_small"}]}))


def returns_of(number: str) -> int:
    return len(get_deps().returns.of_order(number))


def test_a_create_and_cancel_loop_on_the_api_is_stopped_with_a_429_json_error(client: Client) -> None:
    email = an_order(client, "8101")
    token = token_for(client, "8101", email)
    for _ in range(RETURNS_PER_ORDER_PER_DAY):
        created = create(client, token, "8101")
        assert created.status_code == 201, created.json_body
        cancelled = client.http.post(f"/api/v1/returns/{created.json_body['rma']}/cancel",
                                     headers={"Authorization": f"Bearer {token}"})
        assert cancelled.status_code == 200, cancelled.json_body

    refused = create(client, token, "8101")
    assert refused.status_code == 429
    assert refused.json_body["error"]["code"] == "too_many_returns"
    assert "tomorrow" in refused.json_body["error"]["message"]
    assert 0 < int(refused.headers["Retry-After"]) <= 24 * 3600
    assert returns_of("8101") == RETURNS_PER_ORDER_PER_DAY


def test_the_returns_page_tells_a_japanese_shopper_to_come_back_tomorrow(client: Client) -> None:
    email = an_order(client, "8102", locale="ja")
    deps = get_deps()
    for _ in range(RETURNS_PER_ORDER_PER_DAY):
        made = request_return(deps, order_number="8102", resolution="refund",
                              selections=[Selection("L1", 2, "too_small")])
        cancel_return(deps, made.rma, order_number="8102")

    shopper = signed_in(client, "8102", email)
    assert choose_first_line(shopper, quantity="2").status_code == 303
    shopper.post("/return/resolution", {"csrf": shopper.csrf_of("/return/resolution"), "resolution": "refund"})
    refused = shopper.post("/return/confirm", {"csrf": shopper.csrf_of("/return/review")})
    assert refused.status_code == 429
    assert "明日まで新しいお申し込みをお受けできません" in text(refused)
    assert refused.headers["Retry-After"]
    assert returns_of("8102") == RETURNS_PER_ORDER_PER_DAY
