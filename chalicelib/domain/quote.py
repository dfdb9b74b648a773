"""The quote: exactly what a return pays back, line by line, in the order's currency.

The same quote is what the shopper confirms, what the merchant's email shows and what is paid.

How it is computed:

- Units of a line are valued one by one: the line's price after its discount, and its tax, are
  each split over its units by largest remainder (earlier units take the leftover minor units).
  A return of k units takes the next k units after those in earlier returns (`returned_before`),
  so all the returns of a line add up to exactly what was paid for it, never a unit more.
- Restocking fee, per line: `restocking_percent` of the line's item value (half away from zero),
  waived for a line whose reason has `waive_fees` (a damaged item is not restocked).
- Return-shipping fee, per return (one parcel): the policy's amount for the order's currency,
  waived for the whole return when any chosen line's reason has `waive_fees` (the parcel goes
  back because of the store). It is shared over the lines by their value after restocking.
- Fees never exceed a line's items plus tax: a return never costs the shopper money.
- The refund value (items + tax - fees) never exceeds what is still refundable on the payment:
  order total (shipping included) minus `already_refunded`. When it would, items and tax are
  cut back line by line, proportionally; fees stay as computed.
- Store-credit bonus, only for `store_credit`: `store_credit_bonus_percent` of the refund value
  (half away from zero), shared over the lines by their value. The bonus is credit the store
  adds on top; it is never paid out of the payment, so the caps above apply to total - bonus.
- Every amount, per line and for the return: total = items + tax - fees + bonus (fees are
  positive amounts deducted). The return's parts are the sums of the lines' parts.
- Original shipping, per return: the order's `shipping_total`, paid back when the policy's
  `original_shipping_refund` says so (domain/shipping.py) and no earlier return holds it
  (`returned_before[ORIGINAL_SHIPPING]`). It is its own amount, added to the total, never shared
  over the lines, earns no bonus and takes only what the payment's ceiling leaves after the lines.
  So total = items + tax - fees + bonus + shipping, and the lines' totals add up to total - shipping.

A partial receipt (fewer units arrived than the return asked for: `Quote.received`) pays only the
units that arrived: each line's amounts are split over its units as above (earlier units take
the leftover minor units) and the first `received` units are kept. Fees shrink with the units
(a missing item is neither restocked nor shipped) and never exceed what is left of the line;
nothing ever grows, so the refund stays within what was quoted and under the payment's ceiling.
A partial receipt pays no original shipping: the return did not bring back what made it due.

An exchange (resolution "exchange", domain/exchange.py) sends other variants instead of money:
each line's `replacement` is the new variant's price times its units and its `difference` that
minus the returned variant's list price. No fees, no bonus, no original shipping. What moves is
the difference: a dearer line's total is -difference (negative: the shopper pays), an even one's
0, a cheaper one's -difference but never more than its units were paid, and all the cheaper
lines together never more than the payment's ceiling. `items` and `tax` still say what the
returned units were paid (the value given back if the exchange falls through).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from .errors import ValidationError
from .exchange import ExchangeChoice
from .money import Money, total
from .notes import MAX_NOTE, note_too_long
from .order import Order, OrderLine
from .policy import RESOLUTIONS, Policy, Resolution
from .shipping import original_shipping_due


@dataclass(frozen=True, slots=True)
class Selection:
    """One line the shopper chose to return: how many units, why, and their note."""

    line_id: str
    quantity: int
    reason: str
    note: str = ""
    # An exchange: the SKU of the variant the shopper wants instead ("" for money back).
    exchange_for: str = ""


@dataclass(frozen=True, slots=True)
class QuoteLine:
    """The money for one chosen line; total = items + tax - fees + bonus."""

    line_id: str
    quantity: int
    reason: str
    note: str
    items: Money
    tax: Money
    fees: Money
    bonus: Money
    total: Money
    fees_waived: bool
    # An exchange's line: the variant sent instead, its price for these units, and that minus the
    # returned units' list price (None / zero for a refund or store credit).
    exchange_for: str = ""
    replacement: Money | None = None
    difference: Money | None = None


@dataclass(frozen=True, slots=True)
class Quote:
    """What a return pays back; total = items + tax - fees + bonus + shipping, all in `currency`.

    `shipping`: the order's original shipping paid back with this return (zero mostly).
    """

    currency: str
    resolution: Resolution
    lines: tuple[QuoteLine, ...]
    items: Money
    tax: Money
    fees: Money
    bonus: Money
    total: Money
    restocking_fee: Money
    return_shipping_fee: Money
    shipping: Money
    policy_version: int

    @property
    def refund_value(self) -> Money:
        """The part taken from the payment's refundable amount: total without the bonus."""
        return self.total - self.bonus

    @property
    def is_exchange(self) -> bool:
        return self.resolution == "exchange"

    @property
    def replacement(self) -> Money:
        """What the replacements are worth at their list prices (zero unless an exchange)."""
        return total((q.replacement for q in self.lines if q.replacement is not None), self.currency)

    @property
    def difference(self) -> Money:
        """The replacements' price minus the returned units' (positive: the shopper pays)."""
        return total((q.difference for q in self.lines if q.difference is not None), self.currency)

    @property
    def to_pay(self) -> Money:
        """What the shopper pays before an exchange is confirmed (zero unless a dearer one)."""
        return max(-self.total, Money.zero(self.currency))

    def received(self, units: Mapping[str, int]) -> Quote:
        """This quote for only `units` (per line id) of its lines' units, as a partial receipt pays.

        A line missing from `units` arrived whole. ValidationError when a count is not from 0 to
        the line's quantity.
        """
        lines: list[QuoteLine] = []
        for line in self.lines:
            arrived = units.get(line.line_id, line.quantity)
            if type(arrived) is not int or not 0 <= arrived <= line.quantity:
                raise ValidationError(f"received units of line {line.line_id} must be from 0 to {line.quantity}",
                                      fields=(f"received.{line.line_id}",))
            lines.append(line if arrived == line.quantity else _scaled_line(line, arrived))
        if all(new is old for new, old in zip(lines, self.lines)):
            return self
        # Fewer units than asked for: what made the original shipping due did not come back.
        shipping = Money.zero(self.currency)
        currency = self.currency
        fees = total((q.fees for q in lines), currency)
        # The return's two fees, cut back in the proportion they had.
        if fees == self.fees:
            restocking, return_shipping = self.restocking_fee, self.return_shipping_fee
        else:
            restocking, return_shipping = _share(fees, [self.restocking_fee, self.return_shipping_fee]) if not fees.is_zero() \
                else (Money.zero(currency), Money.zero(currency))
        return Quote(
            currency=currency, resolution=self.resolution, lines=tuple(lines),
            items=total((q.items for q in lines), currency), tax=total((q.tax for q in lines), currency),
            fees=fees, bonus=total((q.bonus for q in lines), currency),
            total=total((q.total for q in lines), currency) + shipping,
            restocking_fee=restocking, return_shipping_fee=return_shipping, shipping=shipping,
            policy_version=self.policy_version,
        )

    def amounts(self) -> dict[str, str | int]:
        """The `amounts` object of the API, in minor units."""
        return {
            "currency": self.currency,
            "items": self.items.minor,
            "tax": self.tax.minor,
            "fees": self.fees.minor,
            "bonus": self.bonus.minor,
            "shipping": self.shipping.minor,
            # An exchange's replacements at list price, and that minus the returned units' price.
            **({"replacement": self.replacement.minor, "difference": self.difference.minor} if self.is_exchange else {}),
            "total": self.total.minor,
        }


