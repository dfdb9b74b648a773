"""The returns report's arithmetic: outcomes, reasons and money per currency, and its period."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import ValidationError
from chalicelib.domain.money import Money
from chalicelib.domain.policy import DEFAULT_POLICY, Fees
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_report import OUTCOMES, ReportPeriod, summarize_outcomes
from chalicelib.domain.return_request import RefundAttempt, ReturnRequest, refund_idempotency_key, rma_from_bits
from tests.builders import a_line, an_order

NOW = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)
REASONS = ("too_small", "too_large", "changed_mind", "damaged", "wrong_item")


def a_closed_return(
    bits: int, status: str, *, currency: str = "JPY", lines: tuple[tuple[str, int], ...] = (("too_small", 1),),
    resolution: str = "refund", restocking_percent: int = 0, refunded: int | None = None,
) -> ReturnRequest:
    """A return of one unit-priced tee line per (reason, units), ended in `status`.

    `refunded`: the refund attempt's amount (default: what the quote refunds).
    """
    order = an_order(currency=currency, lines=[a_line(currency=currency, id=f"L{i}", quantity=units)
                                               for i, (_, units) in enumerate(lines)])
    selections = tuple(Selection(f"L{i}", units, reason, "note") for i, (reason, units) in enumerate(lines))
    policy = replace(DEFAULT_POLICY, fees=Fees(restocking_percent=restocking_percent))
    priced = quote(order, selections, policy, resolution=resolution)
    request = ReturnRequest.request(rma=rma_from_bits(bits), order=order, selections=selections, quote=priced,
                                    needs_approval=False, at=NOW)
    attempt = None
    if status == "refunded":
        amount = Money(refunded if refunded is not None else priced.refund_value.minor, currency)
        attempt = RefundAttempt(1, amount, refund_idempotency_key(request.rma, 1), refund_id="re_1")
    return replace(request, status=status, refund=attempt)


def test_a_mixed_month_adds_up_per_currency_and_never_across() -> None:
    summary = summarize_outcomes([
        a_closed_return(1, "refunded", currency="JPY"),                            # 3300 + 600 tax
        a_closed_return(2, "refunded", currency="JPY", restocking_percent=10),     # 330 fee kept
        a_closed_return(3, "credited", currency="USD", resolution="store_credit"),  # 10% bonus
        a_closed_return(4, "rejected", currency="USD", lines=(("changed_mind", 2), ("too_small", 1))),
        a_closed_return(5, "cancelled", currency="KRW"),
    ])

    assert summary.outcomes == {"refunded": 2, "credited": 1, "rejected": 1, "cancelled": 1, "expired": 0}
    assert {code: (t.returns, t.units) for code, t in summary.reasons.items()} == {
        "changed_mind": (1, 2), "too_small": (5, 5),
    }
    jpy, usd = summary.money["JPY"], summary.money["USD"]
    assert (jpy.returns, jpy.refunded, jpy.store_credit, jpy.fees_kept) == (
        2, Money(3900 + 3900 - 330, "JPY"), Money(0, "JPY"), Money(330, "JPY"))
    assert (usd.returns, usd.refunded, usd.store_credit, usd.store_credit_bonus) == (
        1, Money(0, "USD"), Money(3900, "USD"), Money(390, "USD"))
    # Nothing was paid in won: a cancelled return moves no money.
    assert set(summary.money) == {"JPY", "USD"}


def test_a_refund_counts_what_stripe_was_asked_for() -> None:
    summary = summarize_outcomes([a_closed_return(1, "refunded", refunded=1234)])
    assert summary.money["JPY"].refunded == Money(1234, "JPY")


def test_an_open_return_is_not_an_outcome() -> None:
    with pytest.raises(ValueError):
        summarize_outcomes([a_closed_return(1, "approved")])


def test_nothing_closed_is_all_zeros() -> None:
    summary = summarize_outcomes([])
    assert summary.outcomes == dict.fromkeys(OUTCOMES, 0) and not summary.reasons and not summary.money


closed = st.builds(
    lambda status, currency, lines, resolution, fee, refunded: (status, currency, lines, resolution, fee, refunded),
    st.sampled_from(OUTCOMES), st.sampled_from(("JPY", "KRW", "USD", "EUR")),
    st.lists(st.tuples(st.sampled_from(REASONS), st.integers(1, 3)), min_size=1, max_size=3).map(tuple),
    st.sampled_from(("refund", "store_credit")), st.integers(0, 30), st.integers(1, 10**7),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(closed, max_size=12))
def test_every_total_is_the_sum_of_its_parts_in_its_own_currency(specs: list[tuple]) -> None:  # type: ignore[type-arg]
    returns = [
        a_closed_return(bits, status, currency=currency, lines=lines,
                        resolution="refund" if status == "refunded" else resolution,
                        restocking_percent=fee, refunded=refunded)
        for bits, (status, currency, lines, resolution, fee, refunded) in enumerate(specs, start=1)
    ]

    summary = summarize_outcomes(returns)

    assert sum(summary.outcomes.values()) == len(returns)
    assert sum(t.units for t in summary.reasons.values()) == sum(line.quantity for r in returns for line in r.lines)
    for code, tally in summary.reasons.items():
        assert tally.returns == sum(1 for r in returns if code in {line.reason for line in r.lines})
    paid = [r for r in returns if r.status in ("refunded", "credited")]
    assert set(summary.money) == {r.quote.currency for r in paid}
    for currency, totals in summary.money.items():
        mine = [r for r in paid if r.quote.currency == currency]
        assert {m.currency for m in (totals.refunded, totals.store_credit, totals.store_credit_bonus,
                                     totals.fees_kept)} == {currency}
        assert totals.returns == len(mine)
        assert totals.refunded.minor == sum(r.refund.amount.minor for r in mine if r.refund is not None)
        credited = [r for r in mine if r.status == "credited"]
        # What the shoppers' store-credit accounts received, split into goods and bonus.
        assert totals.store_credit.minor + totals.store_credit_bonus.minor == sum(r.quote.total.minor for r in credited)
        assert totals.store_credit_bonus.minor == sum(r.quote.bonus.minor for r in credited)
        assert totals.fees_kept.minor == sum(r.quote.fees.minor for r in mine)


def test_a_period_is_whole_utc_days_inclusive() -> None:
    period = ReportPeriod.parse("2026-10-01", "2026-10-31")
    assert (period.first_day, period.last_day, period.days) == (date(2026, 10, 1), date(2026, 10, 31), 31)
    assert period.start == datetime(2026, 10, 1, tzinfo=UTC)
    assert period.end == datetime(2026, 11, 1, tzinfo=UTC)
    assert ReportPeriod.parse("2026-11-23", "2026-11-23").days == 1
    assert ReportPeriod.parse("2026-01-01", "2026-04-03").days == 93


@pytest.mark.parametrize(("first", "last", "fields"), [
    (None, "2026-10-31", ("from",)),
    ("2026-10-01", None, ("to",)),
    (None, None, ("from", "to")),
    ("2026-10-1", "2026-10-31", ("from",)),
    ("20261001", "2026-10-31", ("from",)),
    ("2026-W40-1", "2026-10-31", ("from",)),
    ("2026-02-30", "2026-03-01", ("from",)),
    ("2026-10-01", "2026-10-31T00:00:00Z", ("to",)),
    ("２０２６-10-01", "2026-10-31", ("from",)),
    ("1999-12-31", "2000-01-01", ("from",)),
    ("9999-12-31", "9999-12-31", ("from", "to")),
    ("2026-10-31", "2026-10-01", ("from", "to")),
    ("2026-01-01", "2026-04-04", ("from", "to")),
])
def test_a_bad_period_is_refused_naming_its_fields(first: str | None, last: str | None, fields: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as refused:
        ReportPeriod.parse(first, last)
    assert refused.value.fields == fields
