"""The payment ledger (`ORDER#{number}` / `PAYMENT`): the refund ceiling we enforce ourselves.

Stripe's own limit is not enough (and localstripe has none): the remaining refundable amount
lives on one item and is taken off with a condition `>= amount` in the same transaction that
moves the return to refunding, since a condition cannot add up several items.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from ..domain.money import Money
from ..domain.order import Order
from ..domain.refunds import ChargeDisputedError, PaymentLedgerState, RefundCeilingError
from ..domain.return_request import REFUNDING, ReturnRequest
from .dynamodb_items import from_item, order_partition, is_conditional_check_failure, iso, query_all
from .dynamodb_returns import DynamoDBReturnRepository, stale
from .dynamodb_transaction import DynamoDBTransaction, TransactionRefusedError


def payment_key(order_number: str) -> dict[str, Any]:
    return {"pk": {"S": order_partition(order_number)}, "sk": {"S": "PAYMENT"}}


class DynamoDBPaymentLedger:
    """PaymentLedger on the single table; the ceiling changes in the return's move (its unit of work)."""

    def __init__(self, client: Any, table_name: str, returns: DynamoDBReturnRepository) -> None:
        self._client = client
        self._table = table_name
        self._returns = returns

    def ensure(self, order: Order, *, now: datetime) -> None:
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    **payment_key(order.number),
                    "entity": {"S": "payment"},
                    "order_number": {"S": order.number},
                    "currency": {"S": order.currency},
                    "captured": {"N": str(order.total.minor)},
                    "remaining_refundable": {"N": str(order.total.minor)},
                    "payment_intent": {"S": order.payment.payment_intent or ""},
                    "outside_refunds": {"M": {}},
                    "created_at": {"S": iso(now) or ""},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise

    def get(self, order_number: str) -> PaymentLedgerState | None:
        response = self._client.get_item(TableName=self._table, Key=payment_key(order_number), ConsistentRead=True)
        if "Item" not in response:
            return None
        record = from_item(response["Item"])
        currency = record["currency"]
        return PaymentLedgerState(
            order_number=order_number,
            captured=Money(record["captured"], currency),
            remaining_refundable=Money(record["remaining_refundable"], currency),
            payment_intent=record.get("payment_intent") or None,
            dispute_id=record.get("dispute_id") or None,
        )

    def start_refund(self, request: ReturnRequest, *, new_events: int, now: datetime) -> ReturnRequest:
        assert request.refund is not None and request.status == REFUNDING
        amount = request.refund.amount
        move = self._returns.move(request, new_events=new_events, now=now)
        move.update(
            "payment", payment_key(request.order_number),
            "SET remaining_refundable = remaining_refundable - :amount, updated_at = :now",
            # The ceiling: never more than what is left, whatever the provider would accept; and
            # nothing leaves a disputed charge (Stripe refuses it, and the merchant decides).
            condition="currency = :currency AND remaining_refundable >= :amount AND attribute_not_exists(dispute_id)",
            values={
                ":amount": {"N": str(amount.minor)},
                ":currency": {"S": amount.currency},
                ":now": {"S": iso(now) or ""},
            },
        )
        return self._commit(request, move)

    def fail_refund(self, request: ReturnRequest, *, new_events: int, now: datetime) -> ReturnRequest:
        assert request.refund is not None
        move = self._returns.move(request, new_events=new_events, now=now)
        move.update(
            "payment", payment_key(request.order_number),
            # No money left: the amount is refundable again (a retry or store credit takes it).
            "SET remaining_refundable = remaining_refundable + :amount, updated_at = :now",
            condition="attribute_exists(pk)",
            values={":amount": {"N": str(request.refund.amount.minor)}, ":now": {"S": iso(now) or ""}},
        )
        return self._commit(request, move)

    def record_outside_refund(self, order_number: str, refund_id: str, amount: Money, *, now: datetime) -> bool:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=payment_key(order_number),
                UpdateExpression=(
                    "SET remaining_refundable = remaining_refundable - :amount, "
                    "outside_refunds.#refund = :amount, updated_at = :now"
                ),
                # Once per refund id: the webhook may bring the same refund several times.
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(outside_refunds.#refund)",
                ExpressionAttributeNames={"#refund": refund_id},
                ExpressionAttributeValues={":amount": {"N": str(amount.minor)}, ":now": {"S": iso(now) or ""}},
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True

    def open_dispute(self, order: Order, dispute_id: str, *, now: datetime) -> bool:
        self.ensure(order, now=now)
        return self._update_if(
            order.number,
            "SET dispute_id = :dispute, disputed_at = :now, updated_at = :now",
            # Never a dispute already closed: Stripe may deliver `created` after `closed`.
            "attribute_exists(pk) AND (attribute_not_exists(dispute_id) OR dispute_id <> :dispute)"
            " AND NOT contains(closed_disputes, :dispute)",
            {":dispute": {"S": dispute_id}, ":now": {"S": iso(now) or ""}},
        )

    def close_dispute(self, order_number: str, dispute_id: str, *, now: datetime) -> bool:
        values = {":dispute": {"S": dispute_id}, ":closed": {"SS": [dispute_id]}, ":now": {"S": iso(now) or ""}}
        if self._update_if(
            order_number,
            "REMOVE dispute_id, disputed_at SET updated_at = :now ADD closed_disputes :closed",
            "dispute_id = :dispute",
            values,
        ):
            return True
        # Not the open one (closed twice, or before its `created` arrived): remember it as closed.
        self._update_if(order_number, "SET updated_at = :now ADD closed_disputes :closed", "attribute_exists(pk)",
                        {k: v for k, v in values.items() if k != ":dispute"})
        return False

    def _update_if(self, order_number: str, update: str, condition: str, values: dict[str, Any]) -> bool:
        try:
            self._client.update_item(
                TableName=self._table, Key=payment_key(order_number), UpdateExpression=update,
                ConditionExpression=condition, ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True

    def stuck_refunding(self, *, older_than: datetime) -> list[str]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "gsi2",
            "KeyConditionExpression": "gsi2pk = :status AND gsi2sk < :before",
            "ExpressionAttributeValues": {
                ":status": {"S": f"RETURNS#{REFUNDING}"}, ":before": {"S": iso(older_than) or ""},
            },
        }
        return [record["rma"] for record in query_all(self._client, request)]

    def _disputed(self, order_number: str) -> bool:
        response = self._client.get_item(
            TableName=self._table, Key=payment_key(order_number), ConsistentRead=True,
            ProjectionExpression="dispute_id",
        )
        return "dispute_id" in response.get("Item", {})

    def _commit(self, request: ReturnRequest, move: DynamoDBTransaction) -> ReturnRequest:
        """Write the return's move and the ceiling's change together, or say why neither was."""
        try:
            move.commit()
        except TransactionRefusedError as refused:
            if refused.codes == {"payment": "ConditionalCheckFailed"}:
                # The payment item alone said no: a dispute, or not enough left.
                if self._disputed(request.order_number):
                    raise ChargeDisputedError(
                        f"the charge of order {request.order_number} is disputed; return {request.rma} waits"
                    ) from refused
                raise RefundCeilingError(
                    f"the refund of return {request.rma} is above what is still refundable on order "
                    f"{request.order_number}"
                ) from refused
            raise stale(request) from refused
        return request.with_version(request.version + 1)