def quote(
    order: Order,
    selections: Sequence[Selection],
    policy: Policy,
    *,
    resolution: str,
    already_refunded: Money | None = None,
    returned_before: Mapping[str, int] | None = None,
    at: datetime | None = None,
    exchanges: Mapping[str, ExchangeChoice] | None = None,
) -> Quote:
    """Price a return of `selections` from `order` under `policy` (pure).

    `already_refunded`: money already paid back on this order (refunds and the value part of
    store credit). `returned_before`: units per line id in earlier returns that were not rejected,
    cancelled or expired; they cannot be chosen again and fix which units this return values
    (with `ORIGINAL_SHIPPING`: 1 when an earlier return holds the original shipping). `at`: when
    the return is requested (the EU withdrawal period is counted to it). `exchanges`: for
    resolution "exchange", each line's chosen replacement by line id (domain/exchange.py).
    Raises ValidationError naming every bad field (`lines[0].quantity`, `resolution`, ...).
    """
    currency = order.currency
    returned_before = returned_before or {}
    refunded = already_refunded if already_refunded is not None else Money.zero(currency)
    chosen = _validated(order, selections, policy, resolution, refunded, returned_before, exchanges or {})
    if resolution == "exchange":
        return _exchange_quote(order, chosen, policy, refunded, returned_before, exchanges or {})

    waive_shipping = any(waives for _, _, waives in chosen)
    items: list[Money] = []
    taxes: list[Money] = []
    restocking: list[Money] = []
    for selection, line, waives in chosen:
        first = returned_before.get(line.id, 0)
        units = range(first, first + selection.quantity)
        net_units = (line.gross - line.discount).allocate([1] * line.quantity)
        tax_units = line.tax.allocate([1] * line.quantity)
        item = total((net_units[u] for u in units), currency)
        items.append(item)
        taxes.append(total((tax_units[u] for u in units), currency))
        restocking.append(Money.zero(currency) if waives else item.percent(policy.fees.restocking_percent))

    after_restocking = [i + t - r for i, t, r in zip(items, taxes, restocking)]
    room = total(after_restocking, currency)
    shipping_fee = Money.zero(currency) if waive_shipping else policy.fees.return_shipping_in(currency)
    shipping_fee = min(shipping_fee, room)
    shipping_shares = _share(shipping_fee, after_restocking)
    fees = [r + s for r, s in zip(restocking, shipping_shares)]
    values = [v - s for v, s in zip(after_restocking, shipping_shares)]

    refundable = order.total - refunded
    if total(values, currency) > refundable:
        capped = _share(max(refundable, Money.zero(currency)), values)
        for k, (value, cap) in enumerate(zip(values, capped)):
            cut = value - cap
            if not cut.is_zero():
                item_cut, tax_cut = cut.allocate([items[k].minor, taxes[k].minor])
                items[k] = items[k] - item_cut
                taxes[k] = taxes[k] - tax_cut
        values = capped

    value = total(values, currency)
    shipping = Money.zero(currency)
    if original_shipping_due(
        order, policy.original_shipping_refund, chosen={s.line_id: s.quantity for s, _, _ in chosen},
        waives_fees=waive_shipping, returned_before=returned_before, at=at, zone=policy.zone,
    ):
        # What the ceiling leaves after the lines: never above what the order paid for shipping.
        shipping = max(min(order.shipping_total, refundable - value), Money.zero(currency))
    bonus = Money.zero(currency)
    if resolution == "store_credit":
        bonus = value.percent(policy.resolutions.store_credit_bonus_percent)
    bonuses = _share(bonus, values)

    lines = tuple(
        QuoteLine(
            line_id=line.id,
            quantity=selection.quantity,
            reason=selection.reason,
            note=selection.note,
            items=items[k],
            tax=taxes[k],
            fees=fees[k],
            bonus=bonuses[k],
            total=values[k] + bonuses[k],
            fees_waived=waives,
        )
        for k, (selection, line, waives) in enumerate(chosen)
    )
    return Quote(
        currency=currency,
        resolution=next(offered for offered in RESOLUTIONS if offered == resolution),
        lines=lines,
        items=total(items, currency),
        tax=total(taxes, currency),
        fees=total(fees, currency),
        bonus=bonus,
        total=value + bonus + shipping,
        restocking_fee=total(restocking, currency),
        return_shipping_fee=shipping_fee,
        shipping=shipping,
        policy_version=policy.version,
    )


