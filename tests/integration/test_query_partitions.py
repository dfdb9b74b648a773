"""Our local server's DynamoDB Query reads only the asked partition (devstack/moto_query.py) and
still answers exactly as stock moto does: random writes of every kind go to both servers, and
every Query, on the table and on each index, must come back the same, page by page."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test
from moto.dynamodb.models import DynamoDBBackend

from devstack import moto_query
from devstack.processes import free_port, start_process
from devstack.tables import create_table_request, ensure_table

# Few keys and few index values, so writes collide, partitions hold several items and index
# sort keys tie (the table's keys then decide the order and LastEvaluatedKey).
PKS = ("ORDER#1001", "ORDER#1002", "RETURN#R1")
SKS = ("ORDER", "LINE#L1", "LINE#L2", "EVENT#2026-01-01T00:00:00Z#0000", "EVENT#2026-01-02T00:00:00Z#0001")
INDEX_HASHES = ("CUSTOMER#a", "ORDERS#2026-11")
INDEX_SORTS = ("ORDER#2026-01-01#1001", "ORDER#2026-01-02#1002", "RETURN#2026-01-01#R1", "RETURN#2026-01-03#R2")
PREFIXES = ("O", "ORDER#", "RETURN#", "LINE#", "EVENT#2026-01-0", "X")
INDEXED = tuple(f"gsi{n}{part}" for n in (1, 2, 3) for part in ("pk", "sk"))

keys = st.tuples(st.sampled_from(PKS), st.sampled_from(SKS))
# Mostly no condition, so that most writes happen.
conditions = st.sampled_from((None, None, None, "attribute_not_exists(pk)", "attribute_exists(pk)", "amount > :zero"))


def _index_value(name: str) -> st.SearchStrategy[dict[str, str]]:
    return st.sampled_from(INDEX_HASHES if name.endswith("pk") else INDEX_SORTS).map(lambda v: {"S": v})


@st.composite
def attributes(draw: Callable[[Any], Any]) -> dict[str, Any]:
    """An item's attributes besides its key: in each index with both keys, one key only, or not."""
    item: dict[str, Any] = {}
    for n in (1, 2, 3):
        shape = draw(st.sampled_from(("both", "both", "both", "none", "hash only", "sort only")))
        if shape in ("both", "hash only"):
            item[f"gsi{n}pk"] = draw(_index_value("pk"))
        if shape in ("both", "sort only"):
            item[f"gsi{n}sk"] = draw(_index_value("sk"))
    if draw(st.booleans()):
        item["amount"] = {"N": str(draw(st.integers(-5, 5)))}
    return item


@st.composite
def updates(draw: Callable[[Any], Any]) -> tuple[dict[str, Any], list[str], int | None]:
    """What an UpdateItem SETs (index keys moving), REMOVEs (leaving an index) and ADDs."""
    moved = draw(st.lists(st.sampled_from(INDEXED), max_size=3, unique=True))
    removed = draw(st.lists(st.sampled_from([n for n in INDEXED if n not in moved]), max_size=2, unique=True))
    added = draw(st.none() | st.integers(-2, 2))
    return {name: draw(_index_value(name)) for name in moved}, removed, added


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _with_condition(request: dict[str, Any], condition: str | None) -> dict[str, Any]:
    if condition is not None:
        request["ConditionExpression"] = condition
        if ":zero" in condition:
            request["ExpressionAttributeValues"] = {**request.get("ExpressionAttributeValues", {}),
                                                    ":zero": {"N": "0"}}
    return request


