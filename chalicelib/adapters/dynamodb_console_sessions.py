"""Console sessions in the single table: `STAFF#{email_key}` / `SESSION#{id}`, removed by the TTL.

One partition per staff member, so ending every session of a removed member (or one whose role
changed) is one Query and a delete per session, never a Scan. The cookie names the member and the
session id (signed); a read that finds no item, or one past `expires_at_iso`, is signed out:
DynamoDB's TTL deletes within days, so the expiry is checked here, not left to it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from ..domain.staff import ConsoleSession, Role
from ..services.ports.staff import TotpSetup
from .dynamodb_items import email_key, from_item, is_conditional_check_failure, iso, parse_iso, query_all, to_item


def session_key(email: str, session_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"STAFF#{email_key(email)}"}, "sk": {"S": f"SESSION#{session_id}"}}


class DynamoDBConsoleSessions:
    """ConsoleSessions on DynamoDB."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def open(self, session: ConsoleSession) -> None:
        item = session_key(session.email, session.session_id) | to_item({
            "entity": "console_session", "email": session.email, "role": session.role.value,
            "locale": session.locale, "created_at": iso(session.created_at),
            "expires_at_iso": iso(session.expires_at), "address": session.address,
            "expires_at": int(session.expires_at.timestamp()),
        })
        try:
            self._client.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except Exception as error:
            if is_conditional_check_failure(error):
                raise RuntimeError("a console session id was drawn twice") from error
            raise

    def get(self, email: str, session_id: str, *, now: datetime) -> ConsoleSession | None:
        # Consistent: a sign-out or a removal must hold on the very next request.
        response = self._client.get_item(TableName=self._table, Key=session_key(email, session_id),
                                         ConsistentRead=True)
        raw = response.get("Item")
        if raw is None:
            return None
        item = from_item(raw)
        expires_at = parse_iso(item.get("expires_at_iso"))
        created_at = parse_iso(item.get("created_at"))
        if expires_at is None or created_at is None or expires_at <= now:
            return None
        try:
            role = Role(item.get("role", ""))
        except ValueError:
            return None
        return ConsoleSession(session_id=session_id, email=item["email"], role=role, locale=item.get("locale", "en"),
                              created_at=created_at, expires_at=expires_at, address=item.get("address", ""))

    def set_locale(self, email: str, session_id: str, locale: str) -> None:
        try:
            self._client.update_item(
                TableName=self._table, Key=session_key(email, session_id),
                UpdateExpression="SET locale = :locale", ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":locale": {"S": locale}})
        except Exception as error:
            if not is_conditional_check_failure(error):
                raise

    def close(self, email: str, session_id: str) -> None:
        self._client.delete_item(TableName=self._table, Key=session_key(email, session_id))

    def hold_totp_setup(self, email: str, session_id: str, setup: TotpSetup) -> None:
        # On the session item itself: it goes when the session ends, whatever ends it.
        try:
            self._client.update_item(
                TableName=self._table, Key=session_key(email, session_id),
                UpdateExpression="SET totp_setup = :setup", ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":setup": {"M": {
                    "access_token": {"S": setup.access_token}, "secret": {"S": setup.secret},
                    "until": {"S": iso(setup.until)}}}})
        except Exception as error:
            if not is_conditional_check_failure(error):
                raise

    def totp_setup(self, email: str, session_id: str, *, now: datetime) -> TotpSetup | None:
        raw = self._client.get_item(TableName=self._table, Key=session_key(email, session_id), ConsistentRead=True,
                                    ProjectionExpression="totp_setup").get("Item")
        setup = from_item(raw).get("totp_setup") if raw else None
        until = parse_iso(setup.get("until")) if isinstance(setup, dict) else None
        if not isinstance(setup, dict) or until is None or until <= now:
            return None
        return TotpSetup(access_token=str(setup["access_token"]), secret=str(setup["secret"]), until=until)

    def drop_totp_setup(self, email: str, session_id: str) -> None:
        try:
            self._client.update_item(
                TableName=self._table, Key=session_key(email, session_id), UpdateExpression="REMOVE totp_setup",
                ConditionExpression="attribute_exists(pk)")
        except Exception as error:
            if not is_conditional_check_failure(error):
                raise

    def close_all(self, email: str) -> int:
        items = query_all(self._client, {
            "TableName": self._table, "ConsistentRead": True, "ProjectionExpression": "pk, sk",
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": f"STAFF#{email_key(email)}"}, ":prefix": {"S": "SESSION#"}},
        })
        for item in items:
            self._client.delete_item(TableName=self._table, Key=to_item({"pk": item["pk"], "sk": item["sk"]}))
        return len(items)


class InMemoryConsoleSessions:
    """ConsoleSessions in a dict (unit tests)."""

    def __init__(self) -> None:
        self.sessions: dict[tuple[str, str], ConsoleSession] = {}
        self.setups: dict[tuple[str, str], TotpSetup] = {}

    def hold_totp_setup(self, email: str, session_id: str, setup: TotpSetup) -> None:
        if (email.lower(), session_id) in self.sessions:
            self.setups[(email.lower(), session_id)] = setup

    def totp_setup(self, email: str, session_id: str, *, now: datetime) -> TotpSetup | None:
        found = self.setups.get((email.lower(), session_id))
        return found if found is not None and found.until > now and (email.lower(), session_id) in self.sessions else None

    def drop_totp_setup(self, email: str, session_id: str) -> None:
        self.setups.pop((email.lower(), session_id), None)

    def open(self, session: ConsoleSession) -> None:
        key = (session.email.lower(), session.session_id)
        if key in self.sessions:
            raise RuntimeError("a console session id was drawn twice")
        self.sessions[key] = session

    def get(self, email: str, session_id: str, *, now: datetime) -> ConsoleSession | None:
        found = self.sessions.get((email.lower(), session_id))
        return found if found is not None and found.expires_at > now else None

    def set_locale(self, email: str, session_id: str, locale: str) -> None:
        key = (email.lower(), session_id)
        if key in self.sessions:
            self.sessions[key] = replace(self.sessions[key], locale=locale)

    def close(self, email: str, session_id: str) -> None:
        self.sessions.pop((email.lower(), session_id), None)
        self.setups.pop((email.lower(), session_id), None)

    def close_all(self, email: str) -> int:
        keys = [k for k in self.sessions if k[0] == email.lower()]
        for key in keys:
            del self.sessions[key]
            self.setups.pop(key, None)
        return len(keys)
