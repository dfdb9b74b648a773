"""CognitoStaffDirectory against the local Cognito: signing in, its challenges, TOTP and the
owner's staff management, with Cognito's errors read as the domain's."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest

from chalicelib.adapters.cognito_staff import CognitoStaffDirectory
from chalicelib.domain.errors import AuthenticationError, ConflictError, ValidationError
from chalicelib.domain.staff import Role
from devstack import totp
from devstack.cognito import StaffPool, ensure_member, ensure_staff_pool

PASSWORD = "Sturdy-local-pass-9"


@pytest.fixture(scope="module")
def cognito(aws_endpoint: str) -> Any:
    return boto3.client("cognito-idp", endpoint_url=aws_endpoint, region_name="us-east-1")


@pytest.fixture(scope="module")
def stage() -> str:
    return f"it{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def pool(cognito: Any, stage: str) -> StaffPool:
    return ensure_staff_pool(cognito, stage)


@pytest.fixture
def staff(cognito: Any, pool: StaffPool, stage: str) -> CognitoStaffDirectory:
    # Found by name, as on the local stage.
    return CognitoStaffDirectory(lambda: cognito, pool_id=None, client_id=None, pool_name=f"retour-{stage}-staff")


def _email() -> str:
    return f"m{uuid.uuid4().hex[:8]}@retour.test"


def _member(cognito: Any, pool: StaffPool, role: Role | None) -> str:
    email = _email()
    if role is None:
        cognito.admin_create_user(UserPoolId=pool.pool_id, Username=email, MessageAction="SUPPRESS",
                                  UserAttributes=[{"Name": "email", "Value": email}])
        cognito.admin_set_user_password(UserPoolId=pool.pool_id, Username=email, Password=PASSWORD, Permanent=True)
    else:
        ensure_member(cognito, pool.pool_id, email, role, PASSWORD)
    return email


def test_the_pool_and_client_are_found_by_name_on_first_use(staff: CognitoStaffDirectory, pool: StaffPool) -> None:
    assert (staff.pool_id, staff.client_id) == (pool.pool_id, pool.client_id)


def test_a_member_signs_in_with_their_role(staff: CognitoStaffDirectory, cognito: Any, pool: StaffPool) -> None:
    email = _member(cognito, pool, Role.AGENT)
    step = staff.sign_in(email, PASSWORD)
    assert (step.outcome, step.role, step.email) == ("signed_in", Role.AGENT, email)
    assert step.access_token


def test_a_wrong_password_and_an_unknown_email_read_the_same(staff: CognitoStaffDirectory, cognito: Any,
                                                              pool: StaffPool) -> None:
    email = _member(cognito, pool, Role.OWNER)
    with pytest.raises(AuthenticationError) as wrong:
        staff.sign_in(email, PASSWORD + "x")
    with pytest.raises(AuthenticationError) as unknown:
        staff.sign_in(_email(), PASSWORD)
    assert wrong.value.message == unknown.value.message


def test_a_member_without_a_group_signs_in_with_no_role(staff: CognitoStaffDirectory, cognito: Any,
                                                        pool: StaffPool) -> None:
    step = staff.sign_in(_member(cognito, pool, None), PASSWORD)
    assert step.outcome == "signed_in" and step.role is None


def test_an_invited_member_sets_a_password_meeting_the_rules(staff: CognitoStaffDirectory, cognito: Any,
                                                             pool: StaffPool) -> None:
    email = _email()
    invited = staff.invite(email, Role.WAREHOUSE)
    assert (invited.email, invited.role, invited.status) == (email, Role.WAREHOUSE, "FORCE_CHANGE_PASSWORD")
    # Cognito emailed the temporary password; the test sets a known one as an owner could.
    cognito.admin_set_user_password(UserPoolId=pool.pool_id, Username=email, Password=PASSWORD, Permanent=False)
    step = staff.sign_in(email, PASSWORD)
    assert step.outcome == "new_password" and step.session
    with pytest.raises(ValidationError):
        staff.set_new_password(email, step.session, "too-simple")
    done = staff.set_new_password(email, step.session, "A-new-strong-pass-2")
    assert (done.outcome, done.role) == ("signed_in", Role.WAREHOUSE)
    assert staff.sign_in(email, "A-new-strong-pass-2").outcome == "signed_in"


def test_inviting_an_email_twice_is_a_conflict(staff: CognitoStaffDirectory) -> None:
    email = _email()
    staff.invite(email, Role.AGENT)
    with pytest.raises(ConflictError):
        staff.invite(email, Role.OWNER)


def test_totp_on_asks_for_the_code_and_off_does_not(staff: CognitoStaffDirectory, cognito: Any,
                                                     pool: StaffPool) -> None:
    email = _member(cognito, pool, Role.OWNER)
    token = staff.sign_in(email, PASSWORD).access_token
    secret = staff.start_totp(token)
    with pytest.raises(AuthenticationError):
        staff.confirm_totp(token, email, f"{(int(totp.code_now(secret)) + 1) % 1_000_000:06d}")
    assert staff.member(email).mfa_enabled is False  # type: ignore[union-attr]
    staff.confirm_totp(token, email, totp.code_now(secret))
    assert staff.member(email).mfa_enabled is True  # type: ignore[union-attr]

    step = staff.sign_in(email, PASSWORD)
    assert step.outcome == "mfa_code"
    with pytest.raises(AuthenticationError):
        staff.answer_mfa(email, step.session, "000000" if totp.code_now(secret) != "000000" else "111111")
    step = staff.sign_in(email, PASSWORD)
    done = staff.answer_mfa(email, step.session, totp.code_now(secret))
    assert (done.outcome, done.role) == ("signed_in", Role.OWNER)

    staff.disable_totp(email)
    assert staff.member(email).mfa_enabled is False  # type: ignore[union-attr]
    assert staff.sign_in(email, PASSWORD).outcome == "signed_in"


def test_change_role_leaves_one_group_and_remove_deletes(staff: CognitoStaffDirectory, cognito: Any,
                                                         pool: StaffPool) -> None:
    email = _member(cognito, pool, Role.OWNER)
    staff.change_role(email, Role.WAREHOUSE)
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool.pool_id, Username=email)["Groups"]
    assert [g["GroupName"] for g in groups] == ["warehouse"]
    assert staff.sign_in(email, PASSWORD).role is Role.WAREHOUSE
    assert email in {m.email for m in staff.members()}
    staff.remove(email)
    assert staff.member(email) is None
    assert email not in {m.email for m in staff.members()}
    with pytest.raises(AuthenticationError):
        staff.sign_in(email, PASSWORD)
