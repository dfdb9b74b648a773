"""Money as integer minor units plus an ISO 4217 code; never a float."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .currency import is_known_currency, minor_unit_exponent
from .errors import CurrencyMismatchError, ValidationError


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An amount in the smallest unit of its currency (cents, yen, won)."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        # bool is an int subclass; a True amount is always a bug.
        if type(self.minor) is not int:
            raise ValidationError(
                f"amount must be an integer number of minor units, got {self.minor!r}",
                fields=("amount",),
            )
        if not is_known_currency(self.currency):
            raise ValidationError(f"unknown currency {self.currency!r}", fields=("currency",))

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def from_decimal(cls, amount: Decimal | str, currency: str) -> Money:
        """Money from a major-unit amount ("33.00" USD); refuses sub-minor-unit precision."""
        if not is_known_currency(currency):
            raise ValidationError(f"unknown currency {currency!r}", fields=("currency",))
        # A float would smuggle binary rounding in (19.99 is not 19.99): text or Decimal only.
        if not isinstance(amount, Decimal | str):
            raise ValidationError("an amount must be given as text or Decimal", fields=("amount",))
        try:
            parsed = Decimal(amount)
        except ArithmeticError as error:
            raise ValidationError(f"{amount!r} is not an amount", fields=("amount",)) from error
        if not parsed.is_finite():
            raise ValidationError(f"{amount!r} is not an amount", fields=("amount",))
        scaled = parsed.scaleb(minor_unit_exponent(currency))
        if scaled != scaled.to_integral_value():
            raise ValidationError(
                f"{amount} has more decimals than {currency} allows", fields=("amount",)
            )
        return cls(int(scaled), currency)

    @property
    def exponent(self) -> int:
        return minor_unit_exponent(self.currency)

    def to_decimal(self) -> Decimal:
        """The amount in major units, exact (3300 JPY -> 3300, 3300 USD -> 33.00)."""
        return Decimal(self.minor).scaleb(-self.exponent)

    def is_zero(self) -> bool:
        return self.minor == 0

    def is_negative(self) -> bool:
        return self.minor < 0

    def _same_currency(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(
                f"cannot combine {self.currency} with {other.currency}", fields=("currency",)
            )
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.minor + self._same_currency(other).minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.minor - self._same_currency(other).minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __mul__(self, factor: int) -> Money:
        if type(factor) is not int:
            raise TypeError("Money can only be multiplied by an integer; use percent() or allocate()")
        return Money(self.minor * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.minor < self._same_currency(other).minor

    def __le__(self, other: Money) -> bool:
        return self.minor <= self._same_currency(other).minor

    def __gt__(self, other: Money) -> bool:
        return self.minor > self._same_currency(other).minor

    def __ge__(self, other: Money) -> bool:
        return self.minor >= self._same_currency(other).minor

    def percent(self, percent: int | Decimal | str) -> Money:
        """`percent` % of this amount, rounded half away from zero to a whole minor unit."""
        exact = Fraction(self.minor) * Fraction(Decimal(percent)) / 100
        return Money(_round_half_away(exact), self.currency)

    def allocate(self, weights: Sequence[int]) -> list[Money]:
        """Split into parts proportional to `weights` that add up exactly to this amount.

        Largest remainder: every part gets its floor, then the leftover minor units go one each
        to the parts with the largest remainders (earlier parts win ties).
        """
        if not weights:
            raise ValidationError("cannot allocate over no parts", fields=("weights",))
        if any(type(w) is not int or w < 0 for w in weights):
            raise ValidationError("allocation weights must be non-negative integers", fields=("weights",))
        total_weight = sum(weights)
        if total_weight == 0:
            raise ValidationError("allocation weights must not all be zero", fields=("weights",))
        sign = -1 if self.minor < 0 else 1
        whole = abs(self.minor)
        floors = [whole * w // total_weight for w in weights]
        remainders = [whole * w % total_weight for w in weights]
        leftover = whole - sum(floors)
        by_remainder = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
        for i in by_remainder[:leftover]:
            floors[i] += 1
        return [Money(sign * part, self.currency) for part in floors]

    def __str__(self) -> str:
        return f"{self.to_decimal()} {self.currency}"


def total(amounts: Iterable[Money], currency: str) -> Money:
    """The sum of `amounts`, all in `currency` (zero when there are none)."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result


def _round_half_away(value: Fraction) -> int:
    sign = -1 if value < 0 else 1
    magnitude = abs(value)
    floor = magnitude.numerator // magnitude.denominator
    if magnitude - floor >= Fraction(1, 2):
        floor += 1
    return sign * floor
