"""Signing in to the console against the local Cognito: the password, its limit, the first
sign-in's new password, the TOTP code, a member with no role, and where `next` may lead."""

from __future__ import annotations

import html
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from chalicelib.domain.staff import Role
from devstack import totp
from devstack.cognito import StaffPool, ensure_member
from tests.functional.conftest import console_csrf, local_client

PASSWORD = "Sturdy-console-pass-7"
NEUTRAL = "That email and password don't match an account of this store."


class Browser:
    """Carries the console's cookies from one answer to the next request, as a browser does."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.jar: dict[str, str] = {}

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        return headers

    def _keep(self, response: Any) -> Any:
        value = response.headers.get("Set-Cookie", "")
        for cookie in value if isinstance(value, list) else ([value] if value else []):
            name, _, rest = cookie.partition("=")
            content = rest.split(";", 1)[0]
            if "Max-Age=0" in cookie or not content:
                self.jar.pop(name, None)
            else:
                self.jar[name] = content
        return response

    def get(self, path: str) -> Any:
        return self._keep(self.client.http.get(path, headers=self._headers()))

    def post(self, path: str, **fields: str) -> Any:
        return self._keep(self.client.http.post(
            path, headers=self._headers({"Content-Type": "application/x-www-form-urlencoded"}),
            body=urlencode(fields)))

    def sign_in(self, email: str, password: str, next_path: str = "") -> Any:
        form = self.get("/console/sign-in")
        return self.post("/console/sign-in", csrf=console_csrf(form.body.decode()), email=email,
                         password=password, next=next_path)


@pytest.fixture(scope="module")
def cognito(aws_endpoint: str) -> Any:
    return local_client("cognito-idp", aws_endpoint)


def _member(cognito: Any, pool: StaffPool, role: Role | None = Role.AGENT, *, temporary: bool = False) -> str:
    email = f"m{uuid.uuid4().hex[:8]}@retour.test"
    if role is not None and not temporary:
        ensure_member(cognito, pool.pool_id, email, role, PASSWORD)
        return email
    cognito.admin_create_user(UserPoolId=pool.pool_id, Username=email, MessageAction="SUPPRESS",
                              TemporaryPassword=PASSWORD, UserAttributes=[{"Name": "email", "Value": email}])
    if role is not None:
        cognito.admin_add_user_to_group(UserPoolId=pool.pool_id, Username=email, GroupName=role.value)
    if not temporary:
        cognito.admin_set_user_password(UserPoolId=pool.pool_id, Username=email, Password=PASSWORD, Permanent=True)
    return email


def _signed_in_home(browser: Browser) -> str | None:
    """Where the sign-in page sends this browser on: its home when signed in, else None."""
    page = browser.get("/console/sign-in")
    return page.headers.get("Location") if page.status_code == 303 else None


def test_a_member_signs_in_and_lands_on_their_home(client: Client, cognito: Any, staff_pool: StaffPool) -> None:
    email = _member(cognito, staff_pool, Role.AGENT)
    browser = Browser(client)
    answer = browser.sign_in(email.upper(), PASSWORD)
    assert (answer.status_code, answer.headers["Location"]) == (303, "/console")
    assert _signed_in_home(browser) == "/console"
    warehouse = Browser(client)
    assert warehouse.sign_in(_member(cognito, staff_pool, Role.WAREHOUSE), PASSWORD).headers["Location"] == "/warehouse"


def test_a_wrong_password_and_an_unknown_email_get_one_neutral_message(client: Client, cognito: Any,
                                                                        staff_pool: StaffPool) -> None:
    email = _member(cognito, staff_pool)
    wrong = Browser(client).sign_in(email, PASSWORD + "x")
    unknown = Browser(client).sign_in(f"nobody-{uuid.uuid4().hex[:6]}@retour.test", PASSWORD)
    for answer in (wrong, unknown):
        assert answer.status_code == 401
        assert NEUTRAL in html.unescape(answer.body.decode())
    assert email in wrong.body.decode()  # the email stays in its field; never the password
    assert PASSWORD not in wrong.body.decode()


def test_ten_wrong_passwords_close_the_form_for_that_email_only(client: Client, cognito: Any,
                                                                 staff_pool: StaffPool) -> None:
    target, colleague = _member(cognito, staff_pool), _member(cognito, staff_pool)
    browser = Browser(client)
    for _ in range(10):
        assert browser.sign_in(target, "Wrong-guess-000").status_code == 401
    limited = browser.sign_in(target, PASSWORD)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert "Too many wrong passwords" in limited.body.decode()
    assert _signed_in_home(browser) is None
    # The same network, another member: still signs in.
    assert Browser(client).sign_in(colleague, PASSWORD).status_code == 303


def test_a_temporary_password_asks_for_a_new_one_then_signs_in(client: Client, cognito: Any,
                                                                staff_pool: StaffPool) -> None:
    email = _member(cognito, staff_pool, Role.OWNER, temporary=True)
    browser = Browser(client)
    step = browser.sign_in(email, PASSWORD, next_path="/console/staff")
    assert step.status_code == 200
    page = step.body.decode()
    assert 'name="new_password"' in page and 'name="confirm_password"' in page
    challenge = page.split('name="challenge" value="', 1)[1].split('"', 1)[0]
    csrf = console_csrf(page)

    def answer(new: str, again: str) -> Any:
        return browser.post("/console/sign-in/new-password", csrf=csrf, email=email, challenge=challenge,
                            next="/console/staff", new_password=new, confirm_password=again)

    mismatch = answer("A-fresh-password-3", "A-fresh-password-4")
    assert mismatch.status_code == 400 and "not the same" in mismatch.body.decode()
    assert 'aria-describedby="confirm-password-error"' in mismatch.body.decode()
    weak = answer("weakpassword", "weakpassword")
    assert weak.status_code == 400 and "too weak" in weak.body.decode()
    assert 'aria-describedby="new-password-hint new-password-error"' in weak.body.decode()
    done = answer("A-fresh-password-3", "A-fresh-password-3")
    assert (done.status_code, done.headers["Location"]) == (303, "/console/staff")
    assert _signed_in_home(browser) == "/console"
    assert Browser(client).sign_in(email, "A-fresh-password-3").status_code == 303


def _switch_totp_on(cognito: Any, pool: StaffPool, email: str) -> str:
    token = cognito.initiate_auth(ClientId=pool.client_id, AuthFlow="USER_PASSWORD_AUTH",
                                  AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})["AuthenticationResult"]["AccessToken"]
    secret: str = cognito.associate_software_token(AccessToken=token)["SecretCode"]
    cognito.verify_software_token(AccessToken=token, UserCode=totp.code_now(secret))
    cognito.admin_set_user_mfa_preference(UserPoolId=pool.pool_id, Username=email,
                                          SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    return secret


def _code_form(browser: Browser, email: str) -> tuple[str, str]:
    step = browser.sign_in(email, PASSWORD)
    assert step.status_code == 200
    page = step.body.decode()
    assert 'name="code"' in page and 'autocomplete="one-time-code"' in page
    return console_csrf(page), page.split('name="challenge" value="', 1)[1].split('"', 1)[0]


def test_with_totp_on_the_password_leads_to_the_code_and_only_the_right_code_signs_in(
        client: Client, cognito: Any, staff_pool: StaffPool) -> None:
    email = _member(cognito, staff_pool, Role.AGENT)
    secret = _switch_totp_on(cognito, staff_pool, email)

    browser = Browser(client)
    csrf, challenge = _code_form(browser, email)
    right = totp.code_now(secret)
    wrong = browser.post("/console/sign-in/code", csrf=csrf, email=email, challenge=challenge,
                         code=f"{(int(right) + 1) % 1_000_000:06d}")
    assert wrong.status_code == 401
    assert "That code is not right" in wrong.body.decode()
    assert _signed_in_home(browser) is None

    csrf, challenge = _code_form(browser, email)
    code = totp.code_now(secret)
    done = browser.post("/console/sign-in/code", csrf=csrf, email=email, challenge=challenge,
                        code=f"{code[:3]} {code[3:]}")
    assert (done.status_code, done.headers["Location"]) == (303, "/console")
    assert _signed_in_home(browser) == "/console"


def test_a_member_with_no_role_is_told_to_ask_the_owner(client: Client, cognito: Any, staff_pool: StaffPool) -> None:
    browser = Browser(client)
    answer = browser.sign_in(_member(cognito, staff_pool, None), PASSWORD)
    assert answer.status_code == 403
    assert "no role in this store yet" in answer.body.decode()
    assert _signed_in_home(browser) is None


@pytest.mark.parametrize(("next_path", "lands"), [
    ("/console/reports?from=2026-11-01", "/console/reports?from=2026-11-01"),
    ("/warehouse", "/warehouse"),
    ("https://evil.example/console", "/console"),
    ("//evil.example/console", "/console"),
    ("/\\evil.example", "/console"),
    ("/api/v1/admin/orders", "/console"),
])
def test_next_leads_only_to_the_consoles_own_pages(client: Client, cognito: Any, staff_pool: StaffPool,
                                                    next_path: str, lands: str) -> None:
    answer = Browser(client).sign_in(_member(cognito, staff_pool, Role.OWNER), PASSWORD, next_path=next_path)
    assert (answer.status_code, answer.headers["Location"]) == (303, lands)


def test_a_sign_in_without_the_forms_token_is_refused(client: Client, cognito: Any, staff_pool: StaffPool) -> None:
    email = _member(cognito, staff_pool)
    browser = Browser(client)
    browser.get("/console/sign-in")
    answer = browser.post("/console/sign-in", csrf="forged", email=email, password=PASSWORD)
    assert answer.status_code == 403
    assert _signed_in_home(browser) is None


def test_wrong_codes_count_like_wrong_passwords(client: Client, cognito: Any, staff_pool: StaffPool) -> None:
    # Someone who has the password cannot guess codes on: each guess needs a new sign-in, and
    # ten wrong codes close the form for that email from that address.
    email = _member(cognito, staff_pool, Role.OWNER)
    secret = _switch_totp_on(cognito, staff_pool, email)
    browser = Browser(client)
    for _ in range(10):
        csrf, challenge = _code_form(browser, email)
        right = totp.code_now(secret)
        wrong = browser.post("/console/sign-in/code", csrf=csrf, email=email, challenge=challenge,
                             code=f"{(int(right) + 7) % 1_000_000:06d}")
        assert wrong.status_code == 401
    assert browser.sign_in(email, PASSWORD).status_code == 429
