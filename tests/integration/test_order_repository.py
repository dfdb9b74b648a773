"""The order repository contract, held by the in-memory fake and by DynamoDB alike."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.adapters.dynamodb_orders import DynamoDBOrderRepository
from chalicelib.adapters.in_memory import InMemoryOrderRepository
from chalicelib.domain.errors import StaleWriteError
from chalicelib.domain.order import Order
from chalicelib.web.schemas.orders import OrderIn
from tests.documents import an_order_document

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def an_order(**overrides: Any) -> Order:
    return OrderIn.model_validate(an_order_document(**overrides)).to_domain()


@pytest.fixture(params=["in_memory", "dynamodb"])
def orders(request: pytest.FixtureRequest) -> Any:
    if request.param == "in_memory":
        return InMemoryOrderRepository()
    return DynamoDBOrderRepository(
        request.getfixturevalue("dynamodb_client"), request.getfixturevalue("fresh_table")
    )


def test_a_saved_order_reads_back_equal_at_version_one(orders: Any) -> None:
    order = an_order(customer_name="김민지", currency="KRW", locale="ko")
    saved = orders.save(order, now=NOW)
    assert saved.version == 1
    loaded = orders.get(order.number)
    assert loaded == order
    assert loaded.version == 1
    assert loaded.lines[0].unit_price.minor == 3300
    assert loaded.placed_at == datetime(2026, 11, 1, 10, tzinfo=UTC)


def test_an_order_never_saved_is_none(orders: Any) -> None:
    assert orders.get("missing") is None


def test_a_write_on_a_stale_version_is_refused_and_changes_nothing(orders: Any) -> None:
    first = orders.save(an_order(), now=NOW)
    orders.save(an_order(customer_name="Second writer").with_version(first.version), now=NOW)
    with pytest.raises(StaleWriteError):
        orders.save(an_order(customer_name="Stale writer").with_version(first.version), now=NOW)
    assert orders.get("1001").customer_name == "Second writer"
    assert orders.get("1001").version == 2


def test_creating_an_order_that_exists_is_refused(orders: Any) -> None:
    orders.save(an_order(), now=NOW)
    with pytest.raises(StaleWriteError):
        orders.save(an_order(customer_name="Duplicate"), now=NOW)
    assert orders.get("1001").customer_name == "山田 愛子"


def test_a_replace_can_clear_the_delivery_date(orders: Any) -> None:
    first = orders.save(an_order(), now=NOW)
    orders.save(an_order(delivered_at=None).with_version(first.version), now=NOW)
    assert orders.get("1001").delivered_at is None


def test_of_many_concurrent_writers_on_one_version_exactly_one_wins(orders: Any) -> None:
    first = orders.save(an_order(), now=NOW)

    def write(i: int) -> bool:
        try:
            orders.save(an_order(customer_name=f"Writer {i}").with_version(first.version), now=NOW)
            return True
        except StaleWriteError:
            return False

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(write, range(16)))
    assert outcomes.count(True) == 1
    winner = outcomes.index(True)
    assert orders.get("1001").customer_name == f"Writer {winner}"
    assert orders.get("1001").version == 2


def test_recent_orders_are_newest_first_across_months_and_stop_at_the_limit(orders: Any) -> None:
    placed = ["2026-11-20T08:00:00Z", "2026-11-02T08:00:00Z", "2026-10-31T23:59:59Z",
              "2026-09-15T00:00:00Z", "2025-12-01T00:00:00Z"]
    for i, moment in enumerate(placed):
        orders.save(an_order(number=f"R{i}", placed_at=moment, delivered_at=None), now=NOW)
    recent = orders.recent(500, now=NOW)
    assert [o.number for o in recent] == ["R0", "R1", "R2", "R3", "R4"]
    assert [o.number for o in orders.recent(3, now=NOW)] == ["R0", "R1", "R2"]
    # Nothing placed after the month of `now` (a clock in the past sees the past only).
    assert [o.number for o in orders.recent(10, now=datetime(2026, 10, 1, tzinfo=UTC))] == ["R2", "R3", "R4"]


def test_recent_orders_stop_after_two_years_without_orders(orders: Any) -> None:
    orders.save(an_order(number="OLD", placed_at="2023-01-10T00:00:00Z", delivered_at=None), now=NOW)
    orders.save(an_order(number="NEW", placed_at="2026-11-10T00:00:00Z", delivered_at=None), now=NOW)
    assert [o.number for o in orders.recent(10, now=NOW)] == ["NEW"]
    # 23 empty months (2024-12 back to 2023-02) are not yet enough to give up.
    assert [o.number for o in orders.recent(10, now=datetime(2024, 12, 15, tzinfo=UTC))] == ["OLD"]


def test_a_store_without_orders_has_no_recent_ones(orders: Any) -> None:
    assert orders.recent(500, now=NOW) == []


def paid_with(payment_intent: str | None, **overrides: Any) -> Order:
    return an_order(payment={"provider": "stripe", "payment_intent": payment_intent}, **overrides)


def test_an_order_is_found_by_the_payment_intent_that_paid_it(orders: Any) -> None:
    orders.save(paid_with("pi_imported_a"), now=NOW)
    orders.save(paid_with("pi_someone_else", number="1002"), now=NOW)
    [found] = orders.paid_by("pi_imported_a")
    assert (found.number, found.payment.payment_intent, found.version) == ("1001", "pi_imported_a", 1)


def test_a_payment_intent_no_order_names_finds_nothing(orders: Any) -> None:
    orders.save(paid_with("pi_imported_a"), now=NOW)
    assert orders.paid_by("pi_never_seen") == []


def test_a_reimport_with_another_payment_intent_moves_the_order_to_it(orders: Any) -> None:
    first = orders.save(paid_with("pi_first_try"), now=NOW)
    orders.save(paid_with("pi_second_try").with_version(first.version), now=NOW)
    assert orders.paid_by("pi_first_try") == []
    [found] = orders.paid_by("pi_second_try")
    assert found.number == "1001" and found.version == 2


def test_a_reimport_without_a_payment_intent_leaves_the_index(orders: Any) -> None:
    first = orders.save(paid_with("pi_first_try"), now=NOW)
    orders.save(paid_with(None).with_version(first.version), now=NOW)
    assert orders.paid_by("pi_first_try") == []
    assert orders.get("1001").payment.payment_intent is None


def test_every_order_one_payment_intent_paid_is_found(orders: Any) -> None:
    # Nothing stops a storefront from paying two orders with one PaymentIntent.
    orders.save(paid_with("pi_shared", number="2002"), now=NOW)
    orders.save(paid_with("pi_shared", number="2001"), now=NOW)
    assert [o.number for o in orders.paid_by("pi_shared")] == ["2001", "2002"]


def test_a_reimport_leaves_no_stale_entry_in_the_payment_intent_index(dynamodb_client: Any, fresh_table: str) -> None:
    # paid_by reads every hit again, so a stale entry would not show there; it would cost reads.
    orders = DynamoDBOrderRepository(dynamodb_client, fresh_table)
    first = orders.save(paid_with("pi_first_try"), now=NOW)
    second = orders.save(paid_with("pi_second_try").with_version(first.version), now=NOW)
    orders.save(paid_with(None).with_version(second.version), now=NOW)

    def entries(payment_intent: str) -> list[Any]:
        return dynamodb_client.query(
            TableName=fresh_table, IndexName="gsi3", KeyConditionExpression="gsi3pk = :p",
            ExpressionAttributeValues={":p": {"S": f"PAYMENT_INTENT#{payment_intent}"}},
        )["Items"]

    assert entries("pi_first_try") == [] and entries("pi_second_try") == []


def test_the_order_and_its_returned_units_come_in_one_read(dynamodb_client: Any, fresh_table: str) -> None:
    """The lookup's and the creation's read: the order item and its line reservations together,
    the same units ReturnHistory reads on its own, and nothing else of the partition."""
    from chalicelib.adapters.dynamodb_payments import DynamoDBPaymentLedger
    from chalicelib.adapters.dynamodb_returns import DynamoDBReturnHistory, DynamoDBReturnRepository
    from chalicelib.domain.policy import DEFAULT_POLICY
    from chalicelib.domain.quote import Selection, quote
    from chalicelib.domain.return_request import ReturnRequest, rma_from_bits

    orders = DynamoDBOrderRepository(dynamodb_client, fresh_table)
    order = orders.save(an_order(), now=NOW)
    assert orders.get_with_units(order.number) == (order, orders.get_with_units(order.number)[1])
    assert orders.get_with_units(order.number)[1].returned == {}
    selections = (Selection("L1", 1, "too_small"),)
    request = ReturnRequest.request(rma=rma_from_bits(7), order=order, selections=selections,
                                    quote=quote(order, selections, DEFAULT_POLICY, resolution="refund"),
                                    needs_approval=False, at=NOW)
    returns = DynamoDBReturnRepository(dynamodb_client, fresh_table)
    returns.create(request, line_quantities={line.id: line.quantity for line in order.lines}, now=NOW)
    DynamoDBPaymentLedger(dynamodb_client, fresh_table, returns).ensure(order, now=NOW)  # a PAYMENT item beside them
    calls: list[str] = []
    dynamodb_client.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))
    found, units = orders.get_with_units(order.number)
    assert calls == ["Query"]
    assert found == order
    assert units == DynamoDBReturnHistory(dynamodb_client, fresh_table).units_of_order(order.number)
    assert dict(units.in_open_returns) == {"L1": 1}  # type: ignore[union-attr]
    assert orders.get_with_units("no-such-order") == (None, orders.get_with_units("no-such-order")[1])
    assert orders.get_with_units("no-such-order")[1].in_open_returns == {}  # type: ignore[union-attr]