def _update(key: tuple[str, str], sets: dict[str, Any], removes: list[str], add: int | None) -> dict[str, Any]:
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    clauses = []
    if sets:
        parts = []
        for i, (name, value) in enumerate(sets.items()):
            names[f"#s{i}"], values[f":s{i}"] = name, value
            parts.append(f"#s{i} = :s{i}")
        clauses.append("SET " + ", ".join(parts))
    if removes:
        for i, name in enumerate(removes):
            names[f"#r{i}"] = name
        clauses.append("REMOVE " + ", ".join(f"#r{i}" for i in range(len(removes))))
    if add is not None:
        names["#add"], values[":add"] = "amount", {"N": str(add)}
        clauses.append("ADD #add :add")
    if not clauses:  # an update that changes nothing but still creates the item
        names["#k"], values[":k"] = "kind", {"S": "touched"}
        clauses.append("SET #k = :k")
    request: dict[str, Any] = {"Key": _key(*key), "UpdateExpression": " ".join(clauses),
                               "ExpressionAttributeNames": names}
    if values:
        request["ExpressionAttributeValues"] = values
    return request


def _range_condition(name: str, draw: Callable[[Any], Any]) -> tuple[str, dict[str, Any]]:
    """A sort-key condition on `name` (or none), and the values it uses."""
    kind = draw(st.sampled_from(("none", "eq", "begins_with", "between", "lt", "ge")))
    pool = SKS if name == "sk" else INDEX_SORTS
    if kind == "none":
        return "", {}
    if kind == "begins_with":
        return f" AND begins_with({name}, :r)", {":r": {"S": draw(st.sampled_from(PREFIXES))}}
    if kind == "between":
        low, high = sorted(draw(st.lists(st.sampled_from(pool + PREFIXES), min_size=2, max_size=2)))
        return f" AND {name} BETWEEN :lo AND :hi", {":lo": {"S": low}, ":hi": {"S": high}}
    operator = {"eq": "=", "lt": "<", "ge": ">="}[kind]
    return f" AND {name} {operator} :r", {":r": {"S": draw(st.sampled_from(pool + PREFIXES))}}


@st.composite
def queries(draw: Callable[[Any], Any]) -> dict[str, Any]:
    """A Query on the table or one of its indexes, with what DynamoDB lets a Query vary."""
    index = draw(st.sampled_from((None, 1, 2, 3)))
    if index is None:
        hash_name, range_name, hash_value = "pk", "sk", draw(st.sampled_from(PKS))
    else:
        hash_name, range_name = f"gsi{index}pk", f"gsi{index}sk"
        hash_value = draw(st.sampled_from(INDEX_HASHES))
    range_text, values = _range_condition(range_name, draw)
    request: dict[str, Any] = {
        "KeyConditionExpression": f"{hash_name} = :h{range_text}",
        "ExpressionAttributeValues": {":h": {"S": hash_value}, **values},
        "ScanIndexForward": draw(st.booleans()),
    }
    if index is not None:
        request["IndexName"] = f"gsi{index}"
    limit = draw(st.none() | st.integers(1, 4))
    if limit is not None:
        request["Limit"] = limit
    extra = draw(st.sampled_from(("none", "filter", "projection", "count")))
    if extra == "filter":
        request["FilterExpression"] = "attribute_exists(amount)"
    elif extra == "projection":
        request["ProjectionExpression"] = "pk, sk, amount"
    elif extra == "count":
        request["Select"] = "COUNT"
    return request


@pytest.fixture(scope="module")
def stock_dynamodb(fake_aws_environment: None) -> Iterator[Any]:
    """A client on moto's own server, unpatched: the reference."""
    port = free_port()
    server = start_process("stock-moto", [sys.executable, "-m", "moto.server", "--port", str(port)], port)
    yield boto3.client("dynamodb", endpoint_url=server.url, region_name="us-east-1")
    server.stop()


class Mismatch(AssertionError):
    """The two servers answered one request differently."""


