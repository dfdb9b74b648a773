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
