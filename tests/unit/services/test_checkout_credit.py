"""Which promotion codes a Checkout Session used, and how much each took off."""

from __future__ import annotations

from chalicelib.services.checkout_credit import credit_discounts


def test_the_breakdown_gives_each_code_its_own_amount() -> None:
    session = {"total_details": {"amount_discount": 1500, "breakdown": {"discounts": [
        {"amount": 1000, "discount": {"promotion_code": "promo_credit"}},
        {"amount": 500, "discount": {"promotion_code": {"id": "promo_sale", "object": "promotion_code"}}},
    ]}}, "discounts": [{"promotion_code": "promo_credit"}, {"promotion_code": "promo_sale"}]}
    assert credit_discounts(session) == [("promo_credit", 1000), ("promo_sale", 500)]


def test_a_single_code_without_a_breakdown_took_the_whole_discount() -> None:
    session = {"total_details": {"amount_discount": 2400}, "discounts": [{"promotion_code": "promo_credit"}]}
    assert credit_discounts(session) == [("promo_credit", 2400)]


def test_two_codes_without_a_breakdown_cannot_be_split_and_a_coupon_alone_is_no_credit() -> None:
    two = {"total_details": {"amount_discount": 2400},
           "discounts": [{"promotion_code": "promo_a"}, {"promotion_code": "promo_b"}]}
    coupon_only = {"total_details": {"amount_discount": 800}, "discounts": [{"coupon": "summer"}]}
    assert credit_discounts(two) == []
    assert credit_discounts(coupon_only) == []
    assert credit_discounts({}) == []
