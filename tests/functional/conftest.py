"""HTTP through Chalice's test client, against the local DynamoDB server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from devstack.tables import ensure_table

ADMIN = {"Authorization": "Bearer local-admin-key", "Content-Type": "application/json"}
# The local stage's config names this table; each module starts from an empty one.
LOCAL_TABLE = "retour-local"


def local_dynamodb(endpoint: str) -> Any:
    return boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",
    )


@pytest.fixture(scope="module")
def local_table(aws_endpoint: str) -> Any:
    """The local stage's table on the test server, empty for this module; yields a client."""
    dynamodb = local_dynamodb(aws_endpoint)
    if LOCAL_TABLE in dynamodb.list_tables()["TableNames"]:
        dynamodb.delete_table(TableName=LOCAL_TABLE)
    ensure_table(dynamodb, LOCAL_TABLE)
    return dynamodb


@pytest.fixture(scope="module")
def client(aws_endpoint: str, local_table: Any) -> Iterator[Client]:
    """A test client on the local stage, against the module's fresh table."""
    previous = os.environ.get("RETOUR_AWS_ENDPOINT_URL")
    os.environ["RETOUR_AWS_ENDPOINT_URL"] = aws_endpoint
    get_deps.cache_clear()
    from app import app

    with Client(app, stage_name="local") as test_client:
        yield test_client
    get_deps.cache_clear()
    if previous is None:
        os.environ.pop("RETOUR_AWS_ENDPOINT_URL", None)
    else:
        os.environ["RETOUR_AWS_ENDPOINT_URL"] = previous
