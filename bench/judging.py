"""Lines judged and quotes computed per second: the pure policy engine, no I/O."""

from __future__ import annotations

import timeit
from datetime import datetime, timezone

from chalicelib.domain.eligibility import judge_line
from chalicelib.domain.money import Money
from chalicelib.domain.order import Address, Order, OrderLine, Payment
from chalicelib.domain.policy import Fees, Policy, Rule, RuleMatch
from chalicelib.domain.quote import Selection, quote

# Enough rules to make matching do real work, as a store with a few carve-outs would have.
POLICY = Policy(
    time_zone="Asia/Tokyo",
    rules=(
        Rule(RuleMatch(product_type="gift_card"), returnable=False),
        Rule(RuleMatch(tag="holiday"), window_days=60),
        Rule(RuleMatch(tag="hygiene"), returnable=False),
        Rule(RuleMatch(sku="GIFT-BOX"), returnable=True),
        Rule(RuleMatch(product_type="electronics"), window_days=14),
    ),
    fees=Fees(restocking_percent=10, return_shipping=(Money(800, "JPY"), Money(595, "USD"))),
)

ORDER = Order(
    number="1001", email="aiko@example.jp", customer_name="山田 愛子", locale="ja", currency="JPY",
    placed_at=datetime(2026, 11, 1, 1, tzinfo=timezone.utc),
    delivered_at=datetime(2026, 11, 3, 14, 30, tzinfo=timezone.utc),
    shipping_address=Address("山田 愛子", "1-2-3 Jingumae", "Shibuya-ku", "150-0001", "JP"),
    payment=Payment("stripe", "pi_1001"), shipping_total=Money(600, "JPY"),
    lines=tuple(
        OrderLine(id=f"L{i}", sku=f"SKU-{i}", title="Item", quantity=3, unit_price=Money(3300, "JPY"),
                  tax=Money(990, "JPY"), discount=Money(500, "JPY"), product_type="apparel",
                  tags=("holiday",) if i % 2 else ())
        for i in range(1, 4)
    ),
)
NOW = datetime(2026, 11, 20, 3, tzinfo=timezone.utc)
SELECTIONS = [Selection("L1", 2, "changed_mind"), Selection("L2", 1, "damaged", "torn"),
              Selection("L3", 3, "too_small")]


def _judge_every_line() -> None:
    for line in ORDER.lines:
        judge_line(ORDER, line, POLICY, now=NOW, already_returned=1, in_open_returns=0,
                   customer_returns_90d=2)


def _quote_three_lines() -> None:
    quote(ORDER, SELECTIONS, POLICY, resolution="store_credit", already_refunded=Money(1000, "JPY"),
          returned_before={"L2": 1})


def _per_second(work: timeit.Timer, items_per_call: int) -> float:
    calls, seconds = work.autorange()
    best = min([seconds, *work.repeat(repeat=3, number=calls)])
    return calls * items_per_call / best


def measure() -> list[tuple[str, str, str]]:
    """Rows of (what, figure, goal)."""
    lines = _per_second(timeit.Timer(_judge_every_line), len(ORDER.lines))
    quotes = _per_second(timeit.Timer(_quote_three_lines), 1)
    return [
        # A dry run judges up to 500 orders twice; ~3,000 lines must take well under a second.
        ("lines judged per second (5 rules, store zone Asia/Tokyo)", f"{lines:,.0f}", ">= 20,000"),
        ("quotes per second (3 lines, fees, bonus, refund cap)", f"{quotes:,.0f}", ">= 5,000"),
    ]


if __name__ == "__main__":
    for what, figure, goal in measure():
        print(f"{what:<60} {figure:>12}   goal {goal}")