def _paid_units(line: OrderLine, first: int, quantity: int) -> tuple[Money, Money]:
    """Items and tax paid for units first..first+quantity of `line` (largest remainder per unit)."""
    currency = line.unit_price.currency
    units = range(first, first + quantity)
    net_units = (line.gross - line.discount).allocate([1] * line.quantity)
    tax_units = line.tax.allocate([1] * line.quantity)
    return total((net_units[u] for u in units), currency), total((tax_units[u] for u in units), currency)


def _exchange_quote(
    order: Order,
    chosen: list[tuple[Selection, OrderLine, bool]],
    policy: Policy,
    refunded: Money,
    returned_before: Mapping[str, int],
    exchanges: Mapping[str, ExchangeChoice],
) -> Quote:
    """An exchange's quote: the difference moves, the returned units' value is kept for reference."""
    currency = order.currency
    zero = Money.zero(currency)
    paid: list[tuple[Money, Money]] = []
    replacements: list[Money] = []
    differences: list[Money] = []
    moves: list[Money] = []
    for selection, line, _ in chosen:
        choice = exchanges[line.id]
        items, tax = _paid_units(line, returned_before.get(line.id, 0), selection.quantity)
        paid.append((items, tax))
        replacement = choice.unit_price * selection.quantity
        difference = replacement - choice.returned_unit_price * selection.quantity
        replacements.append(replacement)
        differences.append(difference)
        # Cheaper: the difference back, never more than these units were paid.
        moves.append(-difference if not difference.is_negative() else min(-difference, items + tax))
    back = [m if m > zero else zero for m in moves]
    refundable = max(order.total - refunded, zero)
    if total(back, currency) > refundable:
        capped = _share(refundable, back)
        moves = [c if m > zero else m for m, c in zip(moves, capped)]
    lines = tuple(
        QuoteLine(
            line_id=line.id, quantity=selection.quantity, reason=selection.reason, note=selection.note,
            items=paid[k][0], tax=paid[k][1], fees=zero, bonus=zero, total=moves[k], fees_waived=waives,
            exchange_for=exchanges[line.id].sku, replacement=replacements[k], difference=differences[k],
        )
        for k, (selection, line, waives) in enumerate(chosen)
    )
    return Quote(
        currency=currency, resolution="exchange", lines=lines,
        items=total((p[0] for p in paid), currency), tax=total((p[1] for p in paid), currency),
        fees=zero, bonus=zero, total=total(moves, currency), restocking_fee=zero, return_shipping_fee=zero,
        shipping=zero, policy_version=policy.version,
    )


