"""Start the local servers as child processes, wait until they answer, and stop them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parent.parent


class ServerStartError(RuntimeError):
    """A child server died or did not answer in time."""


@dataclass
class ChildServer:
    """A server running as our child, in a process group of its own."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        """The last lines the child wrote (stdout and stderr together)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the child and everything it started; kill it if it does not stop in time."""
        stop_process_group(self.process, timeout=timeout)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:`port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As our servers do: connections of a stopped server lingering in TIME_WAIT must not
        # count as taken, or a second `make run` right after the first would be refused.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def answers_http(url: str, timeout: float = 1.0) -> bool:
    """True when `url` answers HTTP at all (any status)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def start_process(
    name: str,
    command: Sequence[str],
    port: int,
    *,
    env: Mapping[str, str] | None = None,
    inherit_output: bool = False,
    log_path: Path | None = None,
    timeout: float = 30.0,
    probe_path: str = "/",
) -> ChildServer:
    """Run `command` as a child that serves HTTP on `port`; return once it answers."""
    if log_path is None:
        handle, raw_path = tempfile.mkstemp(prefix=f"retour-{name}-", suffix=".log")
        os.close(handle)
        log_path = Path(raw_path)
    with log_path.open("ab") as log_file:
        # A session of its own: a terminal's Ctrl-C reaches us only, so we stop the children
        # in order, and stopping a child's group also stops whatever it forked (chalice's reloader).
        process = subprocess.Popen(
            list(command), cwd=REPO_ROOT, env=dict(os.environ if env is None else env),
            stdin=subprocess.DEVNULL,
            stdout=None if inherit_output else log_file,
            stderr=None if inherit_output else subprocess.STDOUT,
            start_new_session=True,
        )
    server = ChildServer(name=name, port=port, process=process, log_path=log_path)
    try:
        wait_until_answering(server, timeout=timeout, probe_path=probe_path)
    except BaseException:
        server.stop()
        raise
    return server


def start_server(
    module: str, port: int, *, env: Mapping[str, str] | None = None, timeout: float = 30.0
) -> ChildServer:
    """Run `python -m <module> --port <port>` as a child; return once it answers HTTP."""
    name = module.rsplit(".", 1)[-1]
    command = [sys.executable, "-m", module, "--port", str(port)]
    return start_process(name, command, port, env=env, timeout=timeout)


def wait_until_answering(server: ChildServer, *, timeout: float, probe_path: str = "/") -> None:
    """Return once `server` answers HTTP; raise ServerStartError if it dies or takes too long."""
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise ServerStartError(
                f"{server.name} exited with code {server.process.returncode} before answering on "
                f"{server.url}; its last output:\n{server.log_tail()}"
            )
        if answers_http(server.url + probe_path):
            return
        if time.monotonic() > deadline:
            raise ServerStartError(
                f"{server.name} did not answer on {server.url} within {timeout:.0f} s; "
                f"its last output:\n{server.log_tail()}"
            )
        time.sleep(0.1)


def stop_process_group(process: subprocess.Popen[bytes], *, timeout: float = 5.0) -> None:
    """SIGTERM the child's process group, then SIGKILL it after `timeout` seconds."""
    # The child leads its own group (start_new_session), so its group id is its pid.
    if process.poll() is None:
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    # Grandchildren may outlive a leader that exited; the group id still names them.
    _signal_group(process.pid, signal.SIGKILL)
    if process.poll() is None:
        process.wait(timeout=timeout)


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass
