"""The photos recorded on a return, in the single DynamoDB table beside the return itself.

Keys: docs/data-model.md (return photo). One item per slot (1..3) of a line: a photo takes the
lowest free slot with `attribute_not_exists(pk)`, so two uploads racing for the last slot
cannot both be kept, and no line ever holds a fourth.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from ..domain.return_photos import ReturnPhoto
from .dynamodb_items import is_conditional_check_failure, iso, parse_iso, query_all, to_item

PHOTO_SK = "PHOTO#"


def photo_key(rma: str, line_id: str, slot: int) -> dict[str, Any]:
    return {"pk": {"S": f"RETURN#{rma}"}, "sk": {"S": f"{PHOTO_SK}{line_id}#{slot}"}}


class DynamoDBPhotoRecords:
    """PhotoRecords on DynamoDB; a record outlives nothing: its TTL is the bucket's lifecycle."""

    def __init__(self, client: Any, table_name: str, *, kept: timedelta) -> None:
        self._client = client
        self._table = table_name
        self._kept = kept

    def photos(self, rma: str) -> list[ReturnPhoto]:
        records = query_all(self._client, {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :photo)",
            "ExpressionAttributeValues": {":pk": {"S": f"RETURN#{rma}"}, ":photo": {"S": PHOTO_SK}},
            "ConsistentRead": True,
        })
        photos = [
            ReturnPhoto(rma=rma, line_id=r["line_id"], slot=r["slot"], key=r["object_key"],
                        content_type=r["content_type"], size=r["size"],
                        uploaded_at=_moment(r["uploaded_at"]))
            for r in records
        ]
        return sorted(photos, key=lambda p: (p.line_id, p.slot))

    def record(self, photo: ReturnPhoto) -> bool:
        item = {
            **photo_key(photo.rma, photo.line_id, photo.slot),
            **to_item({
                "entity": "return_photo", "line_id": photo.line_id, "slot": photo.slot,
                "object_key": photo.key, "content_type": photo.content_type, "size": photo.size,
                "uploaded_at": iso(photo.uploaded_at),
                "expires_at": int((photo.uploaded_at + self._kept).timestamp()),
            }),
        }
        try:
            self._client.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True

    def forget(self, rma: str) -> None:
        for photo in self.photos(rma):
            self._client.delete_item(TableName=self._table, Key=photo_key(rma, photo.line_id, photo.slot))


def _moment(text: str) -> datetime:
    moment = parse_iso(text)
    if moment is None:
        raise ValueError("a photo record without its upload time")
    return moment
