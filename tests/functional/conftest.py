"""HTTP through Chalice's test client, against the local DynamoDB server."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.settings import Settings
from devstack.cognito import StaffPool, ensure_staff_pool
from devstack.s3 import ensure_bucket
from devstack.ses import ensure_ses_identity
from devstack.tables import ensure_table
from tests.fakes import ShiftedClock

ADMIN = {"Authorization": "Bearer local-admin-key", "Content-Type": "application/json"}
# The local stage's config names this table; each module starts from an empty one.
LOCAL_TABLE = "retour-local"


def _local_label_bucket() -> str:
    bucket = Settings.from_env({"RETOUR_STAGE": "local"}).label_bucket
    assert bucket is not None, "the local stage always names its label bucket"
    return bucket


LABEL_BUCKET = _local_label_bucket()


def local_client(service: str, endpoint: str) -> Any:
    """A boto3 client for `service` on the local AWS server."""
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


def local_dynamodb(endpoint: str) -> Any:
    return local_client("dynamodb", endpoint)


def put_policy(client: Client, **fields: Any) -> dict[str, Any]:
    """Store the default policy with `fields` changed (the API fills in the rest); the stored JSON."""
    response = client.http.put("/api/v1/admin/policy", headers=ADMIN, body=json.dumps(fields))
    assert response.status_code == 200, response.json_body
    stored: dict[str, Any] = response.json_body
    return stored


@pytest.fixture(scope="module")
def local_table(aws_endpoint: str) -> Any:
    """The local stage's table on the test server, empty for this module; yields a client."""
    dynamodb = local_dynamodb(aws_endpoint)
    if LOCAL_TABLE in dynamodb.list_tables()["TableNames"]:
        dynamodb.delete_table(TableName=LOCAL_TABLE)
    ensure_table(dynamodb, LOCAL_TABLE)
    # Views that email the shopper send from the stage's address, which SES must know.
    ensure_ses_identity(local_client("ses", aws_endpoint), Settings.from_env({}).mail_from)
    return dynamodb


@pytest.fixture(scope="module")
def s3(aws_endpoint: str) -> Any:
    """An S3 client on the local AWS server, with the local stage's label bucket in it."""
    client = local_client("s3", aws_endpoint)
    ensure_bucket(client, LABEL_BUCKET)
    return client


@pytest.fixture(scope="module")
def staff_pool(aws_endpoint: str) -> StaffPool:
    """The local stage's staff user pool (`retour-local-staff`), empty for this module; the app
    finds it by name on first use, as on `make run`."""
    cognito = local_client("cognito-idp", aws_endpoint)
    name = Settings.from_env({"RETOUR_STAGE": "local"}).staff_pool_name
    for pool in cognito.list_user_pools(MaxResults=60)["UserPools"]:
        if pool["Name"] == name:
            cognito.delete_user_pool(UserPoolId=pool["Id"])
    return ensure_staff_pool(cognito, "local")


@pytest.fixture(scope="module")
def client(aws_endpoint: str, local_table: Any, staff_pool: StaffPool) -> Iterator[Client]:
    """A test client on the local stage, against the module's fresh table."""
    previous = os.environ.get("RETOUR_AWS_ENDPOINT_URL")
    previous_limit = os.environ.get("RETOUR_LOOKUP_LIMIT")
    os.environ["RETOUR_AWS_ENDPOINT_URL"] = aws_endpoint
    # Every test client calls from 127.0.0.1: the lookup limit has its own tests
    # (test_lookup_rate_limit.py); the other modules look orders up as often as they need.
    os.environ.setdefault("RETOUR_LOOKUP_LIMIT", "100000")
    get_deps.cache_clear()
    from app import app

    with Client(app, stage_name="local") as test_client:
        yield test_client
    get_deps.cache_clear()
    if previous_limit is None:
        os.environ.pop("RETOUR_LOOKUP_LIMIT", None)
    else:
        os.environ["RETOUR_LOOKUP_LIMIT"] = previous_limit
    if previous is None:
        os.environ.pop("RETOUR_AWS_ENDPOINT_URL", None)
    else:
        os.environ["RETOUR_AWS_ENDPOINT_URL"] = previous


@contextmanager
def app_clock[C](clock: C) -> Iterator[C]:
    """The app's clock is `clock` inside the block (its deps are built once, so swapped in place)."""
    deps = get_deps()
    real = deps.clock
    deps.clock = clock
    try:
        yield clock
    finally:
        deps.clock = real


def days_later(days: float) -> AbstractContextManager[ShiftedClock]:
    """The app's clock `days` ahead inside the block (the jobs, and anything the app does meanwhile)."""
    return app_clock(ShiftedClock(timedelta(days=days)))


def console_cookie(role: str, email: str | None = None) -> dict[str, str]:
    """Headers of a browser signed in to the console as `email` in `role`, without Cognito.

    The session is opened the way the sign-in opens one (a stored item and its signed cookie);
    the sign-in itself, against the local Cognito, has its own tests (test_console_sign_in.py).
    """
    import secrets as _secrets

    from chalicelib.domain.staff import ConsoleSession, Role
    from chalicelib.web.console.visit import COOKIE, SESSION_PURPOSE, SESSION_TTL

    deps = get_deps()
    now = deps.clock.now()
    email = email or f"{role}@retour.local"
    session = ConsoleSession(session_id=_secrets.token_urlsafe(24), email=email, role=Role(role), locale="en",
                             created_at=now, expires_at=now + SESSION_TTL, address="127.0.0.1")
    deps.console_sessions.open(session)
    token = deps.tokens.issue(f"{email}\n{session.session_id}", purpose=SESSION_PURPOSE, now=now, ttl=SESSION_TTL)
    return {"Cookie": f"{COOKIE}={token}"}


def console_csrf(page_html: str) -> str:
    """The CSRF token a console page's forms carry."""
    import re

    found = re.search(r'name="csrf" value="([^"]+)"', page_html)
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


def form_post(client: Client, path: str, headers: dict[str, str], **fields: str) -> Any:
    """POST a form (urlencoded) with `headers` (a console cookie)."""
    from urllib.parse import urlencode

    return client.http.post(path, headers=headers | {"Content-Type": "application/x-www-form-urlencoded"},
                            body=urlencode(fields))
