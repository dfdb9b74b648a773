"""StoredEvents for Stripe webhooks: `STRIPE_EVENT#{id}` / `EVENT`, expiring by TTL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from .dynamodb_items import is_conditional_check_failure, iso

# Stripe retries a delivery for up to three days; a week covers every repeat.
KEEP_FOR = timedelta(days=7)


class DynamoDBStripeEvents:
    """Records applied Stripe event ids with a conditional put."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def first_time(self, event_id: str, *, now: datetime) -> bool:
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": f"STRIPE_EVENT#{event_id}"}, "sk": {"S": "EVENT"},
                    "entity": {"S": "processed_webhook"}, "received_at": {"S": iso(now) or ""},
                    "expires_at": {"N": str(int((now + KEEP_FOR).timestamp()))},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True

    def forget(self, event_id: str) -> None:
        self._client.delete_item(
            TableName=self._table, Key={"pk": {"S": f"STRIPE_EVENT#{event_id}"}, "sk": {"S": "EVENT"}}
        )
