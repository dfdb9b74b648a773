"""What the DynamoDB benchmarks share: a local AWS server with the stage's table, a Chalice test
client on it, and a recorder of every DynamoDB call with its estimated capacity units."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

ADMIN = {"Authorization": "Bearer local-admin-key", "Content-Type": "application/json"}
JSON = {"Content-Type": "application/json"}
TABLE = "retour-local"


def days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def an_order(number: str, *, quantity: int = 2) -> dict[str, Any]:
    """A USD order delivered three days ago, two lines: the shape of PRODUCT.md's order body."""
    return {
        "number": number, "email": f"shopper{number}@example.com", "customer_name": "Sam Shopper",
        "locale": "en", "currency": "USD", "placed_at": days_ago(5), "delivered_at": days_ago(3),
        "shipping_address": {"name": "Sam Shopper", "line1": "1 Main St", "line2": "", "city": "Reno",
                             "region": "NV", "postal_code": "89501", "country": "US"},
        # Paid outside Stripe: an import asks Stripe about a PaymentIntent (it must pay for the
        # order), and these figures are about DynamoDB (bench/return_life.py pays on localstripe).
        "payment": {"provider": "other", "payment_intent": None},
        "shipping_total": 500,
        "lines": [
            {"id": "L1", "sku": "TEE-M", "title": "Organic tee, M", "quantity": quantity, "unit_price": 3300,
             "tax": 300, "discount": 0, "product_type": "apparel", "tags": [], "final_sale": False},
            {"id": "L2", "sku": "SOCK-3P", "title": "Socks, 3 pairs", "quantity": 1, "unit_price": 1500,
             "tax": 150, "discount": 0, "product_type": "apparel", "tags": [], "final_sale": False},
        ],
    }


# --- DynamoDB item size and capacity (the published rules, applied to the items themselves) ---

def _value_size(value: dict[str, Any]) -> int:
    (kind, inner), = value.items()
    if kind in ("S", "B"):
        return len(str(inner).encode())
    if kind == "N":
        return len(str(inner).lstrip("-").replace(".", "")) // 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(len(str(v).encode()) for v in inner)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + _value_size(v) for k, v in inner.items())
    return 0


def item_size(item: dict[str, Any] | None) -> int:
    """Bytes DynamoDB bills for `item`: attribute names plus values."""
    return sum(len(name.encode()) + _value_size(value) for name, value in (item or {}).items())


def _read_units(size: int, consistent: bool) -> float:
    return max(1, math.ceil(size / 4096)) * (1.0 if consistent else 0.5)


def _write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


@dataclass(frozen=True)
class Index:
    """A global secondary index as the table describes it."""

    name: str
    keys: tuple[str, ...]
    projection: str  # ALL, KEYS_ONLY or INCLUDE
    included: tuple[str, ...] = ()

    def entry(self, item: dict[str, Any] | None, table_keys: tuple[str, ...]) -> dict[str, Any] | None:
        """What the index holds for `item` (None when the item is not in this sparse index)."""
        if item is None or any(key not in item for key in self.keys):
            return None
        if self.projection == "ALL":
            return item
        kept = set(self.keys) | set(table_keys) | (set(self.included) if self.projection == "INCLUDE" else set())
        return {name: value for name, value in item.items() if name in kept}

    def write_units(self, old: dict[str, Any] | None, new: dict[str, Any] | None,
                    table_keys: tuple[str, ...]) -> int:
        """Index writes a change of one item costs: a new entry, a removed one, a rewritten one,
        or two (delete + put) when the index key changed."""
        before, after = self.entry(old, table_keys), self.entry(new, table_keys)
        if before is None and after is None:
            return 0
        if before is None:
            return _write_units(item_size(after))
        if after is None:
            return _write_units(item_size(before))
        if any(before[key] != after[key] for key in self.keys):
            return _write_units(item_size(before)) + _write_units(item_size(after))
        return _write_units(item_size(after)) if before != after else 0


