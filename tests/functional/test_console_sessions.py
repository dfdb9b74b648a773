"""The console's stored sessions: a cookie counts only while its session item lives."""

from __future__ import annotations

from typing import Any

from chalice.test import Client

from chalicelib.bootstrap import get_deps
from tests.functional.conftest import console_cookie, console_csrf, form_post


def _sign_in_page(client: Client, headers: dict[str, str]) -> Any:
    return client.http.get("/console/sign-in", headers=headers)


def test_a_stranger_gets_the_sign_in_form_with_email_and_password(client: Client) -> None:
    page = _sign_in_page(client, {})
    assert page.status_code == 200
    body = page.body.decode()
    assert 'name="email"' in body and 'name="password"' in body
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_a_signed_in_member_is_sent_on_from_the_sign_in(client: Client) -> None:
    headers = console_cookie("agent")
    assert _sign_in_page(client, headers).headers.get("Location") == "/console"
    warehouse = console_cookie("warehouse")
    assert _sign_in_page(client, warehouse).headers.get("Location") == "/warehouse"


def test_sign_out_ends_the_session_at_once_even_for_a_copied_cookie(client: Client) -> None:
    headers = console_cookie("owner")
    page = client.http.get("/console/sign-in?next=/console/policy", headers=headers)
    assert page.headers["Location"] == "/console/policy"
    # The form's token comes from any console page the member sees (the header's forms).
    csrf = console_csrf(_any_console_page(client, headers))
    out = form_post(client, "/console/sign-out", headers, csrf=csrf)
    assert out.status_code == 303
    assert "Max-Age=0" in out.headers["Set-Cookie"]
    # The same cookie, replayed: the stored session is gone, so it signs nobody in.
    assert _sign_in_page(client, headers).status_code == 200


def test_removing_a_members_sessions_signs_them_out_everywhere(client: Client) -> None:
    first, second = console_cookie("agent", "leaver@retour.local"), console_cookie("agent", "leaver@retour.local")
    assert get_deps().console_sessions.close_all("leaver@retour.local") == 2
    assert _sign_in_page(client, first).status_code == 200
    assert _sign_in_page(client, second).status_code == 200


def test_a_forged_cookie_signs_nobody_in_and_is_cleared(client: Client) -> None:
    page = _sign_in_page(client, {"Cookie": "retour_console=forged.token"})
    assert page.status_code == 200
    assert any("retour_console=;" in cookie for cookie in _cookies(page))


def test_sign_out_without_the_sessions_token_changes_nothing(client: Client) -> None:
    headers = console_cookie("owner")
    refused = form_post(client, "/console/sign-out", headers, csrf="not-the-token")
    assert refused.status_code == 403
    assert _sign_in_page(client, headers).status_code == 303


def _cookies(response: Any) -> list[str]:
    value = response.headers.get("Set-Cookie", "")
    return value if isinstance(value, list) else [value]


def _any_console_page(client: Client, headers: dict[str, str]) -> str:
    """A console page's HTML for `headers` (the sign-in redirect has none, so the 403 page of a POST)."""
    answer = form_post(client, "/console/language", headers, csrf="x", lang="ja")
    return str(answer.body.decode())


def test_changing_the_language_keeps_the_page_with_its_query(client: Client) -> None:
    # The warehouse's scanned RMA (or the inbox's filters) stays on screen in the new language.
    headers = console_cookie("warehouse")
    page = client.http.get("/warehouse?rma=R-0000-0000", headers=headers).body.decode()
    assert 'name="back" value="/warehouse?rma=R-0000-0000"' in page
    answer = form_post(client, "/console/language", headers, csrf=console_csrf(page), lang="ko",
                       back="/warehouse?rma=R-0000-0000")
    assert answer.headers["Location"] == "/warehouse?rma=R-0000-0000"
    again = client.http.get("/warehouse?rma=R-0000-0000", headers=headers).body.decode()
    assert '<html lang="ko">' in again
