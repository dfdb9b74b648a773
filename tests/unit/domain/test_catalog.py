"""A product of the catalog: what the domain accepts, and what it refuses naming the field."""

from __future__ import annotations

import pytest

from chalicelib.domain.catalog import MAX_VARIANTS, Product, Variant, options_of
from chalicelib.domain.errors import ValidationError
from chalicelib.domain.money import Money


def tee(*variants: Variant, **fields: object) -> Product:
    return Product(**{"product_id": "tee", "title": "Organic tee",  # type: ignore[arg-type]
                      "variants": variants or (Variant("TEE-M", (("size", "M"),), 2000, 3),), **fields})


def problems(**fields: object) -> tuple[str, ...]:
    with pytest.raises(ValidationError) as refused:
        tee(**fields)
    return refused.value.fields


def test_a_product_with_sized_variants_is_accepted() -> None:
    product = tee(Variant("TEE-M", (("size", "M"), ("colour", "navy")), 2000, 3),
                  Variant("TEE-L", (("colour", "navy"), ("size", "L")), 2500, 0), currency="EUR")
    assert product.variant("TEE-L") is not None and product.variant("TEE-XL") is None
    assert product.variants[0].options_text() == "M, navy"
    assert product.price_of(product.variants[1], "EUR") == Money(2500, "EUR")
    # A product priced in euros has no price in yen; one without a currency takes the order's.
    assert product.price_of(product.variants[1], "JPY") is None
    assert tee().price_of(tee().variants[0], "JPY") == Money(2000, "JPY")


@pytest.mark.parametrize(("fields", "field"), [
    ({"product_id": "has space"}, "product_id"),
    ({"title": "  "}, "title"),
    ({"currency": "EURO"}, "currency"),
    ({"variants": ()}, "variants"),
    ({"variants": tuple(Variant(f"S{k}", (("n", str(k)),), 1, 1) for k in range(MAX_VARIANTS + 1))}, "variants"),
    ({"variants": (Variant("A", (("size", "M"),), 1, 1), Variant("A", (("size", "L"),), 1, 1))}, "variants[1].sku"),
    ({"variants": (Variant("A", (("size", "M"),), 1, 1), Variant("B", (("size", "M"),), 1, 1))}, "variants[1].options"),
    ({"variants": (Variant("A", (("size", "M"),), 1, 1), Variant("B", (("colour", "red"),), 1, 1))}, "variants.options"),
    ({"variants": (Variant("A", (("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")), 1, 1),)}, "variants[0].options"),
    ({"variants": (Variant("A", (("size", ""),), 1, 1),)}, "variants[0].options"),
    ({"variants": (Variant("A", (("size", "M"), ("size", "L")), 1, 1),)}, "variants[0].options"),
    ({"variants": (Variant("A", (), -1, 1),)}, "variants[0].price"),
    ({"variants": (Variant("A", (), 12.5, 1),)}, "variants[0].price"),  # type: ignore[arg-type]
    ({"variants": (Variant("A", (), 1, -1),)}, "variants[0].stock"),
    ({"variants": (Variant("A", (), 1, True),)}, "variants[0].stock"),
], ids=["bad id", "blank title", "unknown currency", "no variants", "too many variants", "sku twice",
        "same options twice", "options of different shapes", "four options", "blank option value",
        "an option twice", "negative price", "float price", "negative stock", "boolean stock"])
def test_a_bad_product_is_refused_naming_the_field(fields: dict[str, object], field: str) -> None:
    assert field in problems(**fields)


def test_options_keep_the_order_they_were_given_in() -> None:
    assert options_of({"size": "M", "colour": "navy"}) == (("size", "M"), ("colour", "navy"))
    assert options_of((("colour", "navy"), ("size", "M"))) == (("colour", "navy"), ("size", "M"))
