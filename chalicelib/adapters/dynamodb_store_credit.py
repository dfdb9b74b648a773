"""Store credit in the single table: `CREDIT#{email_key}#{currency}` / `ACCOUNT` and `ENTRY#...`.

The account item is also in gsi1 under the shopper (`CUSTOMER#{email_key}` / `CREDIT#{currency}`),
so the console finds every currency a shopper holds credit in with one Query, never a Scan.

The balance lives on the account item and moves only together with an entry, in one
transaction; spending is conditioned on `balance >= amount`, so it never goes below zero and the
entries always sum to the balance.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import time
from datetime import UTC, datetime
from typing import Any, Final

from ..domain.errors import ConflictError, StaleWriteError
from ..domain.money import Money
from ..domain.return_request import ReturnRequest
from ..domain.store_credit import (
    EXPIRE,
    ISSUE,
    REDEEM,
    CreditAdjustment,
    CreditEntry,
    CreditLot,
    EntryKind,
    InsufficientCreditError,
    Redemption,
    CREDIT_CODE_BITS,
    CheckoutPromotion,
    StoreCreditAccount,
    UnknownCreditCodeError,
    adjustment_kind,
    credit_code_from_bits,
    expire_entry_id,
    normalize_credit_code,
    spendable,
)
from .dynamodb_items import email_key, from_item, iso, parse_iso, query_all, to_item
from .dynamodb_returns import DynamoDBReturnRepository, stale
from .dynamodb_transaction import DynamoDBTransaction, TransactionRefusedError

# Spending is conditioned on the balance read (so `balance_after` is exact); concurrent spenders
# of one account lose that race and read again, a little later each time.
_ATTEMPTS = 30
# gsi2 partition of issue entries that expire and are not yet written off (sparse: the expire
# transaction removes the entry from it). One write per expiring credit and one per expiry.
EXPIRING: Final = "CREDIT_EXPIRY"


def account_pk(email: str, currency: str) -> str:
    return f"CREDIT#{email_key(email)}#{currency}"


def code_pk(code: str) -> str:
    return f"CREDITCODE#{code}"


def promotion_pk(promotion_id: str) -> str:
    return f"STRIPEPROMO#{promotion_id}"


class DynamoDBStoreCredit:
    """StoreCreditLedger; crediting a return adds the issue to the return's move (its unit of work)."""

    def __init__(self, client: Any, table_name: str, returns: DynamoDBReturnRepository) -> None:
        self._client = client
        self._table = table_name
        self._returns = returns

    def credit_return(
        self, request: ReturnRequest, *, amount: Money, new_events: int, now: datetime,
        expires_at: datetime | None = None,
    ) -> ReturnRequest:
        entry = CreditEntry(id=f"return-{request.rma}", kind=ISSUE, amount=amount, at=now, rma=request.rma,
                            expires_at=expires_at)
        move = self._returns.move(request, new_events=new_events, now=now)
        self._add_movement(move, request.customer_email, entry, now=now,
                           new_code=self._new_code_unless(request.customer_email, amount.currency))
        try:
            move.commit()
        except TransactionRefusedError as refused:
            raise stale(request) from refused
        return request.with_version(request.version + 1)

    def account(self, email: str, currency: str) -> StoreCreditAccount:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": account_pk(email, currency)}},
            "ConsistentRead": True,
        }
        records = query_all(self._client, request)
        account = next((r for r in records if r["sk"] == "ACCOUNT"), None)
        entries = tuple(_entry(r) for r in records if r["sk"].startswith("ENTRY#"))
        return StoreCreditAccount(
            email=email, currency=currency,
            balance=Money(account["balance"] if account else 0, currency), entries=entries,
            code=(account or {}).get("credit_code"),
            checkout_promotion=next((_promotion(r) for r in records if r["sk"] == "PROMOTION"), None),
        )

    def account_by_promotion(self, promotion_id: str) -> StoreCreditAccount | None:
        response = self._client.get_item(TableName=self._table, Key={"pk": {"S": promotion_pk(promotion_id)},
                                                                     "sk": {"S": "PROMOTION"}}, ConsistentRead=True)
        if "Item" not in response:
            return None
        record = from_item(response["Item"])
        return self.account(record["email"], record["currency"])

    def save_checkout_promotion(self, account: StoreCreditAccount, promotion: CheckoutPromotion, *,
                                now: datetime) -> None:
        pk = account_pk(account.email, account.currency)
        previous = account.checkout_promotion
        transaction = DynamoDBTransaction(self._client, self._table)
        # On the generation read: two offers at once, one wins (the other deactivates its code).
        transaction.put("promotion", to_item({
            "pk": pk, "sk": "PROMOTION", "entity": "credit_promotion", "promotion_id": promotion.id,
            "amount": promotion.amount.minor, "currency": promotion.amount.currency,
            "generation": promotion.generation, "updated_at": iso(now),
        }), condition="attribute_not_exists(pk)" if previous is None else "generation = :previous",
            values=None if previous is None else {":previous": {"N": str(previous.generation)}})
        if promotion.id is not None:
            # Every generation's id stays findable: a Checkout spend may arrive after the next one.
            transaction.put("lookup", to_item({
                "pk": promotion_pk(promotion.id), "sk": "PROMOTION", "entity": "credit_promotion_lookup",
                "email": account.email, "currency": account.currency, "generation": promotion.generation,
                "created_at": iso(now),
            }), condition="attribute_not_exists(pk)")
        try:
            transaction.commit()
        except TransactionRefusedError as refused:
            raise StaleWriteError("another offer of this credit at Checkout won; read it again") from refused

    def account_by_code(self, code: str) -> StoreCreditAccount:
        canonical = normalize_credit_code(code)
        if canonical is None:
            raise UnknownCreditCodeError()
        response = self._client.get_item(TableName=self._table, Key={"pk": {"S": code_pk(canonical)},
                                                                     "sk": {"S": "CODE"}}, ConsistentRead=True)
        if "Item" not in response:
            raise UnknownCreditCodeError()
        record = from_item(response["Item"])
        account = self.account(record["email"], record["currency"])
        # Two first issues at once each draw a code; the account keeps one, the other leads nowhere.
        if account.code != canonical:
            raise UnknownCreditCodeError()
        return account

    def _new_code_unless(self, email: str, currency: str) -> str | None:
        """A fresh code for an account that has none yet (one GetItem), else None."""
        response = self._client.get_item(
            TableName=self._table, Key={"pk": {"S": account_pk(email, currency)}, "sk": {"S": "ACCOUNT"}},
            ConsistentRead=True, ProjectionExpression="credit_code",
        )
        if "credit_code" in response.get("Item", {}):
            return None
        return credit_code_from_bits(secrets.randbits(CREDIT_CODE_BITS))

    def redeem(self, email: str, amount: Money, *, idempotency_key: str, now: datetime) -> Redemption:
        record_key = {
            "pk": {"S": f"IDEMPOTENCY#redeem#{hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]}"},
            "sk": {"S": "IDEMPOTENCY"},
        }
        for attempt in range(_ATTEMPTS):
            replayed = self._replay(record_key, email, amount, idempotency_key)
            if replayed is not None:
                return replayed
            account = self.account(email, amount.currency)
            if spendable(account, now=now) < amount:
                # Expired credit is never spent, even before the daily job writes it off.
                raise InsufficientCreditError(
                    f"the spendable store credit ({spendable(account, now=now).minor}) is lower than {amount.minor}"
                )
            entry = CreditEntry(
                id=f"redeem-{hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]}", kind=REDEEM,
                amount=-amount, at=now, idempotency_key=idempotency_key,
            )
            # The balance after, as of the read; the condition below makes it exact or fails.
            result = Redemption(entry_id=entry.id, email=email, amount=amount,
                                balance_after=account.balance - amount, idempotency_key=idempotency_key)
            transaction = DynamoDBTransaction(self._client, self._table)
            _record_once(transaction, record_key, "redeem", email, amount, entry.id, result.balance_after, now)
            self._add_movement(transaction, email, entry, now=now, expected_balance=account.balance.minor)
            try:
                transaction.commit()
            except TransactionRefusedError as refused:
                if "idempotency" in refused.failed:
                    continue  # the same key won meanwhile: replay it
                elif "account" in refused.failed:
                    if account.balance < amount:
                        raise InsufficientCreditError(
                            f"the store-credit balance ({account.balance.minor}) is lower than {amount.minor}"
                        ) from refused
                    # The balance moved since we read it: read again.
                # TransactionConflict: another writer at the same moment.
            else:
                return result
            time.sleep(random.uniform(0, 0.005 * (attempt + 1)))
        raise ConflictError("the account is busy; try again with the same idempotency key", code="credit_busy")

    def adjust(self, email: str, amount: Money, *, reason: str, actor: str, idempotency_key: str,
               now: datetime, expires_at: datetime | None = None) -> CreditAdjustment:
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
        record_key = {"pk": {"S": f"IDEMPOTENCY#adjust#{digest}"}, "sk": {"S": "IDEMPOTENCY"}}
        for attempt in range(_ATTEMPTS):
            replayed = self._replay_adjustment(record_key, email, amount, idempotency_key)
            if replayed is not None:
                return replayed
            account = self.account(email, amount.currency)
            if amount.is_negative() and spendable(account, now=now) < -amount:
                raise InsufficientCreditError(
                    f"the spendable store credit ({spendable(account, now=now).minor}) is lower than {-amount.minor}"
                )
            new_code = (credit_code_from_bits(secrets.randbits(CREDIT_CODE_BITS))
                        if account.code is None and not amount.is_negative() else None)
            entry = CreditEntry(id=f"adjust-{digest[:16]}", kind=adjustment_kind(amount), amount=amount, at=now,
                                idempotency_key=idempotency_key, reason=reason, actor=actor,
                                expires_at=expires_at if not amount.is_negative() else None)
            result = CreditAdjustment(entry_id=entry.id, email=email, amount=amount,
                                      balance_after=account.balance + amount, idempotency_key=idempotency_key)
            transaction = DynamoDBTransaction(self._client, self._table)
            _record_once(transaction, record_key, "adjust", email, amount, entry.id, result.balance_after, now)
            # On the balance read, so `balance_after` is exact (and a take-back never below zero).
            self._add_movement(transaction, email, entry, now=now, expected_balance=account.balance.minor,
                               new_code=new_code)
            try:
                transaction.commit()
            except TransactionRefusedError as refused:
                if "idempotency" in refused.failed:
                    continue  # the same key won meanwhile: replay it
                # The balance moved since we read it (or another writer at the same moment): again.
            else:
                return result
            time.sleep(random.uniform(0, 0.005 * (attempt + 1)))
        raise ConflictError("the account is busy; try again with the same idempotency key", code="credit_busy")

    def currencies(self, email: str) -> list[str]:
        records = query_all(self._client, {
            "TableName": self._table, "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :customer AND begins_with(gsi1sk, :credit)",
            "ExpressionAttributeValues": {":customer": {"S": f"CUSTOMER#{email_key(email)}"},
                                          ":credit": {"S": "CREDIT#"}},
        })
        return sorted({str(record["currency"]) for record in records})

    def expiring_accounts(self, *, before: datetime) -> list[tuple[str, str]]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "gsi2",
            "KeyConditionExpression": "gsi2pk = :expiring AND gsi2sk < :before",
            "ExpressionAttributeValues": {":expiring": {"S": EXPIRING}, ":before": {"S": iso(before) or ""}},
        }
        found: dict[tuple[str, str], None] = {}
        while True:
            response = self._client.query(**request)
            for item in response.get("Items", []):
                record = from_item(item)
                found[(record["email"], record["currency"])] = None
            last = response.get("LastEvaluatedKey")
            if not last:
                return list(found)
            request["ExclusiveStartKey"] = last

    def expire(self, account: StoreCreditAccount, lot: CreditLot, *, now: datetime) -> None:
        pk = account_pk(account.email, account.currency)
        issue = lot.issue
        transaction = DynamoDBTransaction(self._client, self._table)
        # The issue leaves the expiring index (its amount and time never change).
        transaction.update("issue", {"pk": {"S": pk}, "sk": {"S": f"ENTRY#{iso(issue.at)}#{issue.id}"}},
                           "REMOVE gsi2pk, gsi2sk", condition="attribute_exists(pk)")
        if not lot.remaining.is_zero():
            entry = CreditEntry(id=expire_entry_id(issue.id), kind=EXPIRE, amount=-lot.remaining, at=now,
                                rma=issue.rma)
            self._add_movement(transaction, account.email, entry, now=now, expected_balance=account.balance.minor)
        try:
            transaction.commit()
        except TransactionRefusedError as refused:
            raise StaleWriteError(f"the credit account changed while {issue.id} expired; read it again") from refused

    def _replay(self, key: dict[str, Any], email: str, amount: Money, idempotency_key: str) -> Redemption | None:
        response = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True)
        if "Item" not in response:
            return None
        record = from_item(response["Item"])
        if (record["email_key"], record["currency"], record["amount"]) != (email_key(email), amount.currency, amount.minor):
            raise ConflictError("this idempotency key was already used for another redeem", code="idempotency_key_reused")
        return Redemption(entry_id=record["entry_id"], email=email, amount=amount,
                          balance_after=Money(record["balance_after"], amount.currency),
                          idempotency_key=idempotency_key)

    def _replay_adjustment(self, key: dict[str, Any], email: str, amount: Money,
                           idempotency_key: str) -> CreditAdjustment | None:
        response = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True)
        if "Item" not in response:
            return None
        record = from_item(response["Item"])
        if (record["email_key"], record["currency"], record["amount"]) != (email_key(email), amount.currency, amount.minor):
            raise ConflictError("this idempotency key was already used for another adjustment",
                                code="idempotency_key_reused")
        return CreditAdjustment(entry_id=record["entry_id"], email=email, amount=amount,
                                balance_after=Money(record["balance_after"], amount.currency),
                                idempotency_key=idempotency_key)

    def _add_movement(
        self, transaction: DynamoDBTransaction, email: str, entry: CreditEntry, *, now: datetime,
        expected_balance: int | None = None, new_code: str | None = None,
    ) -> None:
        """One movement into `transaction`: the balance change ("account") and its entry ("entry");
        with `new_code`, the account's credit code too ("code": code -> account, for the storefront)."""
        pk = account_pk(email, entry.amount.currency)
        values: dict[str, Any] = {
            ":amount": {"N": str(entry.amount.minor)}, ":one": {"N": "1"},
            ":entity": {"S": "credit_account"}, ":currency": {"S": entry.amount.currency},
            ":now": {"S": iso(now) or ""},
            ":customer": {"S": f"CUSTOMER#{email_key(email)}"}, ":credit": {"S": f"CREDIT#{entry.amount.currency}"},
        }
        if expected_balance is None:
            # Issuing: ADD creates the account at 0 when it is new.
            condition = "attribute_not_exists(pk) OR balance >= :zero"
            values[":zero"] = {"N": "0"}
        else:
            # Spending: exactly the balance we read, and never below zero. An account not yet
            # written reads as zero (an adjustment may open it).
            condition = "balance = :expected AND balance >= :spent"
            if expected_balance == 0:
                condition = f"attribute_not_exists(pk) OR ({condition})"
            values[":expected"] = {"N": str(expected_balance)}
            values[":spent"] = {"N": str(-entry.amount.minor)}
        expiring = (
            {"gsi2pk": EXPIRING, "gsi2sk": f"{iso(entry.expires_at)}#{pk}#{entry.id}", "email": email}
            if entry.kind == ISSUE and entry.expires_at is not None else {}
        )
        expression = ("ADD balance :amount, version :one SET entity = :entity, currency = :currency, "
                      "updated_at = :now, gsi1pk = :customer, gsi1sk = :credit")
        if new_code is not None:
            # The first code drawn stays; a code drawn by a concurrent first issue leads nowhere
            # (account_by_code checks the account names it back).
            expression += ", credit_code = if_not_exists(credit_code, :code)"
            values[":code"] = {"S": new_code}
            transaction.put("code", to_item({
                "pk": code_pk(new_code), "sk": "CODE", "entity": "credit_code", "email": email,
                "currency": entry.amount.currency, "created_at": iso(now),
            }), condition="attribute_not_exists(pk)")
        transaction.update("account", {"pk": {"S": pk}, "sk": {"S": "ACCOUNT"}}, expression,
                           condition=condition, values=values)
        transaction.put("entry", to_item({
            "pk": pk, "sk": f"ENTRY#{iso(entry.at)}#{entry.id}", "entity": "credit_entry",
            "id": entry.id, "kind": entry.kind, "amount": entry.amount.minor,
            "currency": entry.amount.currency, "at": iso(entry.at), "rma": entry.rma,
            # Microseconds: the FIFO replay needs the true order within a second.
            "at_exact": entry.at.astimezone(UTC).isoformat(),
            "idempotency_key": entry.idempotency_key, "expires_at_iso": iso(entry.expires_at),
            "reason": entry.reason or None, "actor": entry.actor or None,
            **expiring,
        }), condition="attribute_not_exists(pk)")


