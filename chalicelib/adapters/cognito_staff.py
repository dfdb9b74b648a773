"""StaffDirectory on Amazon Cognito: the store's staff user pool (infra/retour.yaml's
StaffUserPool; moto's cognito-idp on the local stack, devstack/cognito.py).

Usernames are emails (the pool's UsernameAttributes), roles are the pool's groups, and every call
is server-side: the app client has no secret and only USER_PASSWORD_AUTH and refresh. Cognito's
errors become the domain's: a wrong email and a wrong password read the same.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from ..domain.errors import AuthenticationError, ConflictError, NotFoundError, ValidationError
from ..domain.staff import Role, StaffMember, role_of
from ..services.ports.staff import SignInStep

WRONG_PAIR = "the email or password is not right"
WRONG_CODE = "the code is not right or has expired"
_AUTH_ERRORS = frozenset({"NotAuthorizedException", "UserNotFoundException", "UserNotConfirmedException",
                          "PasswordResetRequiredException"})
_CODE_ERRORS = frozenset({"CodeMismatchException", "ExpiredCodeException", "EnableSoftwareTokenMFAException",
                          "NotAuthorizedException", "InvalidParameterException"})


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def find_pool_id(cognito: Any, name: str) -> str | None:
    """The id of the user pool named `name`, or None (ListUserPools, paged)."""
    for page in cognito.get_paginator("list_user_pools").paginate(MaxResults=60):
        for pool in page["UserPools"]:
            if pool["Name"] == name:
                return str(pool["Id"])
    return None


def find_client_id(cognito: Any, pool_id: str, name: str) -> str | None:
    """The id of `pool_id`'s app client named `name`, or None (ListUserPoolClients, paged)."""
    for page in cognito.get_paginator("list_user_pool_clients").paginate(UserPoolId=pool_id, MaxResults=60):
        for client in page["UserPoolClients"]:
            if client["ClientName"] == name:
                return str(client["ClientId"])
    return None


