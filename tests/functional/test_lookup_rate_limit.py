"""Lookups are limited per client address and per order: the 11th in 15 minutes is a 429."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.domain.errors import RateLimitedError
from chalicelib.services.limit_lookups import limit_lookups
from tests.documents import an_order_document
from tests.functional.conftest import ADMIN


@pytest.fixture(scope="module")
def client(aws_endpoint: str, local_table: Any) -> Iterator[Client]:
    """The local stage with its real limit (10), unlike the other modules' clients."""
    saved = {name: os.environ.get(name) for name in ("RETOUR_AWS_ENDPOINT_URL", "RETOUR_LOOKUP_LIMIT")}
    os.environ["RETOUR_AWS_ENDPOINT_URL"] = aws_endpoint
    os.environ["RETOUR_LOOKUP_LIMIT"] = "10"
    get_deps.cache_clear()
    from app import app

    with Client(app, stage_name="local") as test_client:
        yield test_client
    get_deps.cache_clear()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def lookup(client: Client, number: str, email: str) -> Any:
    return client.http.post(
        "/api/v1/lookup", headers={"Content-Type": "application/json"},
        body=json.dumps({"order_number": number, "email": email}),
    )


def test_the_eleventh_lookup_in_the_window_is_refused_with_a_retry_after(client: Client) -> None:
    document = an_order_document(number="8001")
    assert client.http.put("/api/v1/admin/orders/8001", headers=ADMIN, body=json.dumps(document)).status_code == 201
    # Right and wrong pairs, and unknown numbers, all count for the client.
    answers = [lookup(client, "8001", "aiko@example.jp") for _ in range(4)]
    answers += [lookup(client, "8001", "guess@example.com") for _ in range(3)]
    answers += [lookup(client, f"99{i}", "guess@example.com") for i in range(3)]
    assert [a.status_code for a in answers] == [200] * 4 + [404] * 6

    limited = lookup(client, "8001", "aiko@example.jp")
    assert limited.status_code == 429
    assert limited.json_body["error"]["code"] == "rate_limited"
    assert limited.json_body["error"]["message"]
    assert "token" not in limited.body.decode()
    retry_after = int(limited.headers["Retry-After"])
    assert 1 <= retry_after <= 15 * 60
    # The limit holds for another order too: it is the client that is slowed down.
    assert lookup(client, "990", "guess@example.com").status_code == 429


def test_one_order_typed_many_ways_is_one_order_to_the_limit(client: Client) -> None:
    # Many clients guessing emails for one order, each writing its number another way, share
    # the order's counter: the 11th guess is refused whoever sends it.
    deps = get_deps()
    variants = ["8009", "#8009", "＃８００９", " 80 09 ", "No.8009"]
    for i in range(10):
        limit_lookups(deps, client_address=f"198.51.100.{i}", order_number=variants[i % len(variants)])
    with pytest.raises(RateLimitedError):
        limit_lookups(deps, client_address="198.51.100.99", order_number="８００９")
