"""The admin API's catalog calls, as a store's back office uses them, and order lines that name
the product they were sold as."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters.dynamodb_products import reserve_stock
from chalicelib.adapters.dynamodb_transaction import DynamoDBTransaction
from chalicelib.web.stripe_webhooks import order_from_checkout
from tests.documents import an_order_document
from tests.functional.conftest import ADMIN, LOCAL_TABLE

TEE: dict[str, Any] = {
    "product_id": "tee-organic", "title": "Organic tee", "currency": "EUR",
    "variants": [
        {"sku": "TEE-S", "options": {"size": "S"}, "price": 2000, "stock": 4},
        {"sku": "TEE-M", "options": {"size": "M"}, "price": 2000, "stock": 6},
        {"sku": "TEE-L", "options": {"size": "L"}, "price": 2500, "stock": 1},
    ],
}


def a_tee(**overrides: Any) -> dict[str, Any]:
    document = copy.deepcopy(TEE)
    document.update(copy.deepcopy(overrides))
    return document


def put(client: Client, product_id: str, document: Any, headers: dict[str, str] = ADMIN) -> Any:
    body = document if isinstance(document, str) else json.dumps(document)
    return client.http.put(f"/api/v1/admin/products/{product_id}", headers=headers, body=body)


def get(client: Client, product_id: str, headers: dict[str, str] = ADMIN) -> Any:
    return client.http.get(f"/api/v1/admin/products/{product_id}", headers=headers)


def test_calls_without_the_admin_key_are_unauthorized(client: Client) -> None:
    wrong = {"Authorization": "Bearer wrong-key", "Content-Type": "application/json"}
    for response in (get(client, "tee-organic", wrong), put(client, "tee-organic", a_tee(), wrong)):
        assert response.status_code == 401
        assert response.json_body["error"]["code"] == "unauthorized"


def test_a_new_product_is_created_and_reads_back_with_its_stock(client: Client) -> None:
    created = put(client, "tee-new", a_tee(product_id="tee-new"))
    assert created.status_code == 201, created.json_body
    read = get(client, "tee-new")
    assert read.status_code == 200
    body = read.json_body
    assert (body["product_id"], body["title"], body["currency"], body["version"]) == ("tee-new", "Organic tee", "EUR", 1)
    assert body["variants"][2] == {"sku": "TEE-L", "options": {"size": "L"}, "price": 2500,
                                   "stock": 1, "reserved": 0, "available": 1}
    assert [v["sku"] for v in body["variants"]] == ["TEE-S", "TEE-M", "TEE-L"]
    assert created.json_body == body


def test_a_replaced_product_answers_200_and_keeps_what_is_reserved(client: Client, local_table: Any) -> None:
    assert put(client, "tee-organic", a_tee()).status_code == 201
    transaction = DynamoDBTransaction(local_table, LOCAL_TABLE)
    reserve_stock(transaction, "tee-organic", "TEE-M", 2)
    transaction.commit()
    again = put(client, "tee-organic", a_tee())
    assert again.status_code == 200 and again.json_body["version"] == 1
    recounted = a_tee(title="Organic cotton tee")
    recounted["variants"][1]["stock"] = 10
    replaced = put(client, "tee-organic", recounted)
    assert replaced.status_code == 200
    assert replaced.json_body["version"] == 2 and replaced.json_body["title"] == "Organic cotton tee"
    assert replaced.json_body["variants"][1] == {"sku": "TEE-M", "options": {"size": "M"}, "price": 2000,
                                                 "stock": 10, "reserved": 2, "available": 8}
    # A variant promised to an exchange cannot go; nothing changes.
    without_m = a_tee()
    del without_m["variants"][1]
    refused = put(client, "tee-organic", without_m)
    assert refused.status_code == 409
    assert refused.json_body["error"]["code"] == "variant_reserved"
    assert "TEE-M" in refused.json_body["error"]["message"]
    assert get(client, "tee-organic").json_body == replaced.json_body
    # One nobody is promised goes.
    without_s = copy.deepcopy(recounted)
    del without_s["variants"][0]
    assert [v["sku"] for v in put(client, "tee-organic", without_s).json_body["variants"]] == ["TEE-M", "TEE-L"]


def test_the_body_must_name_the_product_of_the_path(client: Client) -> None:
    response = put(client, "tee-other", a_tee())
    assert response.status_code == 400
    assert response.json_body["error"]["fields"] == ["product_id"]
    assert get(client, "tee-other").status_code == 404


def test_an_unknown_product_is_not_found(client: Client) -> None:
    response = get(client, "no-such-product")
    assert response.status_code == 404
    assert response.json_body["error"]["code"] == "product_not_found"


def _variant(**fields: Any) -> dict[str, Any]:
    return {"sku": "TEE-X", "options": {"size": "X"}, "price": 100, "stock": 1, **fields}


@pytest.mark.parametrize(("document", "field"), [
    (a_tee(title=""), "title"),
    (a_tee(currency="EURO"), "currency"),
    (a_tee(variants=[]), "variants"),
    (a_tee(variants=[_variant(price=12.5)]), "variants[0].price"),
    (a_tee(variants=[_variant(price="1200")]), "variants[0].price"),
    (a_tee(variants=[_variant(stock=-1)]), "variants[0].stock"),
    (a_tee(variants=[_variant(sku="has space")]), "variants[0].sku"),
    (a_tee(variants=[_variant(options={"a": "1", "b": "2", "c": "3", "d": "4"})]), "variants[0].options"),
    (a_tee(variants=[_variant(colour="navy")]), "variants[0].colour"),
    (a_tee(variants=[_variant(), _variant(options={"size": "Y"})]), "variants[1].sku"),
    (a_tee(variants=[_variant(), _variant(sku="TEE-Y")]), "variants[1].options"),
    (a_tee(variants=[_variant(), _variant(sku="TEE-Y", options={"colour": "red"})]), "variants.options"),
    (a_tee(extra=True), "extra"),
], ids=["empty title", "bad currency", "no variants", "float price", "price as text", "negative stock",
        "bad sku", "four options", "unknown field", "same sku twice", "same options twice",
        "options of different shapes", "unknown top-level field"])
def test_a_bad_product_is_refused_naming_the_field_and_nothing_is_stored(
        client: Client, document: dict[str, Any], field: str) -> None:
    document = {**document, "product_id": "tee-bad"}
    response = put(client, "tee-bad", document)
    assert response.status_code == 400, response.json_body
    assert response.json_body["error"]["code"] == "invalid_request"
    assert field in response.json_body["error"]["fields"], response.json_body
    assert get(client, "tee-bad").status_code == 404


def test_a_body_that_is_not_json_is_refused(client: Client) -> None:
    response = put(client, "tee-organic", "{not json")
    assert response.status_code == 400
    assert response.json_body["error"]["fields"] == ["body"]


def _order_with_a_tee(number: str) -> dict[str, Any]:
    document = an_order_document(number=number)
    document["lines"][0].update(product_id="tee-organic", options={"size": "M", "colour": "navy"})
    return document


def test_an_order_line_keeps_the_product_and_options_it_was_sold_with(client: Client) -> None:
    document = _order_with_a_tee("3001")
    assert client.http.put("/api/v1/admin/orders/3001", headers=ADMIN, body=json.dumps(document)).status_code == 201
    read = client.http.get("/api/v1/admin/orders/3001", headers=ADMIN).json_body
    assert read["lines"][0]["product_id"] == "tee-organic"
    assert read["lines"][0]["options"] == {"size": "M", "colour": "navy"}
    assert list(read["lines"][0]["options"]) == ["size", "colour"]
    # A line without a product reads back as before.
    assert "product_id" not in read["lines"][1]
    # The same document again changes nothing.
    again = client.http.put("/api/v1/admin/orders/3001", headers=ADMIN, body=json.dumps(document))
    assert again.status_code == 200 and again.json_body["version"] == 1


@pytest.mark.parametrize(("line", "field"), [
    ({"product_id": "has space"}, "lines[0].product_id"),
    ({"options": {"a": "1", "b": "2", "c": "3", "d": "4"}}, "lines[0].options"),
    ({"options": {"size": 5}}, "lines[0].options.size"),
], ids=["bad product id", "four options", "option not text"])
def test_an_order_line_with_a_bad_product_is_refused(client: Client, line: dict[str, Any], field: str) -> None:
    document = an_order_document(number="3002")
    document["lines"][0].update(line)
    response = client.http.put("/api/v1/admin/orders/3002", headers=ADMIN, body=json.dumps(document))
    assert response.status_code == 400
    assert field in response.json_body["error"]["fields"], response.json_body


def _session(price: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "cs_test_1", "object": "checkout.session", "currency": "eur", "created": 1764000000,
        "payment_intent": "pi_123", "payment_status": "paid", "metadata": {"order_number": "CS-1"},
        "customer_details": {"email": "kim@example.com", "name": "Kim Lee",
                             "address": {"line1": "1 Main St", "city": "Reno", "postal_code": "89501",
                                         "country": "US"}},
        "line_items": {"data": [{"id": "li_1", "description": "Tee", "quantity": 1, "price": price}]},
    }


@pytest.mark.parametrize(("price", "product_id", "options"), [
    ({"id": "price_m", "unit_amount": 2000, "product": "prod_tee",
      "metadata": {"retour_options": "size=M; colour=navy"}}, "prod_tee", (("size", "M"), ("colour", "navy"))),
    ({"id": "price_m", "unit_amount": 2000,
      "product": {"id": "prod_tee", "metadata": {"retour_options": "size=L"}}}, "prod_tee", (("size", "L"),)),
    ({"id": "price_m", "unit_amount": 2000, "product": "prod_tee"}, "prod_tee", ()),
    ({"id": "price_m", "unit_amount": 2000}, "", ()),
], ids=["price metadata", "expanded product's metadata", "no metadata", "no product"])
def test_a_checkout_line_names_its_stripe_product_and_options(
        price: dict[str, Any], product_id: str, options: tuple[tuple[str, str], ...]) -> None:
    order = order_from_checkout(_session(price))
    assert order is not None
    assert (order.lines[0].product_id, order.lines[0].options) == (product_id, options)
