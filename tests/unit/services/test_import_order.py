"""Importing orders: idempotent, versioned, safe against concurrent writers (in-memory store)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.adapters.in_memory import InMemoryOrderRepository
from chalicelib.domain.errors import ConflictError, StaleWriteError
from chalicelib.domain.money import Money
from chalicelib.domain.order import Order, PaymentMismatchError
from chalicelib.domain.refunds import PaymentGatewayUnavailableError
from chalicelib.services.import_order import import_order
from chalicelib.web.schemas.orders import OrderIn
from tests.documents import an_order_document
from tests.fakes import FixedClock

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class Captures:
    """What Stripe holds for each PaymentIntent; `down` answers nothing (the gateway's fake)."""

    def __init__(self, **captured: Money) -> None:
        self.held = captured
        self.down = False
        self.asked = 0

    def captured(self, payment_intent: str) -> Money | None:
        self.asked += 1
        if self.down:
            raise PaymentGatewayUnavailableError("Stripe did not answer")
        return self.held.get(payment_intent)


@dataclass
class Deps:
    orders: Any = field(default_factory=InMemoryOrderRepository)
    clock: FixedClock = field(default_factory=lambda: FixedClock(NOW))
    payments: Any = field(default_factory=Captures)


def an_order(**overrides: Any) -> Order:
    return OrderIn.model_validate(an_order_document(**overrides)).to_domain()


def test_a_new_order_is_created_at_version_one() -> None:
    deps = Deps()
    result = import_order(deps, an_order())
    assert result.created
    assert result.order.version == 1
    assert deps.orders.get("1001") == an_order()


def test_the_same_order_twice_is_stored_once() -> None:
    deps = Deps()
    import_order(deps, an_order())
    again = import_order(deps, an_order())
    assert not again.created
    assert again.order.version == 1


def test_the_same_instant_in_another_time_zone_is_the_same_order() -> None:
    deps = Deps()
    import_order(deps, an_order())
    again = import_order(deps, an_order(placed_at="2026-11-01T19:00:00+09:00"))
    assert again.order.version == 1


def test_a_changed_order_is_replaced_at_the_next_version() -> None:
    deps = Deps()
    import_order(deps, an_order())
    result = import_order(deps, an_order(customer_name="Aiko Yamada"))
    assert not result.created
    assert result.order.version == 2
    assert deps.orders.get("1001").customer_name == "Aiko Yamada"


class RacingRepository(InMemoryOrderRepository):
    """Lets another writer store a different order just before each of our first `races` saves."""

    def __init__(self, races: int) -> None:
        super().__init__()
        self.races = races

    def save(self, order: Order, *, now: datetime) -> Order:
        if self.races > 0:
            self.races -= 1
            current = self.get(order.number)
            rival = an_order(customer_name=f"Rival {self.races}")
            super().save(rival.with_version(0 if current is None else current.version), now=now)
        return super().save(order, now=now)


def test_an_import_that_loses_a_race_reads_again_and_wins_on_the_next_version() -> None:
    deps = Deps(orders=RacingRepository(races=1))
    result = import_order(deps, an_order())
    assert not result.created  # the rival created it first
    assert result.order.version == 2
    assert deps.orders.get("1001").customer_name == "山田 愛子"


def test_an_import_that_keeps_losing_gives_up_with_a_conflict_and_overwrites_nothing() -> None:
    deps = Deps(orders=RacingRepository(races=10))
    with pytest.raises(ConflictError) as raised:
        import_order(deps, an_order())
    assert not isinstance(raised.value, StaleWriteError)
    assert deps.orders.get("1001").customer_name.startswith("Rival")


def paid_by(payment_intent: str, **overrides: Any) -> Order:
    return an_order(payment={"provider": "stripe", "payment_intent": payment_intent}, **overrides)


def test_an_order_is_stored_when_its_payment_intent_captured_at_least_its_total() -> None:
    deps = Deps(payments=Captures(pi_exact=Money(9150, "JPY"), pi_more=Money(20000, "JPY")))
    assert import_order(deps, paid_by("pi_exact")).created
    assert import_order(deps, paid_by("pi_more", number="1002")).created


@pytest.mark.parametrize(
    ("captured", "code"),
    [(None, "payment_intent_unknown"), (Money(9150, "USD"), "payment_currency_mismatch"),
     (Money(9149, "JPY"), "payment_below_total")],
    ids=["unknown to Stripe", "other currency", "one yen short"],
)
def test_an_order_its_payment_intent_does_not_pay_for_is_refused_and_not_stored(
    captured: Money | None, code: str
) -> None:
    deps = Deps(payments=Captures(**({"pi_1": captured} if captured else {})))
    with pytest.raises(PaymentMismatchError) as refused:
        import_order(deps, paid_by("pi_1"))
    assert refused.value.code == code
    assert deps.orders.get("1001") is None


def test_sending_the_same_order_again_asks_stripe_nothing() -> None:
    deps = Deps(payments=Captures(pi_1=Money(9150, "JPY")))
    import_order(deps, paid_by("pi_1"))
    deps.payments.down = True
    again = import_order(deps, paid_by("pi_1"))
    assert (again.created, again.order.version, deps.payments.asked) == (False, 1, 1)


def test_when_stripe_does_not_answer_nothing_is_stored() -> None:
    deps = Deps(payments=Captures(pi_1=Money(9150, "JPY")))
    deps.payments.down = True
    with pytest.raises(PaymentGatewayUnavailableError):
        import_order(deps, paid_by("pi_1"))
    assert deps.orders.get("1001") is None


def test_an_import_that_loses_a_race_asks_stripe_once() -> None:
    deps = Deps(orders=RacingRepository(races=2), payments=Captures(pi_1=Money(9150, "JPY")))
    import_order(deps, paid_by("pi_1"))
    assert deps.payments.asked == 1
