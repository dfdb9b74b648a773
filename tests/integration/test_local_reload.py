"""The local app reloads when its sources change, and only then: `make package` beside `make run`
writes build/, which must not restart (and in the end stop) the app."""

from __future__ import annotations

import os
import sys
import time
import uuid
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.processes import HOST, REPO_ROOT, ChildServer, free_port, start_process


@pytest.fixture
def reloading_app(aws_endpoint: str, stripe_endpoint: str, tmp_path: Path) -> Iterator[ChildServer]:
    port = free_port()
    env = {**os.environ, "RETOUR_AWS_ENDPOINT_URL": aws_endpoint, "RETOUR_STRIPE_API_BASE": stripe_endpoint}
    command = [sys.executable, "-m", "devstack.chalice_local", "--stage", "local", "--host", HOST,
               "--port", str(port)]
    server = start_process("chalice_local", command, port, env=env, timeout=60.0, log_path=tmp_path / "chalice.log")
    yield server
    server.stop()


def worker(server: ChildServer) -> int | None:
    """The pid of the reloader's serving child (a reload replaces it), None between two."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return int(children[0]) if children else None


def answers(server: ChildServer) -> bool:
    try:
        with urllib.request.urlopen(server.url + "/", timeout=10) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def settled_worker(server: ChildServer, *, seconds: float = 30.0) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pid = worker(server)
        if pid is not None and answers(server):
            return pid
        time.sleep(0.2)
    raise AssertionError("the local app did not come back")


def test_a_package_build_beside_the_running_app_does_not_restart_it(reloading_app: ChildServer) -> None:
    before = settled_worker(reloading_app)
    build = REPO_ROOT / "build" / f"reload-probe-{uuid.uuid4().hex[:8]}"
    build.mkdir(parents=True)
    try:
        (build / "deployment.zip").write_bytes(b"PK\x05\x06" + bytes(18))
        (build / "sam.yaml").write_text("Resources: {}\n")
        time.sleep(3)  # the watcher polls every second
        assert reloading_app.process.poll() is None and answers(reloading_app)
        assert worker(reloading_app) == before, "writing build/ restarted the app"
    finally:
        for path in build.iterdir():
            path.unlink()
        build.rmdir()


def test_a_change_to_the_apps_sources_reloads_it(reloading_app: ChildServer) -> None:
    before = settled_worker(reloading_app)
    source = REPO_ROOT / "chalicelib" / "__init__.py"
    stat = source.stat()
    os.utime(source, (stat.st_atime, time.time() + 1))
    try:
        deadline = time.monotonic() + 30
        while worker(reloading_app) in (before, None) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert settled_worker(reloading_app) != before
    finally:
        os.utime(source, (stat.st_atime, stat.st_mtime))
