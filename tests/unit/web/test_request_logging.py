"""Structured logs: JSON lines with the request id, and no personal data in clear."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from chalicelib.web.request_logging import JsonFormatter, request_id


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("retour.test")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_every_line_is_json_with_the_current_request_id(log_output: io.StringIO) -> None:
    token = request_id.set("req-123")
    try:
        logging.getLogger("retour.test").info("order imported", extra={"status": 201})
    finally:
        request_id.reset(token)
    (entry,) = lines(log_output)
    assert entry["request_id"] == "req-123"
    assert entry["message"] == "order imported"
    assert entry["status"] == 201
    assert entry["level"] == "INFO"


def test_an_email_in_a_message_is_never_written_in_clear(log_output: io.StringIO) -> None:
    logging.getLogger("retour.test").info("lookup for Aiko@Example.jp failed")
    text = log_output.getvalue()
    assert "Aiko@Example.jp" not in text
    assert "example.jp" not in text.lower()
    assert "email:" in lines(log_output)[0]["message"]  # type: ignore[operator]


def test_the_same_email_always_hashes_the_same_so_logs_can_be_correlated(log_output: io.StringIO) -> None:
    logger = logging.getLogger("retour.test")
    logger.info("a aiko@example.jp")
    logger.info("b AIKO@example.jp")
    first, second = (str(e["message"]) for e in lines(log_output))
    assert first[2:] == second[2:]


def test_personal_fields_are_withheld_whatever_they_hold(log_output: io.StringIO) -> None:
    logging.getLogger("retour.test").info(
        "x", extra={"customer_name": "山田 愛子", "shipping_address": {"line1": "1-2-3 Jingumae"},
                    "token": "secret-token"},
    )
    text = log_output.getvalue()
    for secret in ("山田", "Jingumae", "secret-token"):
        assert secret not in text
    assert lines(log_output)[0]["customer_name"] == "[withheld]"


def test_an_exception_trace_is_redacted_too(log_output: io.StringIO) -> None:
    try:
        raise ValueError("bad order for aiko@example.jp")
    except ValueError:
        logging.getLogger("retour.test").exception("failed")
    entry = lines(log_output)[0]
    assert "ValueError" in str(entry["exception"])
    assert "aiko@example.jp" not in log_output.getvalue()
