"""What the browser and stack tests share: one `make run` stack per module and one headless
Debian chromium per module (Playwright never downloads a browser)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack.processes import free_port
from tests.e2e.test_make_run import Stack, make_run, wait_for_portal

import playwright.sync_api as playwright_sync  # noqa: E402 - requirements-dev installs it; never skip

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """`make run` on free ports with the demo store (orders, its pending exception, the demo
    staff) seeded, for this module's tests."""
    ports = {"RETOUR_APP_PORT": free_port(), "RETOUR_AWS_PORT": free_port(), "RETOUR_STRIPE_PORT": free_port()}
    with make_run(ports, tmp_path_factory.mktemp("stack") / "run.log") as running:
        wait_for_portal(running)
        yield running


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Debian chromium for the module."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: make test installs it (devstack/debian-packages.sh)")
    with playwright_sync.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
