"""Settings and fixtures shared by the integration tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from devstack.tables import ensure_table


def pytest_configure(config: pytest.Config) -> None:
    # Registered here too so `--strict-markers` accepts it whichever config file pytest reads.
    config.addinivalue_line(
        "markers", "package: builds the Lambda package with chalice (slow, needs the package registry)"
    )


@pytest.fixture(scope="module")
def dynamodb_client(aws_endpoint: str) -> Any:
    """A plain boto3 client on the local DynamoDB (the repositories under test take any client)."""
    return boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


@pytest.fixture
def fresh_table(dynamodb_client: Any, request: pytest.FixtureRequest) -> Iterator[str]:
    """A table of its own for one test (the stage's schema, from infra/retour.yaml), then deleted."""
    prefix = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_").replace("_", "-")[:20]
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    ensure_table(dynamodb_client, name)
    yield name
    dynamodb_client.delete_table(TableName=name)
