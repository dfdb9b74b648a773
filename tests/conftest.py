"""Fixtures for the whole suite: fake AWS credentials, and the loopback AWS and Stripe servers."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from devstack.processes import free_port, start_server
from devstack.tables import ensure_table

# Fixed fakes: even a test that reaches for AWS by mistake never signs with real credentials.
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "stack: starts the whole local stack (`python -m devstack.run`) as a subprocess"
    )


@pytest.fixture(scope="session", autouse=True)
def fake_aws_environment() -> Iterator[None]:
    """Fake AWS credentials and region for the session; no profile or config file is read."""
    with pytest.MonkeyPatch.context() as patch:
        for variable, value in FAKE_AWS.items():
            patch.setenv(variable, value)
        for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            patch.delenv(variable, raising=False)
        patch.setenv("AWS_CONFIG_FILE", "/dev/null")
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        yield


@pytest.fixture(scope="session")
def aws_endpoint(fake_aws_environment: None) -> Iterator[str]:
    """URL of a local AWS server (moto, one request at a time) on a free loopback port."""
    server = start_server("devstack.aws_server", free_port())
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def stripe_endpoint(fake_aws_environment: None) -> Iterator[str]:
    """URL of a local Stripe (localstripe, empty, in memory) on a free loopback port."""
    server = start_server("devstack.stripe_server", free_port())
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def dynamodb(aws_endpoint: str) -> Any:
    """A boto3 DynamoDB client on the local AWS server."""
    return boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")


@pytest.fixture
def table_name(dynamodb: Any) -> Iterator[str]:
    """The name of a fresh table shaped like the deployed one, for this test only."""
    name = f"retour-test-{uuid.uuid4().hex[:12]}"
    ensure_table(dynamodb, name)
    yield name
    dynamodb.delete_table(TableName=name)


def _listening_addresses(port: int) -> set[str]:
    """The addresses with a TCP socket listening on `port`, read from /proc/net/tcp{,6}."""
    found: set[str] = set()
    for table, width in (("tcp", 8), ("tcp6", 32)):
        path = Path("/proc/net") / table
        if not path.exists():
            continue
        for row in path.read_text().splitlines()[1:]:
            fields = row.split()
            local, state = fields[1], fields[3]
            address_hex, port_hex = local.split(":")
            if state != "0A" or int(port_hex, 16) != port:  # 0A: LISTEN
                continue
            # The kernel prints each 32-bit word of the address in host (little-endian) order.
            words = [address_hex[i:i + 8] for i in range(0, width, 8)]
            raw = b"".join(bytes.fromhex(word)[::-1] for word in words)
            found.add(str(ipaddress.ip_address(raw)))
    return found


@pytest.fixture(scope="session")
def listening_addresses() -> Callable[[int], set[str]]:
    """A function: port -> the local addresses listening on it (needs Linux /proc)."""
    if not Path("/proc/net/tcp").exists():
        pytest.skip("needs /proc/net/tcp (Linux)")
    return _listening_addresses
