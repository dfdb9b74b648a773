"""photos: the local S3's POST-policy check (devstack/s3_post_policy.py) refuses what S3 refuses,
so a test that passes locally does not rely on moto's leniency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config

from devstack.s3_post_policy import PostPolicies

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def signed_form(**conditions: Any) -> dict[str, str]:
    """The hidden fields boto3 signs for one photo, with the local fake key."""
    s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:1", region_name="us-east-1",
                      aws_access_key_id="local", aws_secret_access_key="local",
                      config=Config(signature_version="s3v4"))
    post = s3.generate_presigned_post(
        Bucket="photos", Key="returns/R-1/photos/L1/abc", Fields={"Content-Type": "image/*"},
        Conditions=[["starts-with", "$Content-Type", "image/"], ["content-length-range", 1, 100]],
        ExpiresIn=3600)
    return {name.lower(): value for name, value in {**post["fields"], **conditions}.items()}


def check(fields: dict[str, str], size: int = 10, *, at: datetime | None = None) -> str | None:
    # boto3 signs with the real clock: judge it a minute later, or `at`.
    problem = PostPolicies(clock=lambda: at or datetime.now(UTC) + timedelta(minutes=1)).problem("photos", fields, size)
    return None if problem is None else problem[1]


def test_a_form_as_signed_passes() -> None:
    assert check(signed_form()) is None


def test_an_expired_or_tampered_policy_is_refused() -> None:
    assert check(signed_form(), at=datetime.now(UTC) + timedelta(hours=2)) == "AccessDenied"
    fields = signed_form()
    assert check({**fields, "x-amz-signature": "0" * 64}) == "AccessDenied"
    assert check({k: v for k, v in fields.items() if k != "policy"}) == "AccessDenied"


def test_every_condition_holds_and_no_field_goes_unsigned() -> None:
    assert check(signed_form(key="labels/R-1/4x6.pdf")) == "AccessDenied"
    assert check({**signed_form(), "content-type": "text/html"}) == "AccessDenied"
    assert check({**signed_form(), "acl": "public-read"}) == "AccessDenied"
    assert check(signed_form(), size=101) == "EntityTooLarge"
    assert check(signed_form(), size=0) == "EntityTooSmall"