def _keys_of(operation: str, params: dict[str, Any], table_keys: tuple[str, ...]) -> list[tuple[dict[str, Any], bool]]:
    """The primary keys a write request touches, each with whether it rides in a transaction."""
    def key(item: dict[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in table_keys}

    if operation == "PutItem":
        return [(key(params["Item"]), False)]
    if operation in ("UpdateItem", "DeleteItem"):
        return [(params["Key"], False)]
    if operation == "BatchWriteItem":
        return [(key(r["PutRequest"]["Item"]) if "PutRequest" in r else r["DeleteRequest"]["Key"], False)
                for requests in params.get("RequestItems", {}).values() for r in requests]
    if operation == "TransactWriteItems":
        touched = []
        for action in params.get("TransactItems", []):
            (kind, body), = action.items()
            if kind != "ConditionCheck":
                touched.append((key(body["Item"]) if kind == "Put" else body["Key"], True))
        return touched
    return []


@dataclass
class Calls:
    """DynamoDB calls seen, with the read and write units DynamoDB's published rules give them.

    moto answers ReturnConsumedCapacity with a fixed 0.5 or 1.0 whatever the item, so the units
    are computed here from the items themselves, read uncounted around each write through a
    second client (the benchmarks run one request at a time, so the images are exact):
    - reads: per 4 KB of the items read (a Query sums them; Select=COUNT still reads them),
      halved when eventually consistent;
    - writes: per 1 KB of the larger of the item before and after, twice inside a transaction;
      a ConditionCheck in a transaction counts 2;
    - indexes: every GSI entry written, removed or rewritten counts per 1 KB of what the index
      projects (ALL: the whole item, so changing any attribute rewrites it), two when the index
      key moves. These index writes are counted once even inside a transaction: the transaction
      commits the table items, and DynamoDB propagates to the indexes as ordinary writes.
    """

    peek: Any = None  # an uncounted client on the same server
    table: str = ""
    table_keys: tuple[str, ...] = ("pk", "sk")
    indexes: tuple[Index, ...] = ()
    operations: list[str] = field(default_factory=list)
    read_units: float = 0.0
    write_units: float = 0.0

    def reset(self) -> None:
        self.operations.clear()
        self.read_units = self.write_units = 0.0

    def _image(self, key: dict[str, Any]) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self.peek.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
        return item

    def before(self, operation: str, params: dict[str, Any]) -> list[tuple[dict[str, Any], bool, dict[str, Any] | None]]:
        """The items a write is about to change, as they are now."""
        return [(key, transactional, self._image(key)) for key, transactional in _keys_of(operation, params, self.table_keys)]

    def record(self, operation: str, params: dict[str, Any], parsed: dict[str, Any],
               before: list[tuple[dict[str, Any], bool, dict[str, Any] | None]]) -> None:
        self.operations.append(operation)
        consistent = bool(params.get("ConsistentRead"))
        if operation == "GetItem":
            self.read_units += _read_units(item_size(parsed.get("Item")), consistent)
        elif operation in ("Query", "Scan"):
            items = parsed.get("Items")
            if items is None:  # Select=COUNT: DynamoDB still reads (and bills) the entries
                again = {k: v for k, v in params.items() if k not in ("Select",)}
                items = self.peek.query(**again).get("Items", []) if operation == "Query" else []
            self.read_units += _read_units(sum(item_size(i) for i in items), consistent)
        elif operation == "BatchGetItem":
            for table, items in parsed.get("Responses", {}).items():
                strong = bool(params.get("RequestItems", {}).get(table, {}).get("ConsistentRead"))
                self.read_units += sum(_read_units(item_size(i), strong) for i in items)
        elif operation == "TransactGetItems":
            for response in parsed.get("Responses", []):
                self.read_units += 2 * _read_units(item_size(response.get("Item")), True)
        if operation == "TransactWriteItems":
            checks = sum(1 for a in params.get("TransactItems", []) if "ConditionCheck" in a)
            self.write_units += 2 * checks
        for key, transactional, old in before:
            new = self._image(key)
            base = _write_units(max(item_size(old), item_size(new)))
            self.write_units += base * (2 if transactional else 1)
            self.write_units += sum(index.write_units(old, new, self.table_keys) for index in self.indexes)


@contextmanager
def local_aws() -> Iterator[str]:
    """A local AWS server (moto, one request at a time) on a free port, with the local stage's
    table, label bucket, sender identity and refund queues; the environment points the app at it."""
    from devstack.processes import free_port, start_server

    server = start_server("devstack.aws_server", free_port())
    try:
        provision_local_stage(server.url)
        yield server.url
    finally:
        server.stop()


def provision_local_stage(url: str) -> Any:
    """Point the app's environment at the local AWS server `url` and create what the local stage
    uses there (table, label bucket, sender identity, refund queues); a botocore client factory."""
    import botocore.session

    from chalicelib.settings import Settings
    from devstack.s3 import ensure_bucket
    from devstack.ses import ensure_ses_identity
    from devstack.sqs import ensure_refund_queues
    from devstack.tables import ensure_table

    os.environ.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local", AWS_DEFAULT_REGION="us-east-1",
                      RETOUR_STAGE="local", RETOUR_LOOKUP_LIMIT="100000000", RETOUR_AWS_ENDPOINT_URL=url)
    session = botocore.session.get_session()

    def client(service: str) -> Any:
        return session.create_client(service, endpoint_url=url, region_name="us-east-1",
                                     aws_access_key_id="local", aws_secret_access_key="local")

    ensure_table(client("dynamodb"), TABLE)
    settings = Settings.from_env()
    if settings.label_bucket:
        ensure_bucket(client("s3"), settings.label_bucket)
    ensure_ses_identity(client("ses"), settings.mail_from)
    ensure_refund_queues(client("sqs"), settings.refund_queue_name)
    return client


