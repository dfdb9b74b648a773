"""The local Cognito (moto behind devstack/aws_server.py) keeps Cognito's rules where moto
alone would not: a TOTP code must be the secret's own, and a password the pool's policy."""

from __future__ import annotations

import time
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from devstack import totp
from devstack.cognito import StaffPool, ensure_staff_pool

PASSWORD = "Sturdy-local-pass-9"


@pytest.fixture(scope="module")
def cognito(aws_endpoint: str) -> Any:
    return boto3.client("cognito-idp", endpoint_url=aws_endpoint, region_name="us-east-1")


@pytest.fixture(scope="module")
def pool(cognito: Any) -> StaffPool:
    return ensure_staff_pool(cognito, f"it{uuid.uuid4().hex[:8]}")


def _member(cognito: Any, pool: StaffPool, *, temporary: bool = False) -> str:
    email = f"m{uuid.uuid4().hex[:8]}@retour.test"
    cognito.admin_create_user(UserPoolId=pool.pool_id, Username=email, MessageAction="SUPPRESS",
                              TemporaryPassword=PASSWORD,
                              UserAttributes=[{"Name": "email", "Value": email}])
    if not temporary:
        cognito.admin_set_user_password(UserPoolId=pool.pool_id, Username=email, Password=PASSWORD, Permanent=True)
    return email


def _sign_in(cognito: Any, pool: StaffPool, email: str) -> dict[str, Any]:
    answer: dict[str, Any] = cognito.initiate_auth(ClientId=pool.client_id, AuthFlow="USER_PASSWORD_AUTH",
                                                   AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})
    return answer


def _wrong(code: str) -> str:
    return f"{(int(code) + 500_000) % 1_000_000:06d}"


def _with_totp(cognito: Any, pool: StaffPool) -> tuple[str, str]:
    email = _member(cognito, pool)
    access_token = _sign_in(cognito, pool, email)["AuthenticationResult"]["AccessToken"]
    secret = cognito.associate_software_token(AccessToken=access_token)["SecretCode"]
    cognito.verify_software_token(AccessToken=access_token, UserCode=totp.code_now(secret))
    cognito.admin_set_user_mfa_preference(UserPoolId=pool.pool_id, Username=email,
                                          SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    return email, secret


def test_each_member_gets_a_secret_of_their_own(cognito: Any, pool: StaffPool) -> None:
    secrets = set()
    for _ in range(2):
        token = _sign_in(cognito, pool, _member(cognito, pool))["AuthenticationResult"]["AccessToken"]
        secrets.add(cognito.associate_software_token(AccessToken=token)["SecretCode"])
    assert len(secrets) == 2


def test_verifying_the_app_refuses_a_code_of_another_secret(cognito: Any, pool: StaffPool) -> None:
    email = _member(cognito, pool)
    token = _sign_in(cognito, pool, email)["AuthenticationResult"]["AccessToken"]
    secret = cognito.associate_software_token(AccessToken=token)["SecretCode"]
    with pytest.raises(ClientError) as refused:
        cognito.verify_software_token(AccessToken=token, UserCode=totp.code_now(totp.new_secret()))
    assert refused.value.response["Error"]["Code"] == "EnableSoftwareTokenMFAException"
    with pytest.raises(ClientError):
        cognito.admin_set_user_mfa_preference(UserPoolId=pool.pool_id, Username=email,
                                              SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    assert cognito.verify_software_token(AccessToken=token, UserCode=totp.code_now(secret))["Status"] == "SUCCESS"


def test_signing_in_with_totp_takes_the_right_code_only(cognito: Any, pool: StaffPool) -> None:
    email, secret = _with_totp(cognito, pool)
    challenge = _sign_in(cognito, pool, email)
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    with pytest.raises(ClientError) as refused:
        cognito.respond_to_auth_challenge(
            ClientId=pool.client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
            ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": _wrong(totp.code_now(secret))})
    assert refused.value.response["Error"]["Code"] == "CodeMismatchException"
    # The session that got a wrong code is spent, even for the right one.
    with pytest.raises(ClientError) as spent:
        cognito.respond_to_auth_challenge(
            ClientId=pool.client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
            ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": totp.code_now(secret)})
    assert spent.value.response["Error"]["Code"] == "NotAuthorizedException"
    again = _sign_in(cognito, pool, email)
    answer = cognito.respond_to_auth_challenge(
        ClientId=pool.client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=again["Session"],
        ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": totp.code_now(secret)})
    assert answer["AuthenticationResult"]["AccessToken"]


def test_a_code_of_the_step_before_counts_but_not_of_two_steps_before(cognito: Any, pool: StaffPool) -> None:
    email, secret = _with_totp(cognito, pool)
    now = time.time()
    for at, accepted in ((now - totp.STEP_SECONDS, True), (now - 3 * totp.STEP_SECONDS, False)):
        challenge = _sign_in(cognito, pool, email)
        code = totp.code_at(secret, at)
        if not accepted and code in {totp.code_at(secret, now + s * totp.STEP_SECONDS) for s in (-1, 0, 1)}:
            continue  # one chance in a few hundred thousand that an old code equals a current one
        def call() -> dict[str, Any]:
            answer: dict[str, Any] = cognito.respond_to_auth_challenge(
                ClientId=pool.client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
                ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": code})
            return answer
        if accepted:
            assert call()["AuthenticationResult"]
        else:
            with pytest.raises(ClientError):
                call()


def test_a_temporary_password_asks_for_a_new_one_that_must_meet_the_policy(cognito: Any, pool: StaffPool) -> None:
    email = _member(cognito, pool, temporary=True)
    challenge = _sign_in(cognito, pool, email)
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    for weak in ("Short-pw-1", "no-upper-case-1", "NO-LOWER-CASE-1", "No-digits-here", "Nosymbols12345"):
        with pytest.raises(ClientError) as refused:
            cognito.respond_to_auth_challenge(
                ClientId=pool.client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=challenge["Session"],
                ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": weak})
        assert refused.value.response["Error"]["Code"] == "InvalidPasswordException", weak
    answer = cognito.respond_to_auth_challenge(
        ClientId=pool.client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": "A-new-strong-pass-2"})
    assert answer["AuthenticationResult"]["AccessToken"]
    assert cognito.admin_get_user(UserPoolId=pool.pool_id, Username=email)["UserStatus"] == "CONFIRMED"


def test_the_pool_is_made_once(cognito: Any, pool: StaffPool) -> None:
    stage = cognito.describe_user_pool(UserPoolId=pool.pool_id)["UserPool"]["Name"].removeprefix("retour-").removesuffix("-staff")
    again = ensure_staff_pool(cognito, stage)
    assert (again.pool_id, again.client_id, again.created) == (pool.pool_id, pool.client_id, False)
    assert {g["GroupName"] for g in cognito.list_groups(UserPoolId=pool.pool_id)["Groups"]} == {"owner", "agent", "warehouse"}