def _answer(client: Any, operation: str, request: dict[str, Any]) -> dict[str, Any]:
    try:
        response = getattr(client, operation)(**request)
    except ClientError as error:
        response = error.response
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def test_every_query_answers_as_stock_moto_after_random_writes(dynamodb: Any, stock_dynamodb: Any) -> None:
    class Writes(RuleBasedStateMachine):
        """Each rule sends one request to both servers and wants the same answer."""

        @initialize()
        def create_table(self) -> None:
            self.table = f"retour-query-{uuid.uuid4().hex[:12]}"
            for client in (dynamodb, stock_dynamodb):
                ensure_table(client, self.table)

        def both(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
            request = {"TableName": self.table, **request}
            ours, stock = (_answer(c, operation, request) for c in (dynamodb, stock_dynamodb))
            if ours != stock:
                raise Mismatch(f"{operation} {request}\nours:  {ours}\nstock: {stock}")
            return ours

        @rule(key=keys, item=attributes(), condition=conditions)
        def put(self, key: tuple[str, str], item: dict[str, Any], condition: str | None) -> None:
            self.both("put_item", _with_condition({"Item": {**item, **_key(*key)}}, condition))

        @rule(key=keys, change=updates(), condition=conditions)
        def update(self, key: tuple[str, str], change: Any, condition: str | None) -> None:
            self.both("update_item", _with_condition(_update(key, *change), condition))

        @rule(key=keys, condition=conditions)
        def delete(self, key: tuple[str, str], condition: str | None) -> None:
            self.both("delete_item", _with_condition({"Key": _key(*key)}, condition))

        @rule(writes=st.dictionaries(keys, st.none() | attributes(), min_size=1, max_size=8))
        def batch_write(self, writes: dict[tuple[str, str], dict[str, Any] | None]) -> None:
            requests = [{"DeleteRequest": {"Key": _key(*key)}} if item is None
                        else {"PutRequest": {"Item": {**item, **_key(*key)}}} for key, item in writes.items()]
            request = {"RequestItems": {self.table: requests}}
            ours, stock = (_answer(c, "batch_write_item", request) for c in (dynamodb, stock_dynamodb))
            assert ours == stock

        @rule(actions=st.dictionaries(
            keys, st.tuples(st.sampled_from(("Put", "Update", "Delete", "ConditionCheck")), attributes(), updates(),
                            conditions), min_size=1, max_size=5))
        def transact(self, actions: dict[tuple[str, str], Any]) -> None:
            items = []
            for key, (kind, item, change, condition) in actions.items():
                if kind == "Put":
                    body: dict[str, Any] = {"Item": {**item, **_key(*key)}}
                elif kind == "Update":
                    body = _update(key, *change)
                else:
                    body = {"Key": _key(*key)}
                if kind == "ConditionCheck" and condition is None:
                    condition = "attribute_exists(pk)"
                items.append({kind: _with_condition({"TableName": self.table, **body}, condition)})
            ours, stock = (_answer(c, "transact_write_items", {"TransactItems": items})
                           for c in (dynamodb, stock_dynamodb))
            assert ours == stock, f"{items}\nours:  {ours}\nstock: {stock}"

        @rule()
        def recreate_table(self) -> None:
            # A new table of the same name must not see the old one's items through an index.
            for client in (dynamodb, stock_dynamodb):
                client.delete_table(TableName=self.table)
                client.create_table(**create_table_request(self.table))

        def pages(self, request: dict[str, Any]) -> None:
            for _page in range(60):
                answer = self.both("query", request)
                if "LastEvaluatedKey" not in answer:
                    return
                request = {**request, "ExclusiveStartKey": answer["LastEvaluatedKey"]}
            raise AssertionError(f"pagination did not end: {request}")

        @rule(requests=st.lists(queries(), min_size=1, max_size=4))
        def query(self, requests: list[dict[str, Any]]) -> None:
            for request in requests:
                self.pages(request)

        @rule()
        def query_every_partition(self) -> None:
            # Catches an index entry gone stale, whichever write left it.
            for pk in PKS:
                self.pages({"KeyConditionExpression": "pk = :h", "ExpressionAttributeValues": {":h": {"S": pk}}})
            for n in (1, 2, 3):
                for value in INDEX_HASHES:
                    self.pages({"IndexName": f"gsi{n}", "KeyConditionExpression": f"gsi{n}pk = :h",
                                "ExpressionAttributeValues": {":h": {"S": value}}, "Limit": 3})

        def teardown(self) -> None:
            for client in (dynamodb, stock_dynamodb):
                client.delete_table(TableName=self.table)

    run_state_machine_as_test(Writes, settings=settings(
        max_examples=25, stateful_step_count=50, deadline=None, derandomize=True, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))


# --- the patch is really in effect: a Query never looks at the whole table ---

ACCOUNT, REGION = "123456789012", "us-east-1"


@pytest.fixture
def backend() -> Iterator[DynamoDBBackend]:
    """moto's DynamoDB models in this process, patched, with the stage's table holding 3,000 orders."""
    moto_query.install()
    try:
        backend = DynamoDBBackend(REGION, ACCOUNT)
        request = create_table_request("retour-local")
        backend.create_table(
            "retour-local", schema=request["KeySchema"], throughput=None, attr=request["AttributeDefinitions"],
            global_indexes=request.get("GlobalSecondaryIndexes"), indexes=None, streams=None,
            billing_mode=request.get("BillingMode", "PAY_PER_REQUEST"), sse_specification=None, tags=[],
            deletion_protection_enabled=False, warm_throughput=None)
        for i in range(3_000):
            backend.put_item("retour-local", {
                "pk": {"S": f"ORDER#{i}"}, "sk": {"S": "ORDER"}, "gsi1pk": {"S": f"CUSTOMER#{i % 1000}"},
                "gsi1sk": {"S": f"ORDER#2026-01-01#{i}"}, "gsi2pk": {"S": "ORDERS#2026-01"},
                "gsi2sk": {"S": f"2026-01-01#{i}"}})
        yield backend
    finally:
        moto_query.uninstall()


def _query(backend: Any, hash_value: str, *, index: str | None = None, begins_with: str | None = None,
           forward: bool = True) -> list[str]:
    """The pk of each item a Query through moto's backend returns, in order."""
    hash_key = {"S": hash_value}
    range_name = "sk" if index is None else f"{index}sk"
    items, _, _ = backend.query(
        "retour-local", hash_key, "BEGINS_WITH" if begins_with else None,
        [{"S": begins_with}] if begins_with else [], None, None, forward, None, index_name=index,
        hash_key_conditions=[("pk" if index is None else f"{index}pk", hash_key)],
        range_key_conditions=[(range_name, "BEGINS_WITH", [{"S": begins_with}])] if begins_with else None)
    return [item.attrs["pk"].value for item in items]


def _whole_table(table: Any) -> list[Any]:
    raise AssertionError("a Query listed every item of the table")


def test_a_query_reads_only_its_partition_of_the_table_or_index(
    backend: DynamoDBBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(moto_query._stock, "all_items", _whole_table)
    assert _query(backend, "ORDER#7") == ["ORDER#7"]
    assert _query(backend, "CUSTOMER#7", index="gsi1", begins_with="ORDER#", forward=False) == [
        "ORDER#7", "ORDER#2007", "ORDER#1007"]


def test_an_index_follows_updates_in_place_and_deletes(backend: DynamoDBBackend) -> None:
    backend.update_item("retour-local", {"pk": {"S": "ORDER#7"}, "sk": {"S": "ORDER"}},
                        "SET gsi1pk = :c", {}, {":c": {"S": "CUSTOMER#new"}})
    backend.delete_item("retour-local", {"pk": {"S": "ORDER#1007"}, "sk": {"S": "ORDER"}})

    assert _query(backend, "CUSTOMER#7", index="gsi1") == ["ORDER#2007"]
    assert _query(backend, "CUSTOMER#new", index="gsi1") == ["ORDER#7"]
