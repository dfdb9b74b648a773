"""Instants as the API answers them and the table stores them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from chalicelib.domain.timestamps import utc_timestamp


def test_an_instant_is_written_in_utc_to_the_second_with_a_z() -> None:
    tokyo = timezone(timedelta(hours=9))
    assert utc_timestamp(datetime(2026, 11, 23, 18, 30, 5, 999_999, tzinfo=tokyo)) == "2026-11-23T09:30:05Z"


def test_a_year_before_1000_keeps_four_digits() -> None:
    assert utc_timestamp(datetime(4, 4, 1, 0, 0, 2, tzinfo=UTC)) == "0004-04-01T00:00:02Z"


def test_timestamps_sort_as_text_in_time_order() -> None:
    moments = [datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(1000, 1, 1, tzinfo=UTC),
               datetime(2026, 1, 1, tzinfo=UTC)]
    assert sorted(utc_timestamp(m) for m in moments) == [utc_timestamp(m) for m in moments]
