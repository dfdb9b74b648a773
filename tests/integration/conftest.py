"""Settings shared by the integration tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # Registered here too so `--strict-markers` accepts it whichever config file pytest reads.
    config.addinivalue_line(
        "markers", "package: builds the Lambda package with chalice (slow, needs the package registry)"
    )
