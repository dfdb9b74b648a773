"""Judging one order line against the policy: every rule, with the edges of its dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.eligibility import REASON_CODES, Verdict, judge_line, judge_order
from chalicelib.domain.errors import ValidationError
from chalicelib.domain.money import Money
from chalicelib.domain.order import Address, Order, OrderLine, Payment
from chalicelib.domain.policy import DEFAULT_POLICY, Policy, Rule, RuleMatch

TOKYO = ZoneInfo("Asia/Tokyo")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
# Delivered late in the evening, Tokyo time: a 30-day window ends on 3 December, 23:59:59 JST.
DELIVERED = datetime(2026, 11, 3, 23, 30, tzinfo=TOKYO)


def a_line(**overrides: Any) -> OrderLine:
    line = OrderLine(
        id="L1", sku="TEE-NAVY-M", title="Organic tee", quantity=2,
        unit_price=Money(3300, "JPY"), tax=Money(600, "JPY"), discount=Money(0, "JPY"),
        product_type="apparel",
    )
    return replace(line, **overrides)


def an_order(*lines: OrderLine, **overrides: Any) -> Order:
    order = Order(
        number="1001", email="aiko@example.jp", customer_name="山田 愛子", locale="ja",
        currency="JPY", placed_at=datetime(2026, 11, 1, 10, tzinfo=TOKYO),
        delivered_at=DELIVERED,
        shipping_address=Address("山田 愛子", "1-2-3 Jingumae", "Shibuya-ku", "150-0001", "JP"),
        payment=Payment("stripe", "pi_1001"), shipping_total=Money(600, "JPY"),
        lines=lines or (a_line(),),
    )
    return replace(order, **overrides)


def a_policy(**overrides: Any) -> Policy:
    return replace(DEFAULT_POLICY, **{"time_zone": "Asia/Tokyo", **overrides})


def judge(
    *,
    line: OrderLine | None = None,
    order: Order | None = None,
    policy: Policy | None = None,
    now: datetime = datetime(2026, 11, 10, 12, tzinfo=TOKYO),
    already_returned: int = 0,
    in_open_returns: int = 0,
    customer_returns_90d: int = 0,
) -> Verdict:
    line = line or a_line()
    order = order or an_order(line)
    return judge_line(
        order, line, policy or a_policy(), now=now, already_returned=already_returned,
        in_open_returns=in_open_returns, customer_returns_90d=customer_returns_90d,
    )


def tokyo(y: int, m: int, d: int, hh: int = 12, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=TOKYO)


# (what, now, status, reason_code, days_late)
WINDOW_EDGES = [
    ("on the delivery day itself", tokyo(2026, 11, 3, 23, 45), "returnable", "within_window", None),
    ("on the last day of the window", tokyo(2026, 12, 3, 12), "returnable", "within_window", None),
    ("in the last second of the window", tokyo(2026, 12, 3, 23, 59, 59), "returnable", "within_window", None),
    ("at midnight after the last day", tokyo(2026, 12, 4, 0, 0), "needs_approval", "window_passed", 1),
    ("four days late", tokyo(2026, 12, 7), "needs_approval", "window_passed", 4),
    ("on the last day of the grace period", tokyo(2027, 1, 2, 23, 59, 59), "needs_approval", "window_passed", 30),
    ("on the first day after the grace period", tokyo(2027, 1, 3, 0, 0), "not_returnable", "window_closed", 31),
]


@pytest.mark.parametrize(("what", "now", "status", "reason_code", "days_late"), WINDOW_EDGES,
                         ids=[case[0] for case in WINDOW_EDGES])
def test_the_window_is_counted_in_whole_days_of_the_store_time_zone(
    what: str, now: datetime, status: str, reason_code: str, days_late: int | None
) -> None:
    verdict = judge(now=now)

    assert (verdict.status, verdict.reason_code) == (status, reason_code)
    assert verdict.returnable_until == date(2026, 12, 3)
    assert verdict.message_params.get("days_late") == days_late


def test_an_instant_in_another_zone_is_read_in_the_store_zone() -> None:
    # 15:00 UTC on 3 December is already 4 December in Tokyo.
    verdict = judge(now=datetime(2026, 12, 3, 15, 0, tzinfo=timezone.utc))

    assert verdict.status == "needs_approval"


def test_a_delivery_at_2330_local_time_counts_from_that_local_day_not_the_utc_one() -> None:
    # 23:30 in Los Angeles is 07:30 UTC the next day; the store's day is what counts.
    delivered = datetime(2026, 11, 3, 23, 30, tzinfo=LOS_ANGELES)
    policy = a_policy(time_zone="America/Los_Angeles")
    order = an_order(delivered_at=delivered)
    last_evening = datetime(2026, 12, 3, 23, 0, tzinfo=LOS_ANGELES)

    verdict = judge(order=order, line=order.lines[0], policy=policy, now=last_evening)

    assert verdict.status == "returnable"
    assert verdict.returnable_until == date(2026, 12, 3)


def test_a_window_across_a_daylight_saving_change_still_ends_at_local_midnight() -> None:
    new_york = ZoneInfo("America/New_York")
    order = an_order(delivered_at=datetime(2026, 10, 20, 23, 30, tzinfo=new_york))
    policy = a_policy(time_zone="America/New_York")

    last_second = judge(order=order, line=order.lines[0], policy=policy,
                        now=datetime(2026, 11, 19, 23, 59, 59, tzinfo=new_york))
    next_morning = judge(order=order, line=order.lines[0], policy=policy,
                         now=datetime(2026, 11, 20, 0, 0, tzinfo=new_york))

    assert last_second.status == "returnable"
    assert next_morning.status == "needs_approval"


def test_a_zero_day_window_allows_returns_on_the_delivery_day_only() -> None:
    policy = a_policy(window_days=0, exception_grace_days=0)

    assert judge(policy=policy, now=tokyo(2026, 11, 3, 23, 59)).status == "returnable"
    assert judge(policy=policy, now=tokyo(2026, 11, 4, 0, 1)).reason_code == "window_closed"


def test_without_a_grace_period_the_day_after_the_window_is_closed() -> None:
    verdict = judge(policy=a_policy(exception_grace_days=0), now=tokyo(2026, 12, 4, 0, 0))

    assert (verdict.status, verdict.reason_code) == ("not_returnable", "window_closed")


def test_a_grace_verdict_says_until_when_an_exception_can_be_asked_for() -> None:
    verdict = judge(now=tokyo(2026, 12, 7))

    assert verdict.message_params["request_until"] == date(2027, 1, 2)
    assert verdict.quantity_available == 2


def test_a_final_sale_line_is_not_returnable() -> None:
    verdict = judge(line=a_line(final_sale=True))

    assert (verdict.status, verdict.reason_code) == ("not_returnable", "final_sale")
    assert verdict.quantity_available == 0


def test_a_final_sale_line_is_returnable_when_the_policy_allows_it() -> None:
    verdict = judge(line=a_line(final_sale=True), policy=a_policy(final_sale_returnable=True))

    assert verdict.status == "returnable"


def rule(returnable: bool = True, window_days: int | None = None, **match: str) -> Rule:
    return Rule(RuleMatch(**match), returnable=returnable, window_days=window_days)


# (what, line overrides, rules, status, reason_code, returnable_until)
RULE_CASES: list[tuple[str, dict[str, Any], tuple[Rule, ...], str, str, date | None]] = [
    ("a product type rule bans gift cards", {"product_type": "gift_card"},
     (rule(False, product_type="gift_card"),), "not_returnable", "rule_not_returnable", None),
    ("a tag rule bans tagged lines", {"tags": ("hygiene",)},
     (rule(False, tag="hygiene"),), "not_returnable", "rule_not_returnable", None),
    ("a sku rule bans one product", {"sku": "EARRINGS-1"},
     (rule(False, sku="EARRINGS-1"),), "not_returnable", "rule_not_returnable", None),
    ("a rule for another product type leaves the line alone", {"product_type": "apparel"},
     (rule(False, product_type="gift_card"),), "returnable", "within_window", date(2026, 12, 3)),
    ("a product type rule gives its own window", {"product_type": "electronics"},
     (rule(window_days=14, product_type="electronics"),), "returnable", "within_window", date(2026, 11, 17)),
    ("a tag rule gives its own window", {"tags": ("holiday",)},
     (rule(window_days=60, tag="holiday"),), "returnable", "within_window", date(2027, 1, 2)),
    ("a sku rule gives its own window", {"sku": "TEE-NAVY-M"},
     (rule(window_days=7, sku="TEE-NAVY-M"),), "returnable", "within_window", date(2026, 11, 10)),
    ("a sku exception beats a product type ban", {"product_type": "gift_card", "sku": "GIFT-BOX"},
     (rule(False, product_type="gift_card"), rule(True, sku="GIFT-BOX")),
     "returnable", "within_window", date(2026, 12, 3)),
    ("a tag beats a product type whatever the order", {"product_type": "apparel", "tags": ("sale",)},
     (rule(window_days=7, tag="sale"), rule(window_days=90, product_type="apparel")),
     "returnable", "within_window", date(2026, 11, 10)),
    ("among equal matches a ban wins", {"tags": ("a", "b")},
     (rule(window_days=60, tag="a"), rule(False, tag="b")), "not_returnable", "rule_not_returnable", None),
    ("among equal matches the shorter window wins", {"tags": ("a", "b")},
     (rule(window_days=60, tag="a"), rule(window_days=10, tag="b")),
     "returnable", "within_window", date(2026, 11, 13)),
    ("a rule with two criteria needs both", {"product_type": "apparel", "tags": ()},
     (rule(False, product_type="apparel", tag="sale"),), "returnable", "within_window", date(2026, 12, 3)),
    ("a rule with two criteria applies when both hold", {"product_type": "apparel", "tags": ("sale",)},
     (rule(False, product_type="apparel", tag="sale"),), "not_returnable", "rule_not_returnable", None),
]


@pytest.mark.parametrize(("what", "line_overrides", "rules", "status", "reason_code", "until"), RULE_CASES,
                         ids=[case[0] for case in RULE_CASES])
def test_rules_match_by_product_type_tag_or_sku(
    what: str, line_overrides: dict[str, Any], rules: tuple[Rule, ...], status: str,
    reason_code: str, until: date | None,
) -> None:
    verdict = judge(line=a_line(**line_overrides), policy=a_policy(rules=rules), now=tokyo(2026, 11, 4))

    assert (verdict.status, verdict.reason_code, verdict.returnable_until) == (status, reason_code, until)


def test_a_rule_window_past_its_end_goes_to_the_grace_period() -> None:
    policy = a_policy(rules=(rule(window_days=7, product_type="apparel"),))

    verdict = judge(policy=policy, now=tokyo(2026, 11, 12))

    assert (verdict.status, verdict.message_params["days_late"]) == ("needs_approval", 2)


# (what, window_starts, order overrides, status, reason_code, returnable_until)
START_CASES: list[tuple[str, str, dict[str, Any], str, str, date | None]] = [
    ("an undelivered order is not delivered yet", "delivered", {"delivered_at": None},
     "not_returnable", "not_delivered_yet", None),
    ("a window from placing counts from the order date", "placed", {"delivered_at": None},
     "returnable", "within_window", date(2026, 12, 1)),
    ("an unshipped order is not shipped yet", "fulfilled", {"fulfilled_at": None},
     "not_returnable", "not_shipped_yet", None),
    ("a window from fulfilment counts from the shipping date", "fulfilled",
     {"fulfilled_at": tokyo(2026, 11, 2, 8)}, "returnable", "within_window", date(2026, 12, 2)),
]


@pytest.mark.parametrize(("what", "starts", "order_overrides", "status", "reason_code", "until"), START_CASES,
                         ids=[case[0] for case in START_CASES])
def test_the_window_starts_when_the_policy_says(
    what: str, starts: str, order_overrides: dict[str, Any], status: str, reason_code: str,
    until: date | None,
) -> None:
    order = an_order(**order_overrides)

    verdict = judge(order=order, line=order.lines[0], policy=a_policy(window_starts=starts))

    assert (verdict.status, verdict.reason_code, verdict.returnable_until) == (status, reason_code, until)


def test_a_delivery_date_reported_in_the_future_counts_as_day_zero() -> None:
    verdict = judge(now=tokyo(2026, 11, 2))

    assert verdict.status == "returnable"


# (what, line quantity, already returned, in open returns, status, reason_code, available)
QUANTITY_CASES = [
    ("nothing returned yet", 3, 0, 0, "returnable", "within_window", 3),
    ("some units returned", 3, 1, 0, "returnable", "within_window", 2),
    ("some units in an open return", 3, 0, 2, "returnable", "within_window", 1),
    ("every unit returned", 3, 3, 0, "not_returnable", "fully_returned", 0),
    ("the last units in an open return", 3, 1, 2, "not_returnable", "already_requested", 0),
    ("more counted than sold", 3, 4, 0, "not_returnable", "fully_returned", 0),
]


@pytest.mark.parametrize(("what", "quantity", "returned", "open_", "status", "reason_code", "available"),
                         QUANTITY_CASES, ids=[case[0] for case in QUANTITY_CASES])
def test_units_already_returned_or_in_an_open_return_cannot_be_chosen_again(
    what: str, quantity: int, returned: int, open_: int, status: str, reason_code: str, available: int,
) -> None:
    verdict = judge(line=a_line(quantity=quantity), already_returned=returned, in_open_returns=open_)

    assert (verdict.status, verdict.reason_code, verdict.quantity_available) == (status, reason_code, available)


def test_a_fully_returned_final_sale_line_says_it_was_returned() -> None:
    verdict = judge(line=a_line(final_sale=True), already_returned=2)

    assert verdict.reason_code == "fully_returned"


# (what, max per 90 days, returns in the last 90 days, status, reason_code)
ABUSE_CASES = [
    ("below the limit", 10, 9, "returnable", "within_window"),
    ("at the limit", 10, 10, "needs_approval", "abuse_limit"),
    ("over the limit", 10, 25, "needs_approval", "abuse_limit"),
    ("no limit", None, 1000, "returnable", "within_window"),
    ("a limit of zero sends every return to the merchant", 0, 0, "needs_approval", "abuse_limit"),
]


@pytest.mark.parametrize(("what", "limit", "recent", "status", "reason_code"), ABUSE_CASES,
                         ids=[case[0] for case in ABUSE_CASES])
def test_a_shopper_over_the_return_limit_needs_approval(
    what: str, limit: int | None, recent: int, status: str, reason_code: str
) -> None:
    verdict = judge(policy=a_policy(max_returns_per_customer_90d=limit), customer_returns_90d=recent)

    assert (verdict.status, verdict.reason_code) == (status, reason_code)


def test_the_abuse_limit_does_not_reopen_a_closed_window() -> None:
    verdict = judge(now=tokyo(2027, 2, 1), customer_returns_90d=50)

    assert verdict.reason_code == "window_closed"


def test_a_verdict_records_the_policy_version_it_was_judged_by() -> None:
    assert judge(policy=a_policy().with_version(7)).policy_version == 7


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValidationError) as error:
        judge(now=datetime(2026, 11, 10, 12))

    assert error.value.fields == ("now",)


def test_a_line_of_another_order_is_refused() -> None:
    order = an_order(a_line(id="L1"))

    with pytest.raises(ValidationError) as error:
        judge(order=order, line=a_line(id="L9"))

    assert error.value.fields == ("line_id",)


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValidationError) as error:
        judge(already_returned=-1, customer_returns_90d=-2)

    assert error.value.fields == ("already_returned", "customer_returns_90d")


def test_judging_an_order_gives_one_verdict_per_line_in_order() -> None:
    order = an_order(a_line(id="L1"), a_line(id="L2", final_sale=True))

    verdicts = judge_order(order, a_policy(), now=tokyo(2026, 11, 10), returned={"L1": 1},
                           customer_returns_90d=0)

    assert [(v.line_id, v.reason_code, v.quantity_available) for v in verdicts] == [
        ("L1", "within_window", 1), ("L2", "final_sale", 0)]


# Property tests ---------------------------------------------------------------------------------

ZONES = ["UTC", "Asia/Tokyo", "Asia/Shanghai", "Asia/Seoul", "America/New_York", "Pacific/Auckland",
         "America/Los_Angeles", "Pacific/Kiritimati", "Pacific/Pago_Pago"]
instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 1, 1),
                        timezones=st.just(timezone.utc))


@st.composite
def judging_inputs(draw: st.DrawFn) -> dict[str, Any]:
    line = a_line(
        quantity=draw(st.integers(1, 5)),
        final_sale=draw(st.booleans()),
        product_type=draw(st.sampled_from(["apparel", "gift_card", "electronics"])),
        tags=tuple(draw(st.lists(st.sampled_from(["sale", "holiday"]), max_size=2, unique=True))),
    )
    rules = tuple(draw(st.lists(st.sampled_from([
        rule(False, product_type="gift_card"), rule(window_days=7, tag="sale"),
        rule(window_days=60, tag="holiday"), rule(True, sku="TEE-NAVY-M"),
    ]), max_size=3)))
    policy = a_policy(
        time_zone=draw(st.sampled_from(ZONES)), window_days=draw(st.integers(0, 90)),
        exception_grace_days=draw(st.integers(0, 60)), rules=rules,
        window_starts=draw(st.sampled_from(["delivered", "placed", "fulfilled"])),
        max_returns_per_customer_90d=draw(st.none() | st.integers(0, 12)),
    )
    placed = draw(instants)
    delivered = draw(st.none() | st.just(placed + timedelta(hours=draw(st.integers(0, 24 * 10)))))
    order = an_order(line, placed_at=placed, delivered_at=delivered, fulfilled_at=delivered)
    returned = draw(st.integers(0, line.quantity))
    return {
        "order": order, "line": line, "policy": policy, "now": draw(instants),
        "already_returned": returned,
        "in_open_returns": draw(st.integers(0, line.quantity - returned)),
        "customer_returns_90d": draw(st.integers(0, 15)),
    }


@given(judging_inputs())
def test_judging_the_same_inputs_twice_gives_the_same_verdict(inputs: dict[str, Any]) -> None:
    first = judge_line(**inputs)
    again = judge_line(**inputs)

    assert first == again
    assert first.reason_code in REASON_CODES


@given(judging_inputs())
def test_a_verdict_only_offers_units_that_are_left_and_only_when_the_line_can_be_chosen(
    inputs: dict[str, Any],
) -> None:
    verdict = judge_line(**inputs)
    left = inputs["line"].quantity - inputs["already_returned"] - inputs["in_open_returns"]

    if verdict.status == "not_returnable":
        assert verdict.quantity_available == 0
    else:
        assert verdict.quantity_available == left > 0


@given(judging_inputs(), st.integers(1, 400))
def test_waiting_never_makes_a_line_more_returnable(inputs: dict[str, Any], hours_later: int) -> None:
    rank = {"returnable": 0, "needs_approval": 1, "not_returnable": 2}
    now = judge_line(**inputs)
    later = judge_line(**{**inputs, "now": inputs["now"] + timedelta(hours=hours_later)})

    assert rank[later.status] >= rank[now.status]
