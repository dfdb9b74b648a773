"""The store's policy history in the single DynamoDB table (keys: docs/data-model.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain.errors import StaleWriteError
from ..domain.money import Money
from ..domain.policy import DEFAULT_POLICY, Fees, Policy, Reason, Resolutions, Rule, RuleMatch, policy_document
from ..domain.policy import accepts_photos_by_default
from ..services.ports.policy import StoredPolicyVersion
from .dynamodb_items import from_item, iso, parse_iso, query_all, to_item
from .dynamodb_transaction import DynamoDBTransaction, TransactionRefusedError

POLICY_PK = "POLICY"
CURRENT_SK = "CURRENT"


def version_sk(version: int) -> str:
    """The sort key of one stored version; zero-padded so text order is version order."""
    return f"V#{version:08d}"


class DynamoDBPolicyRepository:
    """PolicyRepository on DynamoDB: immutable version items plus a pointer holding the current one.

    The pointer carries the whole current document, so judging a line costs one GetItem.
    """

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def current(self, *, consistent: bool = True) -> Policy:
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item({"pk": POLICY_PK, "sk": CURRENT_SK}),
            ConsistentRead=consistent,
        )
        item = response.get("Item")
        if item is None:
            return DEFAULT_POLICY
        record = from_item(item)
        return policy_from_document(record["document"], version=record["current_version"])

    def save(self, policy: Policy, *, expected_version: int, now: datetime, saved_by: str | None = None) -> Policy:
        stored = policy.with_version(expected_version + 1)
        document = policy_document(stored)
        saved_at = iso(now)
        version_item = {
            "pk": POLICY_PK, "sk": version_sk(stored.version), "entity": "policy_version",
            "version": stored.version, "saved_at": saved_at, "saved_by": saved_by, "document": document,
        }
        pointer = {
            "pk": POLICY_PK, "sk": CURRENT_SK, "entity": "policy_pointer",
            "version": stored.version, "current_version": stored.version,
            "saved_at": saved_at, "saved_by": saved_by, "document": document,
        }
        # One transaction: a version is never stored without becoming current, and two writers
        # that read the same version cannot both move the pointer.
        transaction = DynamoDBTransaction(self._client, self._table)
        # Versions are immutable: never overwrite one.
        transaction.put("version", to_item(version_item), condition="attribute_not_exists(pk)")
        if expected_version == 0:
            transaction.put("pointer", to_item(pointer), condition="attribute_not_exists(pk)")
        else:
            transaction.put("pointer", to_item(pointer), condition="current_version = :expected",
                            values={":expected": {"N": str(expected_version)}})
        try:
            transaction.commit()
        except TransactionRefusedError as refused:
            raise StaleWriteError(
                f"the policy changed since version {expected_version} was read; read it again"
            ) from refused
        return stored

    def get_version(self, version: int) -> Policy | None:
        if version < 1:
            return None
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item({"pk": POLICY_PK, "sk": version_sk(version)}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        if item is None:
            return None
        record = from_item(item)
        return policy_from_document(record["document"], version=record["version"])

    def versions(self) -> list[Policy]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": to_item({":pk": POLICY_PK, ":prefix": "V#"}),
            "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        return [policy_from_document(record["document"], version=record["version"])
                for record in query_all(self._client, request)]

    def history(self, limit: int) -> list[StoredPolicyVersion]:
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item({":pk": POLICY_PK, ":prefix": "V#"}),
            ScanIndexForward=False,
            ConsistentRead=True,
            Limit=limit,
        )
        return [
            StoredPolicyVersion(
                policy=policy_from_document(record["document"], version=record["version"]),
                saved_at=parse_iso(record.get("saved_at")),
                # Versions saved through the admin API (or before this was kept) name nobody.
                saved_by=record.get("saved_by"),
            )
            for record in (from_item(item) for item in response.get("Items", []))
        ]


def policy_from_document(document: dict[str, Any], *, version: int) -> Policy:
    """The Policy a stored `document` holds, as version `version`."""
    fees = document["fees"]
    resolutions = document["resolutions"]
    return Policy(
        version=version,
        time_zone=document["time_zone"],
        window_days=document["window_days"],
        window_starts=document["window_starts"],
        exception_grace_days=document["exception_grace_days"],
        rules=tuple(
            Rule(
                match=RuleMatch(
                    product_type=rule["match"].get("product_type"),
                    tag=rule["match"].get("tag"),
                    sku=rule["match"].get("sku"),
                ),
                returnable=rule["returnable"],
                # None attributes are left out of an item.
                window_days=rule.get("window_days"),
            )
            for rule in document["rules"]
        ),
        final_sale_returnable=document["final_sale_returnable"],
        reasons=tuple(
            Reason(code=r["code"], requires_note=r["requires_note"], waive_fees=r["waive_fees"],
                   # photos: a version stored before the setting takes photos for its default reasons.
                   accepts_photos=r.get("accepts_photos", accepts_photos_by_default(r["code"])))
            for r in document["reasons"]
        ),
        resolutions=Resolutions(
            refund=resolutions["refund"],
            store_credit=resolutions["store_credit"],
            store_credit_bonus_percent=resolutions["store_credit_bonus_percent"],
        ),
        fees=Fees(
            restocking_percent=fees["restocking_percent"],
            return_shipping=tuple(
                Money(minor, currency) for currency, minor in sorted(fees["return_shipping"].items())
            ),
        ),
        refund_trigger=document["refund_trigger"],
        store_credit_expiry_days=document.get("store_credit_expiry_days"),
        # Versions stored before the setting existed take the default; a stored null is kept
        # (inside the document map a None is a NULL attribute, present, not left out).
        ship_within_days=document.get("ship_within_days", DEFAULT_POLICY.ship_within_days),
        ship_reminder_days_before=document.get("ship_reminder_days_before", DEFAULT_POLICY.ship_reminder_days_before),
        max_returns_per_customer_90d=document.get("max_returns_per_customer_90d"),
        merchant_email=document["merchant_email"],
        approval_link_ttl_hours=document["approval_link_ttl_hours"],
        approval_sla_hours=document["approval_sla_hours"],
        approval_expiry_hours=document["approval_expiry_hours"],
        on_approval_timeout=document["on_approval_timeout"],
        # shipping: versions stored before the setting existed never refunded the original shipping.
        original_shipping_refund=tuple(document.get("original_shipping_refund") or ()),
        # exchanges: versions stored before the settings existed take the defaults.
        exchanges=document.get("exchanges", DEFAULT_POLICY.exchanges),
        exchange_trigger=document.get("exchange_trigger", DEFAULT_POLICY.exchange_trigger),
        exchange_out_of_stock=document.get("exchange_out_of_stock", DEFAULT_POLICY.exchange_out_of_stock),
    )
