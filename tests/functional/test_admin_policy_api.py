"""The admin API's policy calls, as a merchant's back office uses them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from tests.documents import PRODUCT_MD_POLICY, a_policy_document
from tests.functional.conftest import ADMIN


def put(client: Client, document: Any, headers: dict[str, str] = ADMIN) -> Any:
    body = document if isinstance(document, str) else json.dumps(document)
    return client.http.put("/api/v1/admin/policy", headers=headers, body=body)


def get(client: Client, path: str = "", headers: dict[str, str] = ADMIN) -> Any:
    return client.http.get(f"/api/v1/admin/policy{path}", headers=headers)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-key"}, {"Authorization": "local-admin-key"}],
    ids=["no header", "wrong key", "no scheme"],
)
def test_policy_calls_without_the_admin_key_are_unauthorized(client: Client, headers: dict[str, str]) -> None:
    before = get(client).json_body
    responses = [
        get(client, headers=headers),
        put(client, a_policy_document(window_days=5), headers=headers),
        get(client, "/versions", headers=headers),
        get(client, "/versions/1", headers=headers),
        client.http.post("/api/v1/admin/policy/dry-run", headers=headers, body=json.dumps(a_policy_document())),
    ]
    for response in responses:
        assert response.status_code == 401
        assert response.json_body["error"]["code"] == "unauthorized"
    assert get(client).json_body == before


def test_a_new_store_reads_the_default_policy_at_version_zero(client: Client) -> None:
    # First test to touch the policy in this module: nothing is stored yet.
    response = get(client)
    assert response.status_code == 200
    assert response.json_body["version"] == 0
    # PRODUCT.md's default policy, with the reason flags it leaves out spelled out (photos are
    # welcome for damaged and not-as-described items).
    expected = a_policy_document(reasons=[{"requires_note": False, "waive_fees": False,
                                           "accepts_photos": reason["code"] in ("damaged", "not_as_described"),
                                           **reason}
                                 for reason in PRODUCT_MD_POLICY["reasons"]])
    assert {k: response.json_body[k] for k in PRODUCT_MD_POLICY} == expected
    assert get(client, "/versions").json_body == {"versions": []}
    assert get(client, "/versions/0").json_body == response.json_body


def test_each_put_stores_a_new_version_that_reads_back(client: Client) -> None:
    start = get(client).json_body["version"]
    first = put(client, a_policy_document(window_days=14, time_zone="Asia/Tokyo"))
    assert first.status_code == 200
    assert first.json_body["version"] == start + 1
    assert first.json_body["window_days"] == 14
    assert first.json_body["time_zone"] == "Asia/Tokyo"
    # The same document again is still a new version: every PUT is recorded.
    again = put(client, a_policy_document(window_days=14, time_zone="Asia/Tokyo"))
    assert again.json_body["version"] == start + 2
    current = get(client).json_body
    assert current == again.json_body
    versions = get(client, "/versions").json_body["versions"]
    assert [v["version"] for v in versions][:2] == [start + 2, start + 1]
    assert get(client, f"/versions/{start + 1}").json_body == first.json_body


def test_a_document_read_with_get_can_be_put_back(client: Client) -> None:
    current = get(client).json_body
    changed = dict(current, fees={"restocking_percent": 5, "return_shipping": {"JPY": 800, "USD": 595}})
    stored = put(client, changed).json_body
    assert stored["version"] == current["version"] + 1
    assert stored["fees"] == {"restocking_percent": 5, "return_shipping": {"JPY": 800, "USD": 595}}


def test_a_bad_policy_names_every_bad_field_and_changes_nothing(client: Client) -> None:
    before = get(client).json_body
    history = get(client, "/versions").json_body
    document = a_policy_document(
        window_days=-1,
        window_starts="shipped",
        time_zone="Mars/Olympus",
        merchant_email="not-an-email",
        rules=[{"match": {}, "returnable": False}],
        reasons=[{"code": "damaged"}, {"code": "damaged"}],
        resolutions={"refund": True, "store_credit": True, "store_credit_bonus_percent": 150},
        fees={"restocking_percent": 5, "return_shipping": {"XYZ": 100}},
        refund_trigger="someday",
        colour="blue",
    )
    response = put(client, document)
    assert response.status_code == 400
    error = response.json_body["error"]
    assert error["code"] == "invalid_request"
    expected = {"window_days", "window_starts", "time_zone", "merchant_email", "rules[0].match",
                "reasons", "resolutions.store_credit_bonus_percent", "refund_trigger", "colour"}
    assert expected <= set(error["fields"])
    assert any(field.startswith("fees.return_shipping") for field in error["fields"])
    for field in expected:
        assert field in error["message"]
    assert get(client).json_body == before
    assert get(client, "/versions").json_body == history


@pytest.mark.parametrize("body", ["{not json", "", "[]", "null"], ids=["broken", "empty", "a list", "null"])
def test_a_body_that_is_not_a_policy_document_is_refused(client: Client, body: str) -> None:
    before = get(client).json_body
    response = put(client, body)
    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "invalid_request"
    assert get(client).json_body == before


@pytest.mark.parametrize("version", ["999", "abc", "-1", "1.5"])
def test_an_unknown_version_is_not_found(client: Client, version: str) -> None:
    response = get(client, f"/versions/{version}")
    assert response.status_code == 404
    assert response.json_body["error"]["code"] == "policy_version_not_found"
