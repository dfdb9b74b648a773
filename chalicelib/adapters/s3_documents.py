"""Label PDFs in the private S3 bucket, handed out as presigned GET links."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError


class S3Documents:
    """A LabelStore on one bucket; the botocore client is built on first use, not at cold start."""

    def __init__(self, client_factory: Callable[[], Any], bucket: str) -> None:
        self._client_factory = client_factory
        self._client: Any = None
        self.bucket = bucket

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            # HEAD has no body: a missing object answers a bare 404, or 403 to a role without
            # s3:ListBucket. Either way render it again: a put we may not make fails loudly.
            if error.response.get("Error", {}).get("Code") in ("403", "404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def put_pdf(self, key: str, pdf: bytes) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=key, Body=pdf, ContentType="application/pdf",
            ContentDisposition=f'inline; filename="{key.rsplit("/", 2)[-2]}.pdf"',
            CacheControl="private, no-store", ServerSideEncryption="AES256",
        )

    def presigned_url(self, key: str, *, expires_in: timedelta) -> str:
        url: str = self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key},
            ExpiresIn=int(expires_in.total_seconds()),
        )
        return url
