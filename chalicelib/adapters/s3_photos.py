"""Shoppers' photos in the private S3 bucket: uploaded by the browser itself through a presigned
POST policy, read back to be checked, handed to the merchant as short-lived GET links."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from ..services.ports.photos import UploadForm

# The form names no type of its own (a plain form cannot tell which image was chosen): it
# declares an image, the POST policy insists on image/*, and the check after the upload reads
# the real type from the bytes; links serve that type, never what the browser claimed.
DECLARED_TYPE = "image/*"
_MISSING = ("404", "NoSuchKey", "NotFound")


class S3Photos:
    """PhotoStorage on one bucket; the botocore client is built on first use, not at cold start."""

    def __init__(self, client_factory: Callable[[], Any], bucket: str) -> None:
        self._client_factory = client_factory
        self._client: Any = None
        self._origin: str | None = None
        self.bucket = bucket

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def upload_form(self, key: str, *, redirect_to: str, max_bytes: int, expires_in: timedelta) -> UploadForm:
        post: dict[str, Any] = self.client.generate_presigned_post(
            Bucket=self.bucket, Key=key,
            Fields={"success_action_redirect": redirect_to, "Content-Type": DECLARED_TYPE},
            Conditions=[
                {"success_action_redirect": redirect_to},
                ["starts-with", "$Content-Type", "image/"],
                ["content-length-range", 1, max_bytes],
            ],
            ExpiresIn=int(expires_in.total_seconds()),
        )
        return UploadForm(url=str(post["url"]), fields=tuple((str(k), str(v)) for k, v in post["fields"].items()))

    def first_bytes(self, key: str, count: int) -> tuple[bytes, int] | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        size = int(head["ContentLength"])
        if size == 0:
            return b"", 0
        body = self.client.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{count - 1}")["Body"]
        try:
            return body.read(), size
        finally:
            body.close()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def delete_folder(self, prefix: str) -> int:
        deleted = 0
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
                deleted += len(keys)
        return deleted

    def presigned_url(self, key: str, *, expires_in: timedelta, content_type: str = "") -> str:
        params: dict[str, str] = {"Bucket": self.bucket, "Key": key}
        if content_type:
            params["ResponseContentType"] = content_type
        url: str = self.client.generate_presigned_url("get_object", Params=params,
                                                      ExpiresIn=int(expires_in.total_seconds()))
        return url

    def origin(self) -> str:
        if self._origin is None:
            # Signing is local arithmetic: no request leaves for this.
            url = self.client.generate_presigned_post(Bucket=self.bucket, Key="origin", ExpiresIn=60)["url"]
            parts = urlsplit(url)
            self._origin = f"{parts.scheme}://{parts.netloc}"
        return self._origin