def _first_units(amount: Money, units: int, of: int) -> Money:
    """What the first `units` of `of` units hold of `amount`, split unit by unit (largest remainder)."""
    if units == of:
        return amount
    if units == 0 or amount.is_zero():
        return Money.zero(amount.currency)
    return total(amount.allocate([1] * of)[:units], amount.currency)


def _scaled_line(line: QuoteLine, units: int) -> QuoteLine:
    """`line` for its first `units` units: never more than before, fees within the line's items and tax.

    The line's value (items + tax - fees) is what is split, with the fees beside it, so the
    value kept is never above the value quoted; items and tax are then what holds them.
    """
    q = line.quantity
    if line.replacement is not None and line.difference is not None:
        # An exchange's line: the replacement shrinks with the units that came back.
        gross = _first_units(line.items + line.tax, units, q)
        tax = _first_units(line.tax, units, q)
        replacement = _first_units(line.replacement, units, q)
        difference = _first_units(line.difference, units, q)
        moved = -difference if not difference.is_negative() else min(-difference, gross)
        return replace(line, quantity=units, items=gross - tax, tax=tax, replacement=replacement,
                       difference=difference, total=min(moved, line.total) if moved.minor > 0 else moved)
    gross = _first_units(line.items + line.tax, units, q)
    fees = min(_first_units(line.fees, units, q), gross)
    tax = min(_first_units(line.tax, units, q), gross)
    bonus = _first_units(line.bonus, units, q)
    value = gross - fees
    return replace(line, quantity=units, items=gross - tax, tax=tax, fees=fees, bonus=bonus, total=value + bonus)


