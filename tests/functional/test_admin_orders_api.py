"""The admin API's order calls, as a store's back office uses them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from tests.documents import an_order_document
from tests.functional.conftest import ADMIN, LOCAL_TABLE


def put(client: Client, number: str, document: Any, headers: dict[str, str] = ADMIN) -> Any:
    return client.http.put(f"/api/v1/admin/orders/{number}", headers=headers, body=json.dumps(document))


def get(client: Client, number: str, headers: dict[str, str] = ADMIN) -> Any:
    return client.http.get(f"/api/v1/admin/orders/{number}", headers=headers)


def stored_item(dynamodb: Any, number: str) -> dict[str, Any] | None:
    key = {"pk": {"S": f"ORDER#{number}"}, "sk": {"S": "ORDER"}}
    item: dict[str, Any] | None = dynamodb.get_item(TableName=LOCAL_TABLE, Key=key).get("Item")
    return item


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-key"},
        {"Authorization": "local-admin-key"},
        {"Authorization": "Basic local-admin-key"},
        {"Authorization": "Bearer local-admin-key-and-more"},
    ],
    ids=["no header", "wrong key", "no scheme", "basic scheme", "longer key"],
)
def test_admin_calls_without_the_admin_key_are_unauthorized(client: Client, headers: dict[str, str]) -> None:
    for response in (get(client, "1001", headers), put(client, "1001", an_order_document(), headers)):
        assert response.status_code == 401
        assert response.json_body["error"]["code"] == "unauthorized"
        assert response.json_body["error"]["message"]


def test_a_new_order_is_created_and_reads_back_as_sent(client: Client) -> None:
    document = an_order_document(number="2001")
    created = put(client, "2001", document)
    assert created.status_code == 201
    read = get(client, "2001")
    assert read.status_code == 200
    for field in ("number", "email", "customer_name", "locale", "currency", "placed_at",
                  "delivered_at", "shipping_address", "payment", "shipping_total", "lines"):
        assert read.json_body[field] == document[field], field
    # 2 x 3300 + 600 tax, 1500 - 300 + 150, 600 shipping; JPY has no minor unit.
    assert read.json_body["total"] == 6600 + 600 + 1350 + 600
    assert read.json_body["version"] == 1


def test_a_date_before_the_year_1000_reads_back_as_a_date(client: Client) -> None:
    # strftime("%Y") writes year 4 as "4" on Linux: the echo was not a date-time at all.
    document = an_order_document(number="2090", placed_at="0004-04-01T00:00:02Z", delivered_at="0004-04-02T00:00:00Z")
    assert put(client, "2090", document).status_code == 201
    read = get(client, "2090").json_body
    assert (read["placed_at"], read["delivered_at"]) == ("0004-04-01T00:00:02Z", "0004-04-02T00:00:00Z")


def test_sending_the_same_order_again_changes_nothing(client: Client, local_table: Any) -> None:
    document = an_order_document(number="2002")
    assert put(client, "2002", document).status_code == 201
    before = stored_item(local_table, "2002")
    again = put(client, "2002", document)
    assert again.status_code == 200
    assert again.json_body["version"] == 1
    assert stored_item(local_table, "2002") == before


def test_a_changed_order_replaces_the_stored_one(client: Client) -> None:
    document = an_order_document(number="2003")
    assert put(client, "2003", document).status_code == 201
    changed = an_order_document(number="2003", delivered_at=None, customer_name="Aiko Yamada")
    replaced = put(client, "2003", changed)
    assert replaced.status_code == 200
    read = get(client, "2003").json_body
    assert read["customer_name"] == "Aiko Yamada"
    assert read["delivered_at"] is None
    assert read["version"] == 2


def test_an_unknown_order_is_not_found(client: Client) -> None:
    response = get(client, "no-such-order")
    assert response.status_code == 404
    assert response.json_body["error"]["code"] == "order_not_found"


def _with_line(index: int, **changes: Any) -> dict[str, Any]:
    document = an_order_document()
    document["lines"][index].update(changes)
    return document


BAD_ORDERS = [
    ("unknown currency", an_order_document(currency="XYZ"), "currency"),
    ("lower-case currency", an_order_document(currency="jpy"), "currency"),
    ("negative unit price", _with_line(0, unit_price=-1), "lines[0].unit_price"),
    ("fractional tax", _with_line(1, tax=1.5), "lines[1].tax"),
    ("amount as a string", _with_line(0, unit_price="3300"), "lines[0].unit_price"),
    ("negative shipping", an_order_document(shipping_total=-600), "shipping_total"),
    ("zero quantity", _with_line(0, quantity=0), "lines[0].quantity"),
    ("quantity as a boolean", _with_line(0, quantity=True), "lines[0].quantity"),
    ("duplicate line ids", _with_line(1, id="L1"), "lines"),
    ("bad email", an_order_document(email="aiko-at-example.jp"), "email"),
    ("unsupported locale", an_order_document(locale="fr"), "locale"),
    ("no time zone", an_order_document(placed_at="2026-11-01T10:00:00"), "placed_at"),
    ("no lines", an_order_document(lines=[]), "lines"),
    ("missing customer name", {k: v for k, v in an_order_document().items() if k != "customer_name"}, "customer_name"),
    ("unknown field", an_order_document(coupon="FREE"), "coupon"),
    ("discount above price", _with_line(0, discount=6601), "lines[0]"),
]


@pytest.mark.parametrize(("document", "field"), [(d, f) for _, d, f in BAD_ORDERS], ids=[n for n, _, _ in BAD_ORDERS])
def test_a_bad_order_is_refused_naming_the_field_and_nothing_is_stored(
    client: Client, document: dict[str, Any], field: str
) -> None:
    number = "bad-1"
    document = dict(document, number=number)
    response = put(client, number, document)
    assert response.status_code == 400
    error = response.json_body["error"]
    assert error["code"] == "invalid_request"
    assert field in error["fields"]
    assert field in error["message"]
    assert get(client, number).status_code == 404


def test_a_body_whose_number_differs_from_the_path_is_refused(client: Client) -> None:
    response = put(client, "3001", an_order_document(number="3002"))
    assert response.status_code == 400
    assert response.json_body["error"]["fields"] == ["number"]
    assert get(client, "3001").status_code == 404
    assert get(client, "3002").status_code == 404


def test_a_body_that_is_not_json_is_refused(client: Client) -> None:
    response = client.http.put("/api/v1/admin/orders/3003", headers=ADMIN, body="{not json")
    assert response.status_code == 400
    assert response.json_body["error"]["fields"] == ["body"]


def test_several_bad_fields_are_all_named_at_once(client: Client) -> None:
    document = _with_line(0, unit_price=-5)
    document.update(currency="XYZ", email="nope")
    response = put(client, "1001", document)
    assert response.status_code == 400
    assert {"currency", "email", "lines[0].unit_price"} <= set(response.json_body["error"]["fields"])


def test_each_request_logs_one_json_line_with_its_request_id_and_no_email(client: Client) -> None:
    import io
    import logging

    from chalicelib.web.request_logging import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        response = put(client, "4001", an_order_document(number="4001", email="log.check@example.com"))
    finally:
        root.removeHandler(handler)
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [e for e in entries if e["logger"] == "retour.http" and e.get("method") == "PUT"]
    assert len(access) == 1
    assert access[0]["status"] == 201
    assert access[0]["request_id"] == response.headers["X-Request-Id"]
    assert "log.check@example.com" not in stream.getvalue()
