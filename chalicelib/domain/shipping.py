"""The order's original shipping: when a return pays it back (policy `original_shipping_refund`).

The policy lists the occasions on which the store refunds what the shopper paid for delivery;
any one of them is enough, and an empty list (the default) never refunds it:

- `whole_order`: this return, with the order's earlier returns, brings back every unit.
- `fee_waiving_reasons`: a chosen line's reason waives fees (damaged, wrong item: the store's fault).
- `eu_withdrawal`: the EU right of withdrawal (Directive 2011/83/EU, Art. 13(1)): a shipping
  address in the EU/EEA, a return requested within 14 days of delivery, and the whole order
  withdrawn (a partial withdrawal keeps the delivery the shopper still uses; docs/policy.md).

The shipping is refunded once per order: the return that pays it holds it as a reservation on
the order (line id `ORIGINAL_SHIPPING`, one unit), so a second return cannot take it while the
first holds it; a return that closes without its parcel gives it back (docs/data-model.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from .order import ORIGINAL_SHIPPING as ORIGINAL_SHIPPING
from .order import Order

ShippingRefundOccasion = Literal["whole_order", "fee_waiving_reasons", "eu_withdrawal"]
SHIPPING_REFUND_OCCASIONS: tuple[ShippingRefundOccasion, ...] = ("whole_order", "fee_waiving_reasons", "eu_withdrawal")

# Days the EU right of withdrawal lasts, from the day after delivery (Art. 9(2)(b)).
WITHDRAWAL_DAYS = 14

# The 27 EU member states and the three EEA states outside it (Iceland, Liechtenstein, Norway),
# as ISO 3166-1 alpha-2 codes: where the Consumer Rights Directive applies.
EEA_COUNTRIES: frozenset[str] = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    "IS", "LI", "NO",
})


def ships_to_eea(order: Order) -> bool:
    """True when the order was delivered to an EU/EEA address."""
    return order.shipping_address.country.strip().upper() in EEA_COUNTRIES


def withdrawal_ends(delivered_at: datetime, zone: ZoneInfo) -> datetime:
    """The end of the 14-day withdrawal period: midnight after the 14th day following delivery.

    Days are the store's calendar days; the day of delivery does not count (Regulation 1182/71,
    Art. 3(1)), so a parcel delivered on 1 March may be withdrawn until 15 March at 24:00.
    """
    last_day = delivered_at.astimezone(zone).date() + timedelta(days=WITHDRAWAL_DAYS)
    return datetime.combine(last_day + timedelta(days=1), time(), tzinfo=zone)


def within_withdrawal_period(order: Order, at: datetime, zone: ZoneInfo) -> bool:
    """True when a return requested `at` is within the EU withdrawal period of `order`.

    An order not yet delivered is within it: the shopper may withdraw before the goods arrive.
    """
    if order.delivered_at is None:
        return True
    return at < withdrawal_ends(order.delivered_at, zone)


def returns_whole_order(order: Order, chosen: Mapping[str, int], returned_before: Mapping[str, int]) -> bool:
    """True when `chosen` units (per line id) and those in earlier returns are every unit of the order."""
    return all(returned_before.get(line.id, 0) + chosen.get(line.id, 0) >= line.quantity for line in order.lines)


def original_shipping_due(
    order: Order,
    occasions: Iterable[ShippingRefundOccasion],
    *,
    chosen: Mapping[str, int],
    waives_fees: bool,
    returned_before: Mapping[str, int],
    at: datetime | None,
    zone: ZoneInfo,
) -> bool:
    """Whether a return of `chosen` units, requested `at`, pays back the order's original shipping.

    Never when an earlier return holds it (`returned_before[ORIGINAL_SHIPPING]`) or the order
    paid none. `waives_fees`: a chosen line's reason waives fees. `at` None (no request time
    known): the EU occasion cannot be judged and does not apply.
    """
    if order.shipping_total.is_zero() or returned_before.get(ORIGINAL_SHIPPING, 0) > 0:
        return False
    whole = returns_whole_order(order, chosen, returned_before)
    for occasion in occasions:
        if occasion == "whole_order" and whole:
            return True
        if occasion == "fee_waiving_reasons" and waives_fees:
            return True
        if (occasion == "eu_withdrawal" and whole and at is not None and ships_to_eea(order)
                and within_withdrawal_period(order, at, zone)):
            return True
    return False
