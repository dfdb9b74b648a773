"""Our DynamoDB attribute codec: what we store comes back the same, and floats never go in."""

from __future__ import annotations

import pytest

from chalicelib.adapters.dynamodb_items import from_item, to_item


def test_stored_values_come_back_the_same() -> None:
    record = {
        "name": "山田 愛子", "amount": 3300, "negative": -5, "big": 10**15, "flag": False,
        "empty": "", "tags": ["a", "b"], "nested": {"lines": [{"qty": 2, "final_sale": True}]},
    }
    assert from_item(to_item(record)) == record


def test_none_attributes_are_left_out() -> None:
    assert to_item({"delivered_at": None, "number": "1001"}) == {"number": {"S": "1001"}}


def test_a_float_is_refused_so_money_can_never_be_stored_as_one() -> None:
    with pytest.raises(TypeError):
        to_item({"amount": 33.0})
