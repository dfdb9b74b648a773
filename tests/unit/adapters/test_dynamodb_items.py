"""Our DynamoDB attribute codec: what we store comes back the same, and floats never go in."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.adapters.dynamodb_items import from_attribute, from_item, to_attribute, to_item


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


def _error(code: str, reasons: list[dict[str, str]] | None = None) -> Exception:
    error = Exception(code)
    error.response = {"Error": {"Code": code}, **({"CancellationReasons": reasons} if reasons else {})}  # type: ignore[attr-defined]
    return error


def test_a_transaction_cancelled_by_throttling_is_busy_not_a_lost_race() -> None:
    from chalicelib.adapters.dynamodb_items import is_conditional_check_failure, is_throttling

    throttled = _error("TransactionCanceledException", [{"Code": "None"}, {"Code": "ThrottlingError"}])
    lost = _error("TransactionCanceledException", [{"Code": "ConditionalCheckFailed"}, {"Code": "None"}])
    assert is_throttling(throttled) and not is_conditional_check_failure(throttled)
    assert is_conditional_check_failure(lost) and not is_throttling(lost)
    assert is_throttling(_error("ProvisionedThroughputExceededException"))
    assert is_conditional_check_failure(_error("ConditionalCheckFailedException"))


# The codec stays hand-written (it is faster and reads numbers back as int: see its comment), so
# it is held equal to boto3's own serializer and deserializer on everything we store.
plain_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**37), max_value=10**37) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(min_size=1), inner, max_size=4),
    max_leaves=20,
)


def decimals_as_int(value: Any) -> Any:
    """boto3's deserialized value with its Decimals made the integers we store."""
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, list):
        return [decimals_as_int(v) for v in value]
    if isinstance(value, dict):
        return {k: decimals_as_int(v) for k, v in value.items()}
    return value


@settings(max_examples=300, deadline=None)
@given(plain_values)
def test_the_codec_writes_and_reads_exactly_as_boto3s_serializer(value: Any) -> None:
    attribute = to_attribute(value)
    assert attribute == TypeSerializer().serialize(value)
    assert from_attribute(attribute) == decimals_as_int(TypeDeserializer().deserialize(attribute))


def test_a_string_set_reads_as_boto3_reads_it() -> None:
    attribute = {"SS": ["du_1", "du_2"]}
    assert from_attribute(attribute) == TypeDeserializer().deserialize(attribute) == {"du_1", "du_2"}
