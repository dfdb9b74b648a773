"""Returns, their timelines and the units they reserve, in the single DynamoDB table.

Keys and indexes: docs/data-model.md (return, return event, line reservation).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from ..domain.errors import ConflictError, RetourError, StaleWriteError
from ..domain.exchange import ExchangeStockGoneError, OutOfStockError
from ..domain.money import Money
from ..domain.outbound_events import outbound_events
from ..domain.quote import Quote, QuoteLine
from ..domain.reservations import (
    CountReturned,
    Release,
    Reserve,
    ReturnedUnits,
    StockFulfil,
    StockRelease,
    StockReserve,
)
from ..domain.return_limits import CreationLimits, CustomerCapReachedError, OrderDayLimitReachedError
from ..domain.return_request import (
    APPROVED,
    Condition,
    DifferencePayment,
    EventKind,
    ExchangeOrder,
    ExchangeOrderLine,
    Milestones,
    ReceivedLine,
    ReturnStatus,
    UNITS_TAKEN_MESSAGE,
    RefundAttempt,
    ReturnEvent,
    ReturnLine,
    ReturnRequest,
    RmaTakenError,
)
from .dynamodb_items import (
    count_all,
    query_all,
    email_key,
    iso,
    order_partition,
    parse_iso,
    to_attribute,
    to_item,
)
from .dynamodb_products import fulfil_stock, refused_skus, release_stock, reserve_stock, stock_item, variant_key
from .dynamodb_transaction import DynamoDBTransaction, TransactionRefusedError
from .dynamodb_webhooks import outbox_record

log = logging.getLogger("retour.returns")

# The 90-day window of `max_returns_per_customer_90d`.
CUSTOMER_WINDOW = timedelta(days=90)
# The partition of the returns that owe a paid price difference back (one item each, pattern 53).
DIFFERENCES_OWED = "DIFFERENCES_OWED"
# A crowd of one shopper's creations takes turns on their count: each lost turn reads it again.
_COUNTER_ATTEMPTS = 12
_COUNTER_BACKOFF = 0.01
# A day's counter is only read that day; TTL removes it after.
_ORDER_DAY_KEPT = timedelta(days=2)


def return_key(rma: str) -> dict[str, Any]:
    return {"pk": {"S": f"RETURN#{rma}"}, "sk": {"S": "RETURN"}}


def line_key(order_number: str, line_id: str) -> dict[str, Any]:
    return {"pk": {"S": order_partition(order_number)}, "sk": {"S": f"LINE#{line_id}"}}


def order_day_key(order_number: str, day: date) -> dict[str, Any]:
    """The counter of the returns an order started on one day (the store's local date)."""
    return {"pk": {"S": order_partition(order_number)}, "sk": {"S": f"DAY#{day.isoformat()}"}}


def customer_returns_key(email: str) -> dict[str, Any]:
    """The shopper's latest return starts (the 90-day cap)."""
    return {"pk": {"S": f"CUSTOMER#{email_key(email)}"}, "sk": {"S": "RETURNS_STARTED"}}


class DynamoDBReturnRepository:
    """ReturnRepository on DynamoDB: a return, its events and its reservations in one transaction."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, request: ReturnRequest, *, line_quantities: Mapping[str, int], now: datetime,
               limits: CreationLimits | None = None) -> ReturnRequest:
        stored = request.with_version(1)
        # The aggregate refuses a line asking for more than the order holds (the condition below
        # cannot see a line's size when its item is new).
        reservations = request.reservations(line_quantities)
        # An exchange promises its replacements in the same write: the last unit goes to one return.
        promised = _units_by_variant(request.stock_reservations())
        for attempt in range(_COUNTER_ATTEMPTS):
            transaction = DynamoDBTransaction(self._client, self._table)
            transaction.put("return", to_item(return_record(stored, event_count=len(stored.events))),
                            condition="attribute_not_exists(pk)")
            transaction.put("first event", to_item(event_record(stored.rma, stored.events[0], 0)),
                            condition="attribute_not_exists(pk)")
            _outbox(transaction, stored, first_new=0)
            if limits is not None:
                self._count_order_day(transaction, request, limits, now=now)
                if limits.customer_cap:
                    self._count_for_customer(transaction, stored, limits.customer_cap, now=now,
                                             consistent=attempt > 0)
            for reserve in reservations:
                self._reserve(transaction, request.order_number, reserve, now=now)
            for (product_id, sku), n in promised.items():
                reserve_stock(transaction, product_id, sku, n)
            try:
                transaction.commit()
                return stored
            except TransactionRefusedError as refused:
                # A taken RMA also fails its outbox items when their keys meet the first return's.
                mine = {name for name in refused.failed if not name.startswith("outbox ")}
                short = refused_skus(refused)
                if short and "return" not in mine:
                    # Not the units' fault and not a taken RMA: another shopper got the variant
                    # first. The service names what is still available.
                    raise OutOfStockError(f"{short[0]} is out of stock", sku=short[0]) from refused
                if mine and mine <= {"return", "first event"}:
                    raise RmaTakenError(f"RMA {request.rma} is taken") from refused
                if "order day" in refused.failed:
                    raise OrderDayLimitReachedError(
                        f"order {request.order_number} started its returns for today") from refused
                # DynamoDB cancels a transaction that meets another one on the same item
                # (TransactionConflict) without testing its conditions: nothing was written.
                if refused.failed != {"customer"} and (refused.failed or not refused.conflicted):
                    raise ConflictError(UNITS_TAKEN_MESSAGE, code="units_already_requested") from refused
            # Another return of the same shopper counted first (or was being written): read the
            # count again, after a random pause so that a crowd of them does not collide in step.
            time.sleep(random.uniform(0, min(_COUNTER_BACKOFF * 2 ** attempt, 0.5)))
        raise StaleWriteError("the shopper's returns are being counted by another request; try again")

    def _reserve(self, transaction: DynamoDBTransaction, order_number: str, reserve: Reserve, *,
                 now: datetime) -> None:
        """Hold the units on their line: never more reserved than the line holds."""
        transaction.update(
            f"line {reserve.line_id}", line_key(order_number, reserve.line_id),
            # ADD starts a missing counter at 0: the first return of a line creates its item.
            "ADD reserved :n SET quantity = :q, entity = :entity, order_number = :order, "
            "line_id = :line, returned = if_not_exists(returned, :zero), updated_at = :now",
            # reserved + n <= quantity, written as reserved <= quantity - n (no arithmetic in
            # conditions). Two requests for the same units: the second one fails here.
            condition="attribute_not_exists(pk) OR reserved <= :limit",
            values={
                ":n": {"N": str(reserve.quantity)},
                ":q": {"N": str(reserve.line_quantity)},
                ":limit": {"N": str(reserve.line_quantity - reserve.quantity)},
                ":zero": {"N": "0"},
                ":entity": {"S": "line_reservation"},
                ":order": {"S": order_number},
                ":line": {"S": reserve.line_id},
                ":now": {"S": iso(now) or ""},
            },
        )

    def _change(self, transaction: DynamoDBTransaction, order_number: str, change: CountReturned | Release) -> None:
        """A move's change to one line's reservation (the aggregate decides which)."""
        name, key = f"line {change.line_id}", line_key(order_number, change.line_id)
        if isinstance(change, CountReturned) and change.released:
            # A partial receipt: what arrived counts as returned, the rest is given back; one
            # update, as a transaction touches an item once.
            transaction.update(name, key, "ADD returned :n, reserved :minus",
                               condition="attribute_exists(pk) AND reserved >= :held",
                               values={":n": {"N": str(change.quantity)}, ":minus": {"N": str(-change.released)},
                                       ":held": {"N": str(change.quantity + change.released)}})
        elif isinstance(change, CountReturned):
            # Still reserved, so never returnable again; now also counted as returned.
            transaction.update(name, key, "ADD returned :n", condition="attribute_exists(pk) AND reserved >= :n",
                               values={":n": {"N": str(change.quantity)}})
        else:
            transaction.update(name, key, "ADD reserved :minus", condition="reserved >= :n",
                               values={":minus": {"N": str(-change.quantity)}, ":n": {"N": str(change.quantity)}})

    def _count_order_day(self, transaction: DynamoDBTransaction, request: ReturnRequest, limits: CreationLimits, *,
                         now: datetime) -> None:
        """Count the return in its order's day: refused once the day holds `per_order_per_day`."""
        transaction.update(
            "order day", order_day_key(request.order_number, limits.order_day),
            "ADD started :one SET entity = :entity, expires_at = :expires",
            # started + 1 <= limit, as started <= limit - 1 (no arithmetic in conditions).
            condition="attribute_not_exists(pk) OR started <= :most",
            values={
                ":one": {"N": "1"}, ":most": {"N": str(limits.per_order_per_day - 1)},
                ":entity": {"S": "order_day_counter"},
                ":expires": {"N": str(int((now + _ORDER_DAY_KEPT).timestamp()))},
            },
        )

    def _count_for_customer(self, transaction: DynamoDBTransaction, request: ReturnRequest, cap: int, *,
                            now: datetime, consistent: bool) -> None:
        """Count the return in its shopper's last 90 days, on the version read: an approved one
        must find fewer than `cap` there (CustomerCapReachedError, nothing written).

        The first read may be eventually consistent (half the cost): a copy behind the table has
        an older version, so the Put's condition fails and the retry reads consistently. A
        refusal is only ever given on a consistent read.
        """
        key = customer_returns_key(request.customer_email)
        item = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=consistent).get("Item")
        version = int(item["version"]["N"]) if item else 0
        since = iso(now - CUSTOMER_WINDOW) or ""
        started = sorted(v["S"] for v in (item or {}).get("started", {}).get("L", []))
        recent = [at for at in started if at >= since]
        if request.status == APPROVED and len(recent) >= cap:
            if not consistent:
                return self._count_for_customer(transaction, request, cap, now=now, consistent=True)
            raise CustomerCapReachedError(f"the shopper started {len(recent)} returns in 90 days")
        # The `cap` latest starts decide every later verdict: older ones can only age out first.
        kept = sorted([*recent, iso(request.created_at) or ""])[-cap:]
        record = {
            **key, "entity": {"S": "customer_returns"},
            "started": {"L": [{"S": at} for at in kept]}, "version": {"N": str(version + 1)},
            "expires_at": {"N": str(int((parse_iso(kept[-1]) or now).timestamp() + CUSTOMER_WINDOW.total_seconds() + 86400))},
        }
        if item is None:
            transaction.put("customer", record, condition="attribute_not_exists(pk)")
        else:
            transaction.put("customer", record, condition="version = :read", values={":read": {"N": str(version)}})

    def get(self, rma: str, *, consistent: bool = True) -> ReturnRequest | None:
        records = self._query({
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"RETURN#{rma}"}},
            "ConsistentRead": consistent,
        })
        main = next((r for r in records if r["sk"] == "RETURN"), None)
        if main is None:
            return None
        events = sorted((r for r in records if r["sk"].startswith("EVENT#")), key=lambda r: r["seq"])
        return return_from_record(main, events)

    def of_order(self, order_number: str) -> list[ReturnRequest]:
        records = self._query({
            "IndexName": "gsi3",
            "KeyConditionExpression": "gsi3pk = :order AND begins_with(gsi3sk, :prefix)",
            "ExpressionAttributeValues": {
                ":order": {"S": order_partition(order_number)}, ":prefix": {"S": "RETURN#"},
            },
        })
        return [return_from_record(record, []) for record in records]

    def save(self, request: ReturnRequest, *, new_events: int, now: datetime) -> ReturnRequest:
        try:
            self.move(request, new_events=new_events, now=now).commit()
        except TransactionRefusedError as refused:
            raise move_refused(request, refused, new_events=new_events) from refused
        return request.with_version(request.version + 1)

    def move(self, request: ReturnRequest, *, new_events: int, now: datetime) -> DynamoDBTransaction:
        """The unit of work of a status move read at `request.version`: the return ("return"), its
        last `new_events` events and the reservation changes it decides ("line {id}").

        `save` commits it alone; a ledger adds its own items first (the refund ceiling, a
        store-credit issue), so the move and the money are written together or not at all.
        """
        stored = request.with_version(request.version + 1)
        first_new = len(request.events) - new_events
        changed_at = iso(stored.status_changed_at) or ""
        transaction = DynamoDBTransaction(self._client, self._table)
        transaction.update(
            "return", return_key(request.rma),
            "SET #status = :status, gsi2pk = :gsi2pk, gsi2sk = :gsi2sk, "
            "status_changed_at = :changed, version = :new, event_count = :events, updated_at = :now, "
            "milestones = :milestones"
            + (", refund = :refund" if stored.refund is not None else "")
            # An approval on counter-terms changes what the shopper is paid.
            + ", resolution = :resolution, quote = :quote"
            # A counter-offer open (`offered`) or none (answered, expired).
            # Exchanges: the replacement order once made, a dearer exchange's payment.
            + (", exchange_order = :exchange_order" if stored.exchange_order is not None else "")
            + (", payment = :payment" if stored.payment is not None else "")
            + (", offer = :offer" if stored.offer is not None else " REMOVE offer"),
            condition="version = :expected",
            names={"#status": "status"},
            values={
                ":status": {"S": stored.status},
                ":gsi2pk": {"S": f"RETURNS#{stored.status}"},
                ":gsi2sk": {"S": f"{changed_at}#{stored.rma}"},
                ":changed": {"S": changed_at},
                ":new": {"N": str(stored.version)},
                ":expected": {"N": str(request.version)},
                ":events": {"N": str(len(stored.events))},
                ":now": {"S": iso(now) or ""},
                **({":refund": to_attribute(refund_record(stored.refund))} if stored.refund is not None else {}),
                ":resolution": {"S": stored.resolution},
                ":quote": to_attribute(quote_record(stored.quote)),
                **({":offer": to_attribute(quote_record(stored.offer))} if stored.offer is not None else {}),
                **({":exchange_order": to_attribute(exchange_order_record(stored.exchange_order))}
                   if stored.exchange_order is not None else {}),
                **({":payment": to_attribute(payment_record(stored.payment))} if stored.payment is not None else {}),
                ":milestones": to_attribute(milestones_record(stored)),
            },
        )
        for seq, event in enumerate(stored.events):
            if seq >= first_new:
                transaction.put(f"event {seq}", to_item(event_record(stored.rma, event, seq)),
                                condition="attribute_not_exists(pk)")
        _outbox(transaction, stored, first_new=first_new)
        _owed_difference(transaction, stored, first_new=first_new, now=now)
        for change in request.reservation_changes(new_events=new_events):
            self._change(transaction, stored.order_number, change)
        _move_stock(transaction, request.stock_changes(new_events=new_events))
        return transaction

    def _query(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        return query_all(self._client, {"TableName": self._table, **request})


class DynamoDBReturnHistory:
    """ReturnHistory from the order's line reservations and the shopper's returns (gsi1)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def units_of_order(self, order_number: str) -> ReturnedUnits:
        # The reservation items, not the returns: they are what a new return's transaction
        # checks. Eventually consistent (half the cost): the transaction's condition, not this
        # read, keeps a unit from being returned twice.
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": order_partition(order_number)}, ":prefix": {"S": "LINE#"},
            },
        }
        return units_from_records(query_all(self._client, request))

    def customer_returns_90d(self, email: str, *, now: datetime) -> int:
        since = iso(now - timedelta(days=90))
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :customer AND gsi1sk BETWEEN :since AND :until",
            "ExpressionAttributeValues": {
                ":customer": {"S": f"CUSTOMER#{email_key(email)}"},
                ":since": {"S": f"RETURN#{since}"},
                ":until": {"S": "RETURN#~"},
            },
        }
        return count_all(self._client, request)


def _outbox(transaction: DynamoDBTransaction, stored: ReturnRequest, *, first_new: int) -> None:
    """The outbound events of the timeline entries from `first_new` on, each an outbox item in
    the move's own transaction: written exactly when the move is (docs/webhooks.md)."""
    for event in outbound_events(stored, first_new=first_new):
        transaction.put(f"outbox {event.message_id}", to_item(outbox_record(event)),
                        condition="attribute_not_exists(pk)")


def _owed_difference(transaction: DynamoDBTransaction, stored: ReturnRequest, *, first_new: int,
                     now: datetime) -> None:
    """The list of paid differences owed back (pattern 53), kept in the moves themselves: the
    move that makes the debt marks the return, the one that records its refund unmarks it, so the
    resume job finds every debt whatever the return's status and however its job was lost."""
    payment = stored.payment
    if payment is None:
        return
    key = {"pk": {"S": DIFFERENCES_OWED}, "sk": {"S": f"RETURN#{stored.rma}"}}
    if stored.owes_difference_refund and payment.status == "succeeded":
        transaction.put("owed difference", {**key, "rma": {"S": stored.rma}, "since": {"S": iso(now) or ""}})
    elif payment.status == "refunded" and any(
            e.kind == EventKind.DIFFERENCE_REFUNDED for e in stored.events[first_new:]):
        transaction.delete("owed difference", key)


def units_from_records(records: list[dict[str, Any]]) -> ReturnedUnits:
    """The returned units an order's line reservation items (`LINE#...`) hold; other items are ignored."""
    returned: dict[str, int] = {}
    in_open: dict[str, int] = {}
    for record in records:
        if not str(record.get("sk", "")).startswith("LINE#"):
            continue
        done = int(record.get("returned", 0))
        returned[record["line_id"]] = done
        in_open[record["line_id"]] = max(int(record.get("reserved", 0)) - done, 0)
    return ReturnedUnits(returned=returned, in_open_returns=in_open)


def _units_by_variant(moves: tuple[StockReserve | StockFulfil | StockRelease, ...]) -> dict[tuple[str, str], int]:
    """Units per (product, SKU): a transaction touches an item once, so lines of one SKU add up."""
    units: dict[tuple[str, str], int] = {}
    for move in moves:
        units[(move.product_id, move.sku)] = units.get((move.product_id, move.sku), 0) + move.quantity
    return units


def _move_stock(transaction: DynamoDBTransaction, changes: tuple[StockFulfil | StockRelease, ...]) -> None:
    """A move's stock changes: one update per variant (fulfil, release, or both at once)."""
    fulfil = _units_by_variant(tuple(c for c in changes if isinstance(c, StockFulfil)))
    release = _units_by_variant(tuple(c for c in changes if isinstance(c, StockRelease)))
    for product_id, sku in dict.fromkeys([*fulfil, *release]):
        taken, given_back = fulfil.get((product_id, sku), 0), release.get((product_id, sku), 0)
        if not given_back:
            fulfil_stock(transaction, product_id, sku, taken)
        elif not taken:
            release_stock(transaction, product_id, sku, given_back)
        else:
            # The replacement order takes part of what was promised, the rest is given back.
            transaction.update(
                stock_item(sku), variant_key(product_id, sku),
                "SET #reserved = #reserved - :held, #stock = #stock - :taken, #available = #available + :back",
                condition="#reserved >= :held AND #stock >= :taken",
                names={"#reserved": "reserved", "#stock": "stock", "#available": "available"},
                values={":held": {"N": str(taken + given_back)}, ":taken": {"N": str(taken)},
                        ":back": {"N": str(given_back)}},
            )


def move_refused(request: ReturnRequest, refused: TransactionRefusedError, *, new_events: int) -> RetourError:
    """Why a move of `request` was not written: the replacement's stock is gone (the store lowered
    it under what was promised), else someone changed the return first."""
    fulfilled = {c.sku for c in request.stock_changes(new_events=new_events) if isinstance(c, StockFulfil)}
    gone = tuple(sku for sku in refused_skus(refused) if sku in fulfilled)
    if gone and "return" not in refused.failed:
        return ExchangeStockGoneError(
            f"return {request.rma}: not enough of {', '.join(gone)} on hand for the replacement order",
            skus=gone)
    return stale(request)


def stale(request: ReturnRequest) -> StaleWriteError:
    """The error of a move that lost its version race (someone else moved the return first)."""
    return StaleWriteError(f"return {request.rma} was changed by someone else; read it again")


def _money(money: Money) -> int:
    return money.minor


def return_record(request: ReturnRequest, *, event_count: int) -> dict[str, Any]:
    """The return as the attributes of its item, index keys included."""
    created = iso(request.created_at)
    changed = iso(request.status_changed_at)
    quote = request.quote
    return {
        "pk": f"RETURN#{request.rma}",
        "sk": "RETURN",
        "entity": "return",
        "version": request.version,
        # The shopper's returns (the 90-day abuse limit, admin search).
        "gsi1pk": f"CUSTOMER#{email_key(request.customer_email)}",
        "gsi1sk": f"RETURN#{created}#{request.rma}",
        # Returns by status (pending approvals, admin lists, stuck refunds).
        "gsi2pk": f"RETURNS#{request.status}",
        "gsi2sk": f"{changed}#{request.rma}",
        # The order's returns.
        "gsi3pk": order_partition(request.order_number),
        "gsi3sk": f"RETURN#{created}#{request.rma}",
        "rma": request.rma,
        "order_number": request.order_number,
        "customer_email": request.customer_email,
        "locale": request.locale,
        "status": request.status,
        "resolution": request.resolution,
        "policy_version": request.policy_version,
        "created_at": created,
        "status_changed_at": changed,
        "event_count": event_count,
        "currency": quote.currency,
        "refund": refund_record(request.refund) if request.refund is not None else None,
        "lines": [
            {"line_id": line.line_id, "quantity": line.quantity, "reason": line.reason, "note": line.note,
             "sku": line.sku,
             **({"product_id": line.product_id, "exchange_for": line.exchange_for} if line.exchange_for else {})}
            for line in request.lines
        ],
        "quote": quote_record(quote),
        "offer": quote_record(request.offer) if request.offer is not None else None,
        "milestones": milestones_record(request),
        # shipping: it holds the order's original shipping reservation (LINE##original_shipping).
        "holds_original_shipping": request.holds_original_shipping,
        "exchange_order": exchange_order_record(request.exchange_order) if request.exchange_order is not None else None,
        "payment": payment_record(request.payment) if request.payment is not None else None,
    }


def exchange_order_record(order: ExchangeOrder) -> dict[str, Any]:
    """The replacement order as a map attribute of its return."""
    return {"number": order.number, "created_at": iso(order.created_at),
            "lines": [{"line_id": l.line_id, "sku": l.sku, "quantity": l.quantity,
                       "options": [[n, v] for n, v in l.options]} for l in order.lines]}


def exchange_order_from_record(record: Mapping[str, Any] | None) -> ExchangeOrder | None:
    if not record:
        return None
    created = parse_iso(record["created_at"])
    assert created is not None
    return ExchangeOrder(number=record["number"], created_at=created, lines=tuple(
        ExchangeOrderLine(l["line_id"], l["sku"], int(l["quantity"]), tuple((n, v) for n, v in l.get("options") or ()))
        for l in record["lines"]))


def payment_record(payment: DifferencePayment) -> dict[str, Any]:
    """A dearer exchange's price difference as a map attribute (minor units)."""
    return {"amount": payment.amount.minor, "currency": payment.amount.currency, "then": payment.then,
            "payment_intent": payment.payment_intent, "status": payment.status, "refund_id": payment.refund_id,
            **({"refunded": payment.refunded.minor} if payment.refunded is not None else {})}


def payment_from_record(record: Mapping[str, Any] | None) -> DifferencePayment | None:
    if not record:
        return None
    return DifferencePayment(amount=Money(int(record["amount"]), record["currency"]), then=ReturnStatus(record["then"]),
                             payment_intent=record.get("payment_intent") or "", status=record.get("status") or "",
                             refund_id=record.get("refund_id") or "",
                             refunded=Money(int(record["refunded"]), record["currency"])
                             if record.get("refunded") is not None else None)


def milestones_record(request: ReturnRequest) -> dict[str, Any]:
    """When the return was decided, received and paid (reports' SLA times), from its timeline:
    a map attribute written with every move, so the status index carries it."""
    marks = request.milestones or Milestones.of(request.events)
    times = {"decided_at": iso(marks.decided_at), "received_at": iso(marks.received_at),
             "paid_at": iso(marks.paid_at)}
    return {"needed_approval": marks.needed_approval, **{k: v for k, v in times.items() if v is not None}}


def milestones_from_record(record: Mapping[str, Any] | None) -> Milestones | None:
    if not record:
        return None
    return Milestones(needed_approval=bool(record.get("needed_approval")),
                      decided_at=parse_iso(record.get("decided_at")),
                      received_at=parse_iso(record.get("received_at")), paid_at=parse_iso(record.get("paid_at")))


def quote_record(quote: Quote) -> dict[str, Any]:
    """The quote as a map attribute: every amount in minor units, per line and in total."""
    return {
        "resolution": quote.resolution,
        "items": _money(quote.items), "tax": _money(quote.tax), "fees": _money(quote.fees),
        "bonus": _money(quote.bonus), "total": _money(quote.total),
        "restocking_fee": _money(quote.restocking_fee),
        "return_shipping_fee": _money(quote.return_shipping_fee),
        "shipping": _money(quote.shipping),
        "policy_version": quote.policy_version,
        "lines": [
            {
                "line_id": q.line_id, "quantity": q.quantity, "reason": q.reason, "note": q.note,
                "items": _money(q.items), "tax": _money(q.tax), "fees": _money(q.fees),
                "bonus": _money(q.bonus), "total": _money(q.total), "fees_waived": q.fees_waived,
                **({"exchange_for": q.exchange_for, "replacement": _money(q.replacement),
                    "difference": _money(q.difference or Money.zero(quote.currency))}
                   if q.replacement is not None else {}),
            }
            for q in quote.lines
        ],
    }


def refund_record(refund: RefundAttempt) -> dict[str, Any]:
    """A refund attempt as a map attribute of the return (amount in minor units)."""
    return {
        "attempt": refund.attempt, "amount": refund.amount.minor, "currency": refund.amount.currency,
        "idempotency_key": refund.idempotency_key, "refund_id": refund.refund_id,
        "failure_reason": refund.failure_reason,
    }


def refund_from_record(record: Mapping[str, Any] | None) -> RefundAttempt | None:
    if not record:
        return None
    return RefundAttempt(
        attempt=record["attempt"], amount=Money(record["amount"], record["currency"]),
        idempotency_key=record["idempotency_key"], refund_id=record.get("refund_id"),
        failure_reason=record.get("failure_reason"),
    )


def event_record(rma: str, event: ReturnEvent, seq: int) -> dict[str, Any]:
    """One timeline entry; `seq` keeps two events of the same second in order."""
    at = iso(event.at)
    return {
        "pk": f"RETURN#{rma}",
        "sk": f"EVENT#{at}#{seq:04d}",
        "entity": "return_event",
        "seq": seq,
        "at": at,
        "kind": event.kind,
        "actor": event.actor,
        "detail": event.detail,
        # Staff actions and decisions carry these (who acted from where); absent attributes stay unset.
        "source_ip": event.source_ip or None,
        "user_agent": event.user_agent or None,
        # A receipt's lines as found (units, condition); absent for a plain full receipt.
        "received": [{"line_id": r.line_id, "units": r.units, "condition": r.condition} for r in event.received]
        or None,
        # The merchant's words to the shopper with a decision or an offer.
        "note": event.note or None,
    }


def return_from_record(record: Mapping[str, Any], events: list[dict[str, Any]]) -> ReturnRequest:
    """The ReturnRequest its item (and event items) hold."""
    currency: str = record["currency"]
    quote = quote_from_record(record["quote"], currency)
    offer = quote_from_record(record["offer"], currency) if record.get("offer") else None
    created_at = parse_iso(record["created_at"])
    assert created_at is not None
    timeline: list[ReturnEvent] = []
    for event in events:
        at = parse_iso(event["at"])
        assert at is not None
        timeline.append(ReturnEvent(
            at=at, kind=EventKind(event["kind"]), actor=event["actor"], detail=event.get("detail", ""),
            source_ip=event.get("source_ip", ""), user_agent=event.get("user_agent", ""),
            received=tuple(ReceivedLine(r["line_id"], int(r["units"]), Condition(r["condition"]))
                           for r in event.get("received") or ()),
            note=event.get("note") or "",
        ))
    return ReturnRequest(
        rma=record["rma"],
        order_number=record["order_number"],
        customer_email=record["customer_email"],
        locale=record["locale"],
        status=ReturnStatus(record["status"]),
        resolution=record["resolution"],
        lines=tuple(
            ReturnLine(line["line_id"], line["quantity"], line["reason"], line.get("note", ""), line.get("sku") or "",
                       line.get("product_id") or "", line.get("exchange_for") or "")
            for line in record["lines"]
        ),
        quote=quote,
        policy_version=record["policy_version"],
        created_at=created_at,
        events=tuple(timeline),
        version=record["version"],
        refund=refund_from_record(record.get("refund")),
        listed_changed_at=None if timeline else parse_iso(record.get("status_changed_at")),
        listed_milestones=None if timeline else milestones_from_record(record.get("milestones")),
        holds_original_shipping=bool(record.get("holds_original_shipping", False)),
        offer=offer,
        exchange_order=exchange_order_from_record(record.get("exchange_order")),
        payment=payment_from_record(record.get("payment")),
    )


def quote_from_record(q: Mapping[str, Any], currency: str) -> Quote:
    """The Quote a map attribute (quote_record) holds."""

    def money(value: int) -> Money:
        return Money(value, currency)

    return Quote(
        currency=currency,
        resolution=q["resolution"],
        lines=tuple(
            QuoteLine(
                line_id=line["line_id"], quantity=line["quantity"], reason=line["reason"],
                note=line.get("note", ""), items=money(line["items"]), tax=money(line["tax"]),
                fees=money(line["fees"]), bonus=money(line["bonus"]), total=money(line["total"]),
                fees_waived=line.get("fees_waived", False),
                exchange_for=line.get("exchange_for") or "",
                replacement=money(line["replacement"]) if line.get("replacement") is not None else None,
                difference=money(line["difference"]) if line.get("difference") is not None else None,
            )
            for line in q["lines"]
        ),
        items=money(q["items"]), tax=money(q["tax"]), fees=money(q["fees"]),
        bonus=money(q["bonus"]), total=money(q["total"]),
        restocking_fee=money(q["restocking_fee"]),
        return_shipping_fee=money(q["return_shipping_fee"]),
        # Quotes stored before the original shipping could be refunded had none.
        shipping=money(q.get("shipping", 0)),
        policy_version=q["policy_version"],
    )
