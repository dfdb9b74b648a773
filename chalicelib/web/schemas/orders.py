"""The order document of the admin API (PRODUCT.md, "Order body"), in and out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)

from ...domain.catalog import MAX_OPTIONS, options_of
from ...domain.timestamps import utc_timestamp
from ...domain.currency import is_known_currency
from ...domain.errors import ValidationError
from ...domain.locale import normalize_locale
from ...domain.money import Money
from ...domain.order import Address, Order, OrderLine, Payment, is_plausible_email

MinorUnits = Annotated[StrictInt, Field(ge=0, le=10**15)]
Text = Annotated[str, Field(max_length=500)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]


def _currency(code: str) -> str:
    if not is_known_currency(code):
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return code


def _email(value: str) -> str:
    value = value.strip()
    if not is_plausible_email(value):
        raise ValueError("is not a valid email address")
    return value


def _locale(value: str) -> str:
    try:
        return normalize_locale(value)
    except ValidationError as error:
        raise ValueError(error.message) from error


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class AddressIn(_Strict):
    name: ShortText
    line1: ShortText
    line2: Text = ""
    city: ShortText
    region: Text = ""
    postal_code: Annotated[str, Field(max_length=20)]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]


class PaymentIn(_Strict):
    provider: Literal["stripe", "other"]
    payment_intent: Annotated[str, Field(pattern=r"^pi_[A-Za-z0-9_]+$")] | None = None


class OrderLineIn(_Strict):
    id: Annotated[str, Field(min_length=1, max_length=64)]
    sku: Annotated[str, Field(min_length=1, max_length=100)]
    title: ShortText
    quantity: Annotated[StrictInt, Field(ge=1, le=10_000)]
    unit_price: MinorUnits
    tax: MinorUnits = 0
    discount: MinorUnits = 0
    product_type: Annotated[str, Field(max_length=100)] = ""
    tags: Annotated[list[Annotated[str, Field(max_length=100)]], Field(max_length=50)] = []
    final_sale: StrictBool = False
    # The catalog product the line was sold as, and the variant's options ({"size": "M"}), as
    # sold: what an exchange offers the other variants of (docs/exchanges.md, "Catalog").
    product_id: Annotated[str, Field(max_length=100, pattern=r"^([A-Za-z0-9][A-Za-z0-9._:/-]*)?$")] = ""
    options: Annotated[
        dict[Annotated[str, Field(min_length=1, max_length=40)], Annotated[str, Field(min_length=1, max_length=60)]],
        Field(max_length=MAX_OPTIONS),
    ] = {}

    @model_validator(mode="after")
    def _discount_within_price(self) -> OrderLineIn:
        if self.discount > self.unit_price * self.quantity:
            raise ValueError("discount must not exceed unit_price times quantity")
        return self


class OrderIn(_Strict):
    """An order as the store sends it; amounts in minor units of `currency`."""

    number: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    email: Annotated[str, AfterValidator(_email)]
    customer_name: ShortText
    locale: Annotated[str, AfterValidator(_locale)] = "en"
    currency: Annotated[str, AfterValidator(_currency)]
    placed_at: AwareDatetime
    delivered_at: AwareDatetime | None = None
    fulfilled_at: AwareDatetime | None = None
    shipping_address: AddressIn
    payment: PaymentIn
    shipping_total: MinorUnits = 0
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=500)]

    @field_validator("lines")
    @classmethod
    def _line_ids_unique(cls, lines: list[OrderLineIn]) -> list[OrderLineIn]:
        seen: set[str] = set()
        for line in lines:
            if line.id in seen:
                raise ValueError(f"line id {line.id!r} appears twice")
            seen.add(line.id)
        return lines

    def to_domain(self) -> Order:
        """The domain Order this document describes (not stored yet)."""
        currency = self.currency

        def money(minor: int) -> Money:
            return Money(minor, currency)

        return Order(
            number=self.number,
            email=self.email,
            customer_name=self.customer_name,
            locale=self.locale,
            currency=currency,
            placed_at=self.placed_at,
            delivered_at=self.delivered_at,
            fulfilled_at=self.fulfilled_at,
            shipping_address=Address(**self.shipping_address.model_dump()),
            payment=Payment(provider=self.payment.provider, payment_intent=self.payment.payment_intent),
            shipping_total=money(self.shipping_total),
            lines=tuple(
                OrderLine(
                    id=line.id, sku=line.sku, title=line.title, quantity=line.quantity,
                    unit_price=money(line.unit_price), tax=money(line.tax),
                    discount=money(line.discount), product_type=line.product_type,
                    tags=tuple(line.tags), final_sale=line.final_sale,
                    product_id=line.product_id, options=options_of(line.options),
                )
                for line in self.lines
            ),
        )


def _timestamp(moment: datetime | None) -> str | None:
    return None if moment is None else utc_timestamp(moment)


def order_to_json(order: Order) -> dict[str, Any]:
    """The order in the same shape as the document that imports it, plus its version."""
    address = order.shipping_address
    return {
        "number": order.number,
        "email": order.email,
        "customer_name": order.customer_name,
        "locale": order.locale,
        "currency": order.currency,
        "placed_at": _timestamp(order.placed_at),
        "delivered_at": _timestamp(order.delivered_at),
        "fulfilled_at": _timestamp(order.fulfilled_at),
        "shipping_address": {
            "name": address.name, "line1": address.line1, "line2": address.line2,
            "city": address.city, "region": address.region,
            "postal_code": address.postal_code, "country": address.country,
        },
        "payment": {"provider": order.payment.provider, "payment_intent": order.payment.payment_intent},
        "shipping_total": order.shipping_total.minor,
        "lines": [_line_to_json(line) for line in order.lines],
        "total": order.total.minor,
        "version": order.version,
    }


def _line_to_json(line: OrderLine) -> dict[str, Any]:
    """A line as imported; `product_id` and `options` only on a line that names its product."""
    out: dict[str, Any] = {
        "id": line.id, "sku": line.sku, "title": line.title, "quantity": line.quantity,
        "unit_price": line.unit_price.minor, "tax": line.tax.minor,
        "discount": line.discount.minor, "product_type": line.product_type,
        "tags": list(line.tags), "final_sale": line.final_sale,
    }
    if line.product_id or line.options:
        out["product_id"] = line.product_id
        out["options"] = dict(line.options)
    return out