def _share(amount: Money, weights: Sequence[Money]) -> list[Money]:
    """`amount` spread over parts in proportion to `weights` (all zero when nothing to weigh)."""
    minors = [max(w.minor, 0) for w in weights]
    if amount.is_zero() or sum(minors) == 0:
        return [Money.zero(amount.currency) for _ in weights]
    return amount.allocate(minors)


def _validated(
    order: Order,
    selections: Sequence[Selection],
    policy: Policy,
    resolution: str,
    refunded: Money,
    returned_before: Mapping[str, int],
    exchanges: Mapping[str, ExchangeChoice],
) -> list[tuple[Selection, OrderLine, bool]]:
    problems: list[tuple[str, str]] = []
    chosen: list[tuple[Selection, OrderLine, bool]] = []
    if resolution not in RESOLUTIONS:
        problems.append(("resolution", f"resolution must be one of {', '.join(RESOLUTIONS)}"))
    elif resolution == "exchange":
        if policy.exchanges == "off":
            problems.append(("resolution", "this store does not offer exchange"))
    elif not policy.resolutions.offers(resolution):
        problems.append(("resolution", f"this store does not offer {resolution}"))
    if refunded.currency != order.currency or refunded.is_negative():
        problems.append(("already_refunded", f"already_refunded must be a non-negative {order.currency} amount"))
    if not selections:
        problems.append(("lines", "choose at least one line to return"))
    seen: set[str] = set()
    for i, selection in enumerate(selections):
        where = f"lines[{i}]"
        line = order.line(selection.line_id)
        if line is None:
            problems.append((f"{where}.line_id", f"order {order.number} has no line {selection.line_id!r}"))
        elif selection.line_id in seen:
            problems.append((f"{where}.line_id", f"line {selection.line_id!r} is chosen twice"))
        seen.add(selection.line_id)
        # Every message names the line it is about, so a client can tell its shopper which item.
        about = f"line {selection.line_id!r}: "
        if line is not None:
            left = line.quantity - max(returned_before.get(line.id, 0), 0)
            if type(selection.quantity) is not int or not 1 <= selection.quantity <= left:
                problems.append((f"{where}.quantity", f"{about}quantity must be from 1 to {max(left, 0)}"))
        reason = policy.reason(selection.reason)
        if reason is None:
            problems.append((f"{where}.reason", f"{about}{selection.reason!r} is not a return reason of this store"))
        elif reason.requires_note and not selection.note.strip():
            problems.append((f"{where}.note", f"{about}a note is needed for the reason {reason.code!r}"))
        if note_too_long(selection.note):
            problems.append((f"{where}.note", f"{about}a note is at most {MAX_NOTE} characters"))
        if resolution == "exchange" and policy.exchanges != "off" and line is not None:
            choice = exchanges.get(line.id)
            if choice is None:
                problems.append((f"{where}.exchange_for", f"{about}choose the variant to exchange this item for"))
            elif choice.unit_price.currency != order.currency or choice.returned_unit_price.currency != order.currency:
                problems.append((f"{where}.exchange_for", f"{about}the exchange must be priced in {order.currency}"))
        if line is not None and reason is not None:
            chosen.append((selection, line, reason.waive_fees))
    if problems:
        raise ValidationError(
            "; ".join(message for _, message in problems),
            fields=tuple(name for name, _ in problems),
        )
    return chosen
