"""The local staff user pool on moto's Cognito, shaped like infra/retour.yaml's StaffUserPool,
with the three demo staff members `make run` prints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.cognito_staff import find_client_id, find_pool_id
from chalicelib.domain.staff import Role
from chalicelib.settings import Settings

# A documented fake, local stage only (the README's fakes and the `make run` banner list it).
DEMO_STAFF_PASSWORD = "Retour-local-staff-1"
DEMO_STAFF = (
    ("owner@retour.local", Role.OWNER),
    ("agent@retour.local", Role.AGENT),
    ("warehouse@retour.local", Role.WAREHOUSE),
)
# As in infra/retour.yaml: at least 12 characters with every class.
PASSWORD_POLICY = {
    "MinimumLength": 12, "RequireUppercase": True, "RequireLowercase": True,
    "RequireNumbers": True, "RequireSymbols": True, "TemporaryPasswordValidityDays": 7,
}


def pool_name(stage: str) -> str:
    """The stage's user pool name (also the app client's), as the app looks it up."""
    return Settings.from_env({"RETOUR_STAGE": stage}).staff_pool_name


@dataclass(frozen=True, slots=True)
class StaffPool:
    pool_id: str
    client_id: str
    created: bool


def ensure_staff_pool(cognito: Any, stage: str) -> StaffPool:
    """The pool `retour-<stage>-staff`, its groups and app client, created unless there; idempotent."""
    name = pool_name(stage)
    pool_id = find_pool_id(cognito, name)
    created = pool_id is None
    if pool_id is None:
        pool_id = cognito.create_user_pool(
            PoolName=name,
            UsernameAttributes=["email"],
            AutoVerifiedAttributes=["email"],
            Policies={"PasswordPolicy": PASSWORD_POLICY},
            MfaConfiguration="OFF",
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
            AccountRecoverySetting={"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
        )["UserPool"]["Id"]
        # CreateUserPool takes no TOTP setting: MFA OPTIONAL with software tokens is set after.
        cognito.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="OPTIONAL",
                                         SoftwareTokenMfaConfiguration={"Enabled": True})
    existing = {group["GroupName"] for group in cognito.list_groups(UserPoolId=pool_id)["Groups"]}
    for role in Role:
        if role.value not in existing:
            cognito.create_group(UserPoolId=pool_id, GroupName=role.value)
    client_id = find_client_id(cognito, pool_id, name)
    if client_id is None:
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool_id, ClientName=name, GenerateSecret=False,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            PreventUserExistenceErrors="ENABLED",
        )["UserPoolClient"]["ClientId"]
    return StaffPool(pool_id=pool_id, client_id=str(client_id), created=created)


def ensure_member(cognito: Any, pool_id: str, email: str, role: Role, password: str) -> bool:
    """`email` in `role`'s group with `password` set permanent; whether it was created now."""
    try:
        cognito.admin_get_user(UserPoolId=pool_id, Username=email)
        created = False
    except cognito.exceptions.UserNotFoundException:
        cognito.admin_create_user(
            UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        )
        created = True
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=role.value)
    return created


def seed_demo_staff(cognito: Any, stage: str) -> StaffPool:
    """The pool and the three demo staff members, each in their group; idempotent."""
    pool = ensure_staff_pool(cognito, stage)
    for email, role in DEMO_STAFF:
        ensure_member(cognito, pool.pool_id, email, role, DEMO_STAFF_PASSWORD)
    return pool
