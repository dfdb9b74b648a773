"""web/html.py, the pages' toolkit: its CSRF tokens, cookies and error answers, on their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalice.app import Response

from chalicelib.adapters.signed_tokens import SignedTokens
from chalicelib.domain.errors import ConflictError
from chalicelib.web import html

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
TOKENS = SignedTokens(lambda: "a-test-key-of-decent-length-0123456789")


def problem(status: int) -> Response:
    return Response(body=f"problem {status}", status_code=status)


class Throttled(Exception):
    response = {"Error": {"Code": "ProvisionedThroughputExceededException"}}


def test_a_csrf_token_is_valid_only_for_its_own_subject_and_purpose() -> None:
    token = html.csrf_token(TOKENS, "nonce-1", purpose="page_csrf", now=NOW, ttl=timedelta(minutes=30))
    assert html.csrf_is_valid(TOKENS, "nonce-1", token, purpose="page_csrf", now=NOW)
    assert not html.csrf_is_valid(TOKENS, "nonce-2", token, purpose="page_csrf", now=NOW)
    assert not html.csrf_is_valid(TOKENS, "nonce-1", token, purpose="warehouse-csrf", now=NOW)
    assert not html.csrf_is_valid(TOKENS, "nonce-1", token, purpose="page_csrf", now=NOW + timedelta(hours=1))
    assert not html.csrf_is_valid(TOKENS, "nonce-1", None, purpose="page_csrf", now=NOW)
    assert not html.csrf_is_valid(TOKENS, "nonce-1", "garbage", purpose="page_csrf", now=NOW)


def test_a_page_cookie_is_http_only_and_secure_off_the_local_stage() -> None:
    assert html.cookie("c", "v", path="/w", max_age=timedelta(hours=8), secure=True, same_site="Strict") == (
        "c=v; Path=/w; Max-Age=28800; HttpOnly; SameSite=Strict; Secure")
    assert html.cleared_cookie("c", path="/", secure=False) == "c=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
    assert html.cookie_value("a=1; c=v", "c") == "v"
    assert html.cookie_value('bad"cookie', "c") is None


def test_every_page_answer_carries_the_same_security_headers() -> None:
    page = html.page("<p>hi</p>", lang="ja", logo_url=None, cookies=["a=1", "b=2"])
    moved = html.redirect("/next")
    for answer in (page, moved):
        for name, value in html.SECURITY_HEADERS.items():
            assert answer.headers[name] == value
        assert answer.headers["Cache-Control"] == "no-store"
    assert page.headers["Content-Language"] == "ja"
    assert page.headers["Set-Cookie"] == ["a=1", "b=2"]
    assert "Set-Cookie" not in moved.headers


def test_errors_become_the_familys_problem_page() -> None:
    def raising(error: Exception) -> Response:
        raise error

    assert html.answering_errors("test", lambda: raising(ConflictError("no")), problem).status_code == 409
    busy = html.answering_errors("test", lambda: raising(Throttled()), problem)
    assert (busy.status_code, busy.headers["Retry-After"]) == (503, "2")
    assert html.answering_errors("test", lambda: raising(KeyError("x")), problem).status_code == 500
