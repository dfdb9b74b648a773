"""Orders in the single DynamoDB table (keys and indexes: docs/data-model.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from ..domain.errors import StaleWriteError
from ..domain.money import Money
from ..domain.order import Address, Order, OrderLine, Payment
from ..domain.reservations import ReturnedUnits
from .dynamodb_items import email_key, order_partition, from_item, is_conditional_check_failure, iso, parse_iso, query_all, to_item
from .dynamodb_returns import units_from_records
from .recent_months import MAX_EMPTY_MONTHS, months_back_from


def order_key(number: str) -> dict[str, Any]:
    return {"pk": {"S": order_partition(number)}, "sk": {"S": "ORDER"}}


def payment_intent_key(payment_intent: str) -> str:
    """The gsi3 partition of the orders a PaymentIntent paid (Stripe webhooks name no order)."""
    return f"PAYMENT_INTENT#{payment_intent}"


class DynamoDBOrderRepository:
    """OrderRepository on DynamoDB: one item per order, written only on its expected version."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, number: str, *, consistent: bool = False) -> Order | None:
        response = self._client.get_item(
            TableName=self._table, Key=order_key(number), ConsistentRead=consistent
        )
        item = response.get("Item")
        return None if item is None else order_from_record(from_item(item))

    def get_with_units(self, number: str) -> tuple[Order | None, ReturnedUnits]:
        # The order item (sk ORDER) and its line reservations (sk LINE#...) share a partition and
        # sort next to each other: one eventually consistent Query reads both, billed on their
        # summed size (one half unit below 4 KB, where a GetItem and a Query cost one each).
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :order",
            "ExpressionAttributeValues": {
                ":pk": {"S": order_partition(number)}, ":first": {"S": "LINE#"}, ":order": {"S": "ORDER"},
            },
        }
        records = query_all(self._client, request)
        order = next((order_from_record(r) for r in records if r.get("sk") == "ORDER"), None)
        return order, units_from_records(records)

    def save(self, order: Order, *, now: datetime) -> Order:
        stored = order.with_version(order.version + 1)
        record = order_record(stored)
        try:
            if order.version == 0:
                record["created_at"] = iso(now)
                self._client.put_item(
                    TableName=self._table,
                    Item=to_item(record),
                    ConditionExpression="attribute_not_exists(pk)",
                )
            else:
                record["updated_at"] = iso(now)
                self._replace(record, expected_version=order.version)
        except ClientError as error:
            if is_conditional_check_failure(error):
                raise StaleWriteError(
                    f"order {order.number} was changed by someone else; read it again"
                ) from error
            raise
        return stored

    def recent(self, limit: int, *, now: datetime) -> list[Order]:
        found: list[Order] = []
        empty_run = 0
        for month in months_back_from(now):
            if len(found) >= limit or empty_run >= MAX_EMPTY_MONTHS:
                break
            in_month = self._orders_of_month(month, limit - len(found))
            empty_run = 0 if in_month else empty_run + 1
            found.extend(in_month)
        return found

    def paid_by(self, payment_intent: str) -> list[Order]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "gsi3",
            "KeyConditionExpression": "gsi3pk = :intent",
            "ExpressionAttributeValues": {":intent": {"S": payment_intent_key(payment_intent)}},
            "ProjectionExpression": "#number",
            "ExpressionAttributeNames": {"#number": "number"},
        }
        numbers = [record["number"] for record in query_all(self._client, request)]
        # The index lags the table: read each order again and keep it only if it still names
        # this PaymentIntent (a re-import may have just moved it to another one).
        orders = (self.get(number, consistent=True) for number in numbers)
        return [o for o in orders if o is not None and o.payment.payment_intent == payment_intent]

    def _orders_of_month(self, month: str, limit: int) -> list[Order]:
        """Up to `limit` orders placed in `month`, newest first (gsi2, one partition per month)."""
        orders: list[Order] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "gsi2",
            "KeyConditionExpression": "gsi2pk = :month",
            "ExpressionAttributeValues": {":month": {"S": f"ORDERS#{month}"}},
            "ScanIndexForward": False,
        }
        while len(orders) < limit:
            request["Limit"] = limit - len(orders)
            response = self._client.query(**request)
            orders.extend(order_from_record(from_item(item)) for item in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                break
            request["ExclusiveStartKey"] = last
        return orders

    def _replace(self, record: dict[str, Any], *, expected_version: int) -> None:
        # UpdateItem rather than PutItem, so the first import's created_at survives without a read.
        item = to_item(record)
        key = {name: item.pop(name) for name in ("pk", "sk")}
        names = {f"#a{i}": name for i, name in enumerate(item)}
        values = {f":v{i}": value for i, value in enumerate(item.values())}
        values[":expected"] = {"N": str(expected_version)}
        expression = "SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(item)))
        # None attributes are left out of the item; a replace must clear them.
        cleared = [
            name for name in ("delivered_at", "fulfilled_at", "gsi3pk", "gsi3sk") if record.get(name) is None
        ]
        if cleared:
            names.update({f"#c{j}": name for j, name in enumerate(cleared)})
            expression += " REMOVE " + ", ".join(f"#c{j}" for j in range(len(cleared)))
        self._client.update_item(
            TableName=self._table,
            Key=key,
            UpdateExpression=expression,
            ConditionExpression="version = :expected",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )


def order_record(order: Order) -> dict[str, Any]:
    """The order as the attributes of its item, index keys included."""
    placed = iso(order.placed_at)
    assert placed is not None
    intent = order.payment.payment_intent
    return {
        "pk": order_partition(order.number),
        "sk": "ORDER",
        "entity": "order",
        "version": order.version,
        # Orders of one shopper (lookups, the 90-day return count).
        "gsi1pk": f"CUSTOMER#{email_key(order.customer_email)}",
        "gsi1sk": f"ORDER#{placed}#{order.number}",
        # Recent orders of the store, one partition per month (policy dry runs).
        "gsi2pk": f"ORDERS#{placed[:7]}",
        "gsi2sk": f"{placed}#{order.number}",
        # The order a Stripe event about its PaymentIntent is about (sparse: without one, no
        # entry; a replace without one removes it, one with another PaymentIntent moves it).
        "gsi3pk": payment_intent_key(intent) if intent else None,
        "gsi3sk": f"ORDER#{order.number}" if intent else None,
        "number": order.number,
        "email": order.email,
        "customer_name": order.customer_name,
        "locale": order.locale,
        "currency": order.currency,
        "placed_at": placed,
        "delivered_at": iso(order.delivered_at),
        "fulfilled_at": iso(order.fulfilled_at),
        "shipping_address": {
            "name": order.shipping_address.name,
            "line1": order.shipping_address.line1,
            "line2": order.shipping_address.line2,
            "city": order.shipping_address.city,
            "region": order.shipping_address.region,
            "postal_code": order.shipping_address.postal_code,
            "country": order.shipping_address.country,
        },
        "payment": {
            "provider": order.payment.provider,
            "payment_intent": order.payment.payment_intent or "",
        },
        "shipping_total": order.shipping_total.minor,
        "lines": [
            _line_record(line) | {
                "id": line.id,
                "sku": line.sku,
                "title": line.title,
                "quantity": line.quantity,
                "unit_price": line.unit_price.minor,
                "tax": line.tax.minor,
                "discount": line.discount.minor,
                "product_type": line.product_type,
                "tags": list(line.tags),
                "final_sale": line.final_sale,
            }
            for line in order.lines
        ],
    }


def _line_record(line: OrderLine) -> dict[str, Any]:
    """The catalog product a line was sold as, only on a line that names one (older items and
    lines without a product keep their shape)."""
    named: dict[str, Any] = {}
    if line.product_id:
        named["product_id"] = line.product_id
    if line.options:
        named["options"] = [list(pair) for pair in line.options]
    return named


def order_from_record(record: dict[str, Any]) -> Order:
    """The Order an item holds."""
    currency: str = record["currency"]
    address = record["shipping_address"]
    placed_at = parse_iso(record["placed_at"])
    assert placed_at is not None
    return Order(
        number=record["number"],
        email=record["email"],
        customer_name=record["customer_name"],
        locale=record["locale"],
        currency=currency,
        placed_at=placed_at,
        delivered_at=parse_iso(record.get("delivered_at")),
        fulfilled_at=parse_iso(record.get("fulfilled_at")),
        shipping_address=Address(
            name=address["name"], line1=address["line1"], line2=address.get("line2", ""),
            city=address["city"], region=address.get("region", ""),
            postal_code=address["postal_code"], country=address["country"],
        ),
        payment=Payment(
            provider=record["payment"]["provider"],
            payment_intent=record["payment"].get("payment_intent") or None,
        ),
        shipping_total=Money(record["shipping_total"], currency),
        lines=tuple(
            OrderLine(
                id=line["id"], sku=line["sku"], title=line["title"], quantity=line["quantity"],
                unit_price=Money(line["unit_price"], currency), tax=Money(line["tax"], currency),
                discount=Money(line["discount"], currency), product_type=line.get("product_type", ""),
                tags=tuple(line.get("tags", [])), final_sale=line.get("final_sale", False),
                product_id=line.get("product_id", ""),
                options=tuple((name, value) for name, value in line.get("options", [])),
            )
            for line in record["lines"]
        ),
        version=record["version"],
    )