def record_calls(dynamodb: Any) -> Calls:
    """A Calls that every call of the botocore client `dynamodb` reports to."""
    import botocore.session

    peek = botocore.session.get_session().create_client(
        "dynamodb", endpoint_url=dynamodb.meta.endpoint_url, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local")
    table = peek.describe_table(TableName=TABLE)["Table"]
    indexes = tuple(
        Index(name=index["IndexName"], keys=tuple(k["AttributeName"] for k in index["KeySchema"]),
              projection=index["Projection"]["ProjectionType"],
              included=tuple(index["Projection"].get("NonKeyAttributes", ())))
        for index in table.get("GlobalSecondaryIndexes", [])
    )
    calls = Calls(peek=peek, table=TABLE, table_keys=tuple(k["AttributeName"] for k in table["KeySchema"]),
                  indexes=indexes)

    def before_call(params: dict[str, Any], context: dict[str, Any], model: Any, **kwargs: Any) -> None:
        context["bench_params"] = params
        context["bench_before"] = calls.before(model.name, params)

    def after_call(http_response: Any, parsed: dict[str, Any], model: Any, **kwargs: Any) -> None:
        context = kwargs.get("context", {})
        calls.record(model.name, context.get("bench_params", {}), parsed, context.get("bench_before", []))

    dynamodb.meta.events.register("before-parameter-build.dynamodb", before_call)
    dynamodb.meta.events.register("after-call.dynamodb", after_call)
    return calls


def app_client() -> tuple[Any, Calls]:
    """Chalice's test client on app.py (local stage) and the recorder of its DynamoDB calls."""
    from chalice.test import Client

    from app import app
    from chalicelib.bootstrap import get_deps

    client = Client(app, stage_name="local")
    get_deps.cache_clear()
    # The client sets the stage's environment (.chalice/config.json) only during a request:
    # the first one builds the container's Deps from it.
    client.http.get("/")
    calls = record_calls(get_deps().orders._client)
    return client, calls


def put_policy_and_orders(client: Any, numbers: list[str]) -> None:
    assert client.http.put("/api/v1/admin/policy", headers=ADMIN, body=json.dumps({})).status_code == 200
    for number in numbers:
        response = client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN,
                                   body=json.dumps(an_order(number)))
        assert response.status_code in (200, 201), response.body


def lookup(client: Any, number: str) -> Any:
    return client.http.post("/api/v1/lookup", headers=JSON,
                            body=json.dumps({"order_number": number, "email": f"shopper{number}@example.com"}))


def create_return(client: Any, token: str, number: str, *, line: str = "L1") -> Any:
    return client.http.post(
        "/api/v1/returns", headers={**JSON, "Authorization": f"Bearer {token}"},
        body=json.dumps({"order_number": number, "resolution": "refund",
                         "lines": [{"line_id": line, "quantity": 1, "reason": "too_small"}]}))


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]
