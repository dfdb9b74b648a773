"""The owner's staff page (invite, change a role, remove) and every member's own account page
(two-step sign-in on and off), against the local Cognito."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.domain.staff import Role
from devstack import totp
from devstack.cognito import StaffPool, ensure_member
from tests.functional.conftest import console_cookie, console_csrf, form_post, local_client

PASSWORD = "Sturdy-console-pass-7"


@pytest.fixture(scope="module")
def cognito(aws_endpoint: str, client: Client) -> Any:
    # Chalice's test client sets the stage's environment at its first request: before any Deps.
    client.http.get("/console/sign-in")
    return local_client("cognito-idp", aws_endpoint)


def _email() -> str:
    return f"m{uuid.uuid4().hex[:8]}@retour.test"


def _member(cognito: Any, pool: StaffPool, role: Role) -> tuple[str, dict[str, str]]:
    """A Cognito member in `role`, and a browser signed in as them."""
    email = _email()
    ensure_member(cognito, pool.pool_id, email, role, PASSWORD)
    return email, console_cookie(role.value, email)


def _page(client: Client, path: str, headers: dict[str, str]) -> tuple[int, str]:
    answer = client.http.get(path, headers=headers)
    return answer.status_code, html.unescape(answer.body.decode())


def _signed_out(client: Client, headers: dict[str, str]) -> bool:
    answer = client.http.get("/console/account", headers=headers)
    return answer.status_code == 303 and answer.headers["Location"].startswith("/console/sign-in")


def _groups(cognito: Any, pool: StaffPool, email: str) -> list[str]:
    return [g["GroupName"] for g in cognito.admin_list_groups_for_user(UserPoolId=pool.pool_id, Username=email)["Groups"]]


# --- who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.AGENT, Role.WAREHOUSE])
def test_only_an_owner_manages_staff(client: Client, cognito: Any, staff_pool: StaffPool, role: Role) -> None:
    email, headers = _member(cognito, staff_pool, role)
    status, page = _page(client, "/console/staff", headers)
    assert status == 403
    assert "This page is not for your role" in page
    invited = _email()
    refused = form_post(client, "/console/staff/invite", headers, csrf="any", email=invited, role="owner")
    assert refused.status_code == 403
    assert get_deps().staff.member(invited) is None
    refused = form_post(client, "/console/staff/role", headers, csrf="any", email=email, role="owner")
    assert refused.status_code == 403
    assert _groups(cognito, staff_pool, email) == [role.value]


def test_a_stranger_is_sent_to_sign_in_first(client: Client) -> None:
    answer = client.http.get("/console/staff")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/console/sign-in?next=%2Fconsole%2Fstaff"


# --- the list and invitations ---------------------------------------------------------------


def test_the_owner_sees_every_member_with_role_status_and_two_step_sign_in(client: Client, cognito: Any,
                                                                           staff_pool: StaffPool) -> None:
    owner, headers = _member(cognito, staff_pool, Role.OWNER)
    agent, _ = _member(cognito, staff_pool, Role.AGENT)
    status, page = _page(client, "/console/staff", headers)
    assert status == 200
    row = re.search(rf"<tr>\s*<th scope=\"row\">{re.escape(agent)}</th>(.*?)</tr>", page, re.S)
    assert row, "the agent has a row"
    cells = re.findall(r"<td>(.*?)</td>", row.group(1), re.S)
    assert [c.strip() for c in cells[:3]] == ["Agent", "Active", "Off"]
    assert f"{owner} <span class=\"muted\">(you)</span>" in page
    # The member's own row has no role or remove control: they cannot demote themselves.
    assert f"/console/staff/remove?email={owner.replace('@', '%40')}" not in page


def test_an_invitation_creates_the_account_in_its_role(client: Client, cognito: Any, staff_pool: StaffPool) -> None:
    _, headers = _member(cognito, staff_pool, Role.OWNER)
    csrf = console_csrf(_page(client, "/console/staff", headers)[1])
    invited = _email()
    answer = form_post(client, "/console/staff/invite", headers, csrf=csrf, email=f"  {invited.upper()} ", role="warehouse")
    assert (answer.status_code, answer.headers["Location"]) == (303, "/console/staff?done=invited")
    member = get_deps().staff.member(invited)
    assert member is not None
    assert (member.role, member.status) == (Role.WAREHOUSE, "FORCE_CHANGE_PASSWORD")
    status, page = _page(client, "/console/staff?done=invited", headers)
    assert "Invitation sent" in page and invited in page
    assert "Invited: has not signed in yet" in page

    again = form_post(client, "/console/staff/invite", headers, csrf=csrf, email=invited, role="agent")
    assert again.status_code == 409
    body = html.unescape(again.body.decode())
    assert 'id="invite-email-error"' in body and "That email already has an account." in body
    assert 'aria-describedby="invite-email-error"' in body
    assert get_deps().staff.member(invited).role is Role.WAREHOUSE  # type: ignore[union-attr]


def test_an_invitation_needs_an_email_and_a_role(client: Client, cognito: Any, staff_pool: StaffPool) -> None:
    _, headers = _member(cognito, staff_pool, Role.OWNER)
    csrf = console_csrf(_page(client, "/console/staff", headers)[1])
    answer = form_post(client, "/console/staff/invite", headers, csrf=csrf, email="not-an-email", role="boss")
    assert answer.status_code == 400
    body = html.unescape(answer.body.decode())
    assert "Enter an email address" in body and "Choose a role." in body
    assert 'value="not-an-email"' in body


# --- roles and removal end sessions ----------------------------------------------------------


def test_changing_a_role_moves_the_group_and_signs_the_member_out(client: Client, cognito: Any,
                                                                  staff_pool: StaffPool) -> None:
    _, owner = _member(cognito, staff_pool, Role.OWNER)
    agent, agent_headers = _member(cognito, staff_pool, Role.AGENT)
    elsewhere = console_cookie("agent", agent)
    assert not _signed_out(client, agent_headers)
    csrf = console_csrf(_page(client, "/console/staff", owner)[1])
    answer = form_post(client, "/console/staff/role", owner, csrf=csrf, email=agent, role="warehouse")
    assert (answer.status_code, answer.headers["Location"]) == (303, "/console/staff?done=role")
    assert _groups(cognito, staff_pool, agent) == ["warehouse"]
    assert _signed_out(client, agent_headers) and _signed_out(client, elsewhere)
    assert get_deps().staff.sign_in(agent, PASSWORD).role is Role.WAREHOUSE


def test_removing_asks_first_then_deletes_and_signs_the_member_out(client: Client, cognito: Any,
                                                                   staff_pool: StaffPool) -> None:
    _, owner = _member(cognito, staff_pool, Role.OWNER)
    leaver, leaver_headers = _member(cognito, staff_pool, Role.AGENT)
    status, page = _page(client, f"/console/staff/remove?email={leaver}", owner)
    assert status == 200
    assert f"Remove {leaver}?" in page
    assert get_deps().staff.member(leaver) is not None  # asking changes nothing
    answer = form_post(client, "/console/staff/remove", owner, csrf=console_csrf(page), email=leaver)
    assert (answer.status_code, answer.headers["Location"]) == (303, "/console/staff?done=removed")
    assert get_deps().staff.member(leaver) is None
    assert _signed_out(client, leaver_headers)
    assert leaver not in _page(client, "/console/staff", owner)[1]


def test_an_owner_cannot_demote_or_remove_themself(client: Client, cognito: Any, staff_pool: StaffPool) -> None:
    owner, headers = _member(cognito, staff_pool, Role.OWNER)
    csrf = console_csrf(_page(client, "/console/staff", headers)[1])
    for answer in (form_post(client, "/console/staff/role", headers, csrf=csrf, email=owner, role="agent"),
                   form_post(client, "/console/staff/remove", headers, csrf=csrf, email=owner),
                   client.http.get(f"/console/staff/remove?email={owner}", headers=headers)):
        assert answer.status_code == 400
        assert "You can't change your own role or remove yourself" in html.unescape(answer.body.decode())
    assert _groups(cognito, staff_pool, owner) == ["owner"]
    assert not _signed_out(client, headers)


def test_removing_someone_unknown_is_not_found(client: Client, cognito: Any, staff_pool: StaffPool) -> None:
    _, headers = _member(cognito, staff_pool, Role.OWNER)
    assert client.http.get(f"/console/staff/remove?email={_email()}", headers=headers).status_code == 404


# --- the member's own account and two-step sign-in ---------------------------------------------


def test_every_role_sees_its_account(client: Client, cognito: Any, staff_pool: StaffPool) -> None:
    email, headers = _member(cognito, staff_pool, Role.WAREHOUSE)
    status, page = _page(client, "/console/account", headers)
    assert status == 200
    assert email in page and "Warehouse" in page
    assert "Set up two-step sign-in" in page


def _secret(page: str) -> str:
    found = re.search(r'<p class="totp-secret"[^>]*><code>([A-Z2-7 ]+)</code>', page)
    assert found, "the page shows the setup key"
    return found.group(1)


def test_switching_two_step_sign_in_on_and_off(client: Client, cognito: Any, staff_pool: StaffPool) -> None:
    email, headers = _member(cognito, staff_pool, Role.AGENT)
    csrf = console_csrf(_page(client, "/console/account", headers)[1])

    wrong = form_post(client, "/console/account/totp", headers, csrf=csrf, password=PASSWORD + "x")
    assert wrong.status_code == 401
    body = html.unescape(wrong.body.decode())
    assert "That password is not right." in body and 'aria-describedby="password-error"' in body

    started = form_post(client, "/console/account/totp", headers, csrf=csrf, password=PASSWORD)
    assert started.status_code == 303
    page = _page(client, "/console/account", headers)[1]
    shown = _secret(page)
    assert all(len(group) == 4 for group in shown.split()[:-1])
    secret = shown.replace(" ", "")
    assert "otpauth://totp/" in page and f"secret={secret}" in page
    assert get_deps().staff.member(email).mfa_enabled is False  # type: ignore[union-attr]

    right = totp.code_now(secret)
    bad = form_post(client, "/console/account/totp/confirm", headers, csrf=csrf, code=f"{(int(right) + 1) % 1_000_000:06d}")
    assert bad.status_code == 400
    assert "That code is not right" in html.unescape(bad.body.decode())
    assert _secret(html.unescape(bad.body.decode())) == shown  # the same key, to try again

    done = form_post(client, "/console/account/totp/confirm", headers, csrf=csrf, code=totp.code_now(secret))
    assert (done.status_code, done.headers["Location"]) == (303, "/console/account?done=totp_on")
    assert get_deps().staff.member(email).mfa_enabled is True  # type: ignore[union-attr]
    status, page = _page(client, "/console/account?done=totp_on", headers)
    assert "Two-step sign-in is on." in page and "totp-secret" not in page
    assert get_deps().staff.sign_in(email, PASSWORD).outcome == "mfa_code"

    off = form_post(client, "/console/account/totp/off", headers, csrf=csrf, password=PASSWORD)
    assert (off.status_code, off.headers["Location"]) == (303, "/console/account?done=totp_off")
    assert get_deps().staff.sign_in(email, PASSWORD).outcome == "signed_in"


def test_the_owner_switches_off_a_members_two_step_sign_in(client: Client, cognito: Any, staff_pool: StaffPool) -> None:
    _, owner = _member(cognito, staff_pool, Role.OWNER)
    agent, _ = _member(cognito, staff_pool, Role.AGENT)
    staff = get_deps().staff
    token = staff.sign_in(agent, PASSWORD).access_token
    secret = staff.start_totp(token)
    staff.confirm_totp(token, agent, totp.code_now(secret))
    csrf = console_csrf(_page(client, "/console/staff", owner)[1])
    answer = form_post(client, "/console/staff/totp-off", owner, csrf=csrf, email=agent)
    assert answer.status_code == 303
    assert staff.member(agent).mfa_enabled is False  # type: ignore[union-attr]
