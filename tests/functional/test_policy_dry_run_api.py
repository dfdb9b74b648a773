"""The policy dry run: a candidate judged over the store's recent orders, nothing stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN


def dry_run(client: Client, document: Any, headers: dict[str, str] = ADMIN) -> Any:
    return client.http.post("/api/v1/admin/policy/dry-run", headers=headers, body=json.dumps(document))


@pytest.fixture(scope="module", autouse=True)
def orders(client: Client) -> None:
    """Orders delivered 3, 10, 20 and 45 days ago; each has an ordinary line and a final-sale one."""
    for number, days in (("6001", 3), ("6002", 10), ("6003", 20), ("6004", 45)):
        document = an_order_document(number=number, placed_at=days_ago(days + 2), delivered_at=days_ago(days))
        response = client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(document))
        assert response.status_code == 201


def test_a_shorter_window_shows_the_lines_it_would_move(client: Client) -> None:
    response = dry_run(client, {"window_days": 7})
    assert response.status_code == 200
    result = response.json_body
    assert result["orders_judged"] == 4
    assert result["lines_judged"] == 8
    assert result["current"]["version"] == 0
    # Default policy: 30-day window. Final-sale lines are never returnable.
    assert result["current"]["counts"] == {"returnable": 3, "needs_approval": 1, "not_returnable": 4}
    # 7 days: only 6001 is inside; 6002 and 6003 fall in the grace period; 6004 is past it.
    assert result["candidate"]["counts"] == {"returnable": 1, "needs_approval": 2, "not_returnable": 5}
    assert result["lines_changed"] == 3
    changes = {(e["order_number"], e["line_id"]): (e["before"], e["after"]) for e in result["examples"]}
    assert changes == {
        ("6002", "L1"): ({"status": "returnable", "reason_code": "within_window"},
                         {"status": "needs_approval", "reason_code": "window_passed"}),
        ("6003", "L1"): ({"status": "returnable", "reason_code": "within_window"},
                         {"status": "needs_approval", "reason_code": "window_passed"}),
        ("6004", "L1"): ({"status": "needs_approval", "reason_code": "window_passed"},
                         {"status": "not_returnable", "reason_code": "window_closed"}),
    }


def test_a_dry_run_stores_nothing(client: Client) -> None:
    before = client.http.get("/api/v1/admin/policy", headers=ADMIN).json_body
    dry_run(client, {"window_days": 7, "final_sale_returnable": True})
    assert client.http.get("/api/v1/admin/policy", headers=ADMIN).json_body == before
    versions = client.http.get("/api/v1/admin/policy/versions", headers=ADMIN).json_body
    assert versions == {"versions": []}


def test_the_dry_run_compares_against_the_stored_policy(client: Client) -> None:
    stored = client.http.put("/api/v1/admin/policy", headers=ADMIN, body=json.dumps({"window_days": 7}))
    result = dry_run(client, {"window_days": 7}).json_body
    assert result["current"]["version"] == stored.json_body["version"]
    assert result["current"]["counts"] == result["candidate"]["counts"]
    assert result["lines_changed"] == 0
    assert result["examples"] == []


def test_a_bad_candidate_names_every_bad_field(client: Client) -> None:
    response = dry_run(client, {"window_days": "seven", "refund_trigger": "never"})
    assert response.status_code == 400
    assert {"window_days", "refund_trigger"} <= set(response.json_body["error"]["fields"])


def test_a_dry_run_needs_the_admin_key(client: Client) -> None:
    response = dry_run(client, {"window_days": 7}, headers={"Content-Type": "application/json"})
    assert response.status_code == 401
