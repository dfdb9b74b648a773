"""Orders as the store sold them: the facts every return is judged against."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime

from .errors import ValidationError
from .locale import SUPPORTED_LOCALES
from .money import Money, total

# The id under which a return holds the order's original shipping, beside its lines'
# reservations (domain/shipping.py); no line of an order may take it.
ORIGINAL_SHIPPING = "#original_shipping"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Dashes a keyboard may put where the store printed "-" (NFKC leaves these as they are): the
# hyphens and dashes of U+2010..U+2015, the minus sign, and the Japanese long-vowel mark that a
# kana keyboard types for the "-" key.
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc"})
_NUMBER_PREFIXES = ("NO.", "#")


def normalize_email(email: str) -> str:
    """The form of an email address we match on: NFKC (full-width letters and ＠ become ASCII),
    trimmed and lower-cased."""
    return unicodedata.normalize("NFKC", email).strip().lower()


def order_number_key(text: str) -> str:
    """The form of an order number we store and match on, whatever way a person typed it.

    NFKC first (full-width `１００２` and `＃` become `1002` and `#`), then the store's number
    format: no whitespace anywhere, no leading "No." or "#", dashes as "-", upper case. A number
    already in that form ("1001", "A-1002") is its own key.
    """
    key = "".join(unicodedata.normalize("NFKC", text).split()).translate(_DASHES).upper()
    for prefix in _NUMBER_PREFIXES:
        key = key.removeprefix(prefix)
    return key


def same_order_number(one: str, other: str) -> bool:
    """Whether two order numbers, however typed, name one order."""
    return order_number_key(one) == order_number_key(other)


def is_plausible_email(email: str) -> bool:
    """True for something shaped like an address a store could have mailed."""
    return len(email) <= 254 and bool(_EMAIL.match(email))


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address, in whatever script the shopper wrote it."""

    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str = ""
    region: str = ""


@dataclass(frozen=True, slots=True)
class Payment:
    """How the order was paid; refunds go back the same way."""

    provider: str
    payment_intent: str | None = None


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One product line; `tax` and `discount` are totals for all of its units."""

    id: str
    sku: str
    title: str
    quantity: int
    unit_price: Money
    tax: Money
    discount: Money
    product_type: str = ""
    tags: tuple[str, ...] = ()
    final_sale: bool = False
    # The catalog's product this line's variant belongs to ("" when the store sent none), and the
    # variant's options as sold (`(("size", "M"),)`): what an exchange offers the other variants of.
    product_id: str = ""
    options: tuple[tuple[str, str], ...] = ()

    @property
    def gross(self) -> Money:
        """Unit price times quantity, before discount and tax."""
        return self.unit_price * self.quantity

    @property
    def paid(self) -> Money:
        """What the shopper paid for the whole line: gross less discount plus tax."""
        return self.gross - self.discount + self.tax


@dataclass(frozen=True, slots=True)
class Order:
    """An order imported from the store; `version` counts its stored revisions (0: never stored)."""

    number: str
    email: str
    customer_name: str
    locale: str
    currency: str
    placed_at: datetime
    shipping_address: Address
    payment: Payment
    shipping_total: Money
    lines: tuple[OrderLine, ...]
    delivered_at: datetime | None = None
    fulfilled_at: datetime | None = None
    version: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        problems = list(_order_problems(self))
        if problems:
            raise ValidationError(
                "; ".join(message for _, message in problems),
                fields=tuple(name for name, _ in problems),
            )

    @property
    def customer_email(self) -> str:
        """The address used at checkout, in the form we match on."""
        return normalize_email(self.email)

    @property
    def total(self) -> Money:
        """What the shopper paid for the whole order, shipping included."""
        return total((line.paid for line in self.lines), self.currency) + self.shipping_total

    def line(self, line_id: str) -> OrderLine | None:
        return next((line for line in self.lines if line.id == line_id), None)

    def with_version(self, version: int) -> Order:
        return replace(self, version=version)


def _order_problems(order: Order) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not order_number_key(order.number):
        problems.append(("number", "number must not be empty"))
    if not is_plausible_email(order.email.strip()):
        problems.append(("email", "email is not a valid email address"))
    for name, value in (("placed_at", order.placed_at), ("delivered_at", order.delivered_at),
                        ("fulfilled_at", order.fulfilled_at)):
        if value is not None and value.tzinfo is None:
            problems.append((name, f"{name} must carry a time zone"))
    if order.locale not in SUPPORTED_LOCALES:
        problems.append(("locale", f"locale must be one of {', '.join(SUPPORTED_LOCALES)}"))
    if not order.lines:
        problems.append(("lines", "an order needs at least one line"))
    if order.shipping_total.currency != order.currency or order.shipping_total.is_negative():
        problems.append(("shipping_total", "shipping_total must be a non-negative amount in the order's currency"))
    seen: set[str] = set()
    for i, line in enumerate(order.lines):
        where = f"lines[{i}]"
        if line.id in seen:
            problems.append((f"{where}.id", f"line id {line.id!r} appears twice"))
        elif line.id == ORIGINAL_SHIPPING:
            problems.append((f"{where}.id", f"line id {line.id!r} is reserved for the order's shipping"))
        seen.add(line.id)
        if type(line.quantity) is not int:
            problems.append((f"{where}.quantity", "quantity must be a whole number"))
        elif line.quantity < 1:
            problems.append((f"{where}.quantity", "quantity must be at least 1"))
        for name in ("unit_price", "tax", "discount"):
            amount: Money = getattr(line, name)
            if amount.currency != order.currency:
                problems.append((f"{where}.{name}", f"{name} must be in {order.currency}"))
            elif amount.is_negative():
                problems.append((f"{where}.{name}", f"{name} must not be negative"))
        if (line.discount.currency == line.unit_price.currency and type(line.quantity) is int
                and line.quantity >= 1 and line.discount > line.gross):
            problems.append((f"{where}.discount", "discount must not exceed the line's price"))
    return problems


class PaymentMismatchError(ValidationError):
    """The order's PaymentIntent does not pay for it; `code` says how (see `payment_mismatch`)."""

    code = "payment_mismatch"


def payment_mismatch(order: Order, captured: Money | None) -> PaymentMismatchError | None:
    """Why what the order's PaymentIntent captured cannot pay for the order (None: it can).

    `captured` is the provider's answer, refunds not subtracted; None means the provider knows
    no such PaymentIntent. Each refusal protects the refunds: they go back to that PaymentIntent,
    in its currency, and never above what it captured.
    """
    intent = order.payment.payment_intent
    fields = ("payment.payment_intent",)
    if captured is None:
        return PaymentMismatchError(
            f"order {order.number}: Stripe knows no PaymentIntent {intent}; refunds could not reach it",
            code="payment_intent_unknown", fields=fields,
        )
    if captured.currency != order.currency:
        return PaymentMismatchError(
            f"order {order.number} is in {order.currency} but its PaymentIntent {intent} "
            f"was paid in {captured.currency}",
            code="payment_currency_mismatch", fields=("currency", *fields),
        )
    if captured < order.total:
        return PaymentMismatchError(
            f"order {order.number} totals {order.total} but its PaymentIntent {intent} "
            f"captured {captured}",
            code="payment_below_total", fields=fields,
        )
    return None