class CognitoStaffDirectory:
    """The staff user pool through boto3's `cognito-idp` client.

    A deployed stage passes the pool and client ids (RETOUR_STAFF_USER_POOL_ID and
    RETOUR_STAFF_CLIENT_ID, from the stack); the local stack's moto makes up new ids on every
    start, so there they are found by the pool's name on first use, once.
    """

    def __init__(self, client: Callable[[], Any], *, pool_id: str | None, client_id: str | None,
                 pool_name: str, find_by_name: bool = True) -> None:
        self._client_factory = client
        self._client: Any = None
        self._pool_id = pool_id
        self._client_id = client_id
        self._pool_name = pool_name
        self._find_by_name = find_by_name
        self._lock = threading.Lock()

    # --- the pool ----------------------------------------------------------------------------

    @property
    def cognito(self) -> Any:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def _ids(self) -> tuple[str, str]:
        if self._pool_id is None or self._client_id is None:
            if not self._find_by_name:
                raise RuntimeError("no staff user pool is configured (RETOUR_STAFF_USER_POOL_ID, RETOUR_STAFF_CLIENT_ID)")
            with self._lock:
                if self._pool_id is None:
                    self._pool_id = find_pool_id(self.cognito, self._pool_name)
                    if self._pool_id is None:
                        raise RuntimeError(f"no user pool named {self._pool_name} (RETOUR_STAFF_USER_POOL_ID)")
                if self._client_id is None:
                    self._client_id = find_client_id(self.cognito, self._pool_id, self._pool_name)
                    if self._client_id is None:
                        raise RuntimeError(f"no app client named {self._pool_name} (RETOUR_STAFF_CLIENT_ID)")
        return self._pool_id, self._client_id

    @property
    def pool_id(self) -> str:
        return self._ids()[0]

    @property
    def client_id(self) -> str:
        return self._ids()[1]

    # --- signing in --------------------------------------------------------------------------

    def sign_in(self, email: str, password: str) -> SignInStep:
        try:
            answer = self.cognito.initiate_auth(
                ClientId=self.client_id, AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password})
        except ClientError as error:
            if _code(error) in _AUTH_ERRORS:
                raise AuthenticationError(WRONG_PAIR, code="wrong_password") from None
            raise
        return self._step(email, answer)

    def set_new_password(self, email: str, session: str, new_password: str) -> SignInStep:
        try:
            answer = self.cognito.respond_to_auth_challenge(
                ClientId=self.client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=session,
                ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": new_password})
        except ClientError as error:
            if _code(error) == "InvalidPasswordException":
                raise ValidationError("the password does not meet the rules", code="weak_password",
                                      fields=("new_password",)) from None
            if _code(error) in _AUTH_ERRORS | {"ResourceNotFoundException", "ExpiredCodeException"}:
                raise AuthenticationError("the sign-in step has expired", code="challenge_expired") from None
            raise
        return self._step(email, answer)

    def answer_mfa(self, email: str, session: str, code: str) -> SignInStep:
        try:
            answer = self.cognito.respond_to_auth_challenge(
                ClientId=self.client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=session,
                ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": code})
        except ClientError as error:
            if _code(error) in _CODE_ERRORS | _AUTH_ERRORS | {"ResourceNotFoundException"}:
                raise AuthenticationError(WRONG_CODE, code="wrong_code") from None
            raise
        return self._step(email, answer)

    def _step(self, email: str, answer: dict[str, Any]) -> SignInStep:
        challenge = answer.get("ChallengeName")
        if challenge == "NEW_PASSWORD_REQUIRED":
            return SignInStep("new_password", email, session=answer["Session"])
        if challenge == "SOFTWARE_TOKEN_MFA":
            return SignInStep("mfa_code", email, session=answer["Session"])
        result = answer.get("AuthenticationResult")
        if challenge or not result:
            # A challenge this pool never sets (SMS, MFA_SETUP ...): no way in from the console.
            raise AuthenticationError(f"unsupported sign-in step {challenge}", code="unsupported_challenge")
        return SignInStep("signed_in", email, role=self._role(email), access_token=result["AccessToken"])

    # --- two-step sign-in --------------------------------------------------------------------

    def start_totp(self, access_token: str) -> str:
        try:
            return str(self.cognito.associate_software_token(AccessToken=access_token)["SecretCode"])
        except ClientError as error:
            if _code(error) in _AUTH_ERRORS:
                raise AuthenticationError("the sign-in has expired", code="token_expired") from None
            raise

    def confirm_totp(self, access_token: str, email: str, code: str) -> None:
        try:
            self.cognito.verify_software_token(AccessToken=access_token, UserCode=code,
                                               FriendlyDeviceName="Retour console")
        except ClientError as error:
            if _code(error) in _CODE_ERRORS | _AUTH_ERRORS:
                raise AuthenticationError(WRONG_CODE, code="wrong_code") from None
            raise
        self.cognito.admin_set_user_mfa_preference(
            UserPoolId=self.pool_id, Username=email,
            SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})

    def disable_totp(self, email: str) -> None:
        try:
            self.cognito.admin_set_user_mfa_preference(
                UserPoolId=self.pool_id, Username=email,
                SoftwareTokenMfaSettings={"Enabled": False, "PreferredMfa": False})
        except ClientError as error:
            if _code(error) == "UserNotFoundException":
                raise NotFoundError("no such staff member", code="staff_not_found") from None
            raise

    # --- the owner's staff page --------------------------------------------------------------

    def _role(self, email: str) -> Role | None:
        groups = self.cognito.admin_list_groups_for_user(UserPoolId=self.pool_id, Username=email)["Groups"]
        return role_of({group["GroupName"] for group in groups})

    def member(self, email: str) -> StaffMember | None:
        try:
            user = self.cognito.admin_get_user(UserPoolId=self.pool_id, Username=email)
            role = self._role(email)
        except ClientError as error:
            if _code(error) == "UserNotFoundException":
                return None
            raise
        attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
        return StaffMember(
            email=attributes.get("email", email), role=role, status=str(user.get("UserStatus", "")),
            enabled=bool(user.get("Enabled", True)),
            mfa_enabled="SOFTWARE_TOKEN_MFA" in (user.get("UserMFASettingList") or []),
            created_at=_aware(user.get("UserCreateDate")),
        )

    def members(self) -> list[StaffMember]:
        # ListUsers tells neither groups nor MFA: each member is read whole (a store has a few).
        emails: list[str] = []
        for page in self.cognito.get_paginator("list_users").paginate(UserPoolId=self.pool_id):
            for user in page["Users"]:
                attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
                if attributes.get("email"):
                    emails.append(attributes["email"])
        found = (self.member(email) for email in sorted(set(emails)))
        return [member for member in found if member is not None]

    def invite(self, email: str, role: Role) -> StaffMember:
        try:
            self.cognito.admin_create_user(
                UserPoolId=self.pool_id, Username=email, DesiredDeliveryMediums=["EMAIL"],
                UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}])
        except ClientError as error:
            if _code(error) in ("UsernameExistsException", "AliasExistsException"):
                raise ConflictError("that email already has an account", code="staff_exists") from None
            if _code(error) == "InvalidParameterException":
                raise ValidationError("that is not an email address", code="invalid_email",
                                      fields=("email",)) from None
            raise
        self.cognito.admin_add_user_to_group(UserPoolId=self.pool_id, Username=email, GroupName=role.value)
        member = self.member(email)
        if member is None:  # pragma: no cover - just created
            raise RuntimeError(f"{email} vanished after its creation")
        return member

    def change_role(self, email: str, role: Role) -> None:
        try:
            groups = self.cognito.admin_list_groups_for_user(UserPoolId=self.pool_id, Username=email)["Groups"]
            # Added first: the member never is without a role between the two calls.
            self.cognito.admin_add_user_to_group(UserPoolId=self.pool_id, Username=email, GroupName=role.value)
            for group in groups:
                if group["GroupName"] != role.value:
                    self.cognito.admin_remove_user_from_group(UserPoolId=self.pool_id, Username=email,
                                                              GroupName=group["GroupName"])
        except ClientError as error:
            if _code(error) == "UserNotFoundException":
                raise NotFoundError("no such staff member", code="staff_not_found") from None
            raise

    def remove(self, email: str) -> None:
        try:
            self.cognito.admin_delete_user(UserPoolId=self.pool_id, Username=email)
        except ClientError as error:
            if _code(error) != "UserNotFoundException":
                raise


def _aware(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None
