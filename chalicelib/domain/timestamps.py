"""Instants as the API answers them and the table stores them: ISO 8601 in UTC, to the second."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_timestamp(moment: datetime) -> str:
    """`2026-11-23T09:30:00Z`: UTC, second precision, a `Z`, so it sorts as text. The year is
    always four digits (strftime's %Y writes year 4 as "4" on Linux: not a date-time at all)."""
    utc = moment.astimezone(UTC) if moment.tzinfo is not None else moment
    return utc.replace(microsecond=0, tzinfo=None).isoformat() + "Z"