def _promotion(record: dict[str, Any]) -> CheckoutPromotion:
    return CheckoutPromotion(id=record.get("promotion_id"), amount=Money(record["amount"], record["currency"]),
                             generation=record["generation"])


def _entry(record: dict[str, Any]) -> CreditEntry:
    at = datetime.fromisoformat(record["at_exact"]) if record.get("at_exact") else parse_iso(record["at"])
    assert at is not None
    return CreditEntry(
        id=record["id"], kind=EntryKind(record["kind"]), amount=Money(record["amount"], record["currency"]), at=at,
        rma=record.get("rma"), idempotency_key=record.get("idempotency_key"),
        expires_at=parse_iso(record.get("expires_at_iso")),
        reason=record.get("reason") or "", actor=record.get("actor") or "",
    )


def _record_once(transaction: DynamoDBTransaction, record_key: dict[str, Any], scope: str, email: str,
                 amount: Money, entry_id: str, balance_after: Money, now: datetime) -> None:
    """The idempotency record of a redemption or an adjustment, in its transaction: new or refused."""
    transaction.put("idempotency", {**record_key, **to_item({
        "entity": "idempotency_record", "scope": scope, "email_key": email_key(email),
        "currency": amount.currency, "amount": amount.minor, "entry_id": entry_id,
        "balance_after": balance_after.minor, "created_at": iso(now),
        # Kept a year: a storefront or a form retries within minutes, never later than that.
        "expires_at": int(now.timestamp()) + 365 * 86400,
    })}, condition="attribute_not_exists(pk)")
