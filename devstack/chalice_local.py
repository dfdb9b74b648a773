"""`chalice local` whose access log names the route, never the address as it was requested.

http.server writes each request line whole, and ours carry secrets: `/merchant/approvals/<token>`,
`/returns/R-...?link=<token>`, `/api/v1/admin/store-credit/<email>`, `?email=` on the admin list.
This server writes the method, the route template (`/merchant/approvals/{token}`), the status and
the duration instead, as the API Gateway access log does (infra/retour.yaml). A path no route
matches keeps only the words our routes use; any other segment is written as `{?}`.

`python -m devstack.chalice_local [chalice local's options]` (devstack/run.py starts it).
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

from chalice.app import Chalice
from chalice.cli import cli, reloader
from chalice.cli.factory import CLIFactory
from chalice.cli.filewatch.stat import StatFileWatcher, StatWorkerProcess
from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalDevServer, RouteMatcher
from chalice.utils import OSUtils

UNKNOWN_SEGMENT = "{?}"
# What the app is made of: a change here reloads it. Anything else in the project (build/ that
# `make package` writes, .venv, tests, docs) must not: chalice's stock watcher polls the whole
# folder, so a package build restarted the app until it gave up and the stack exited.
WATCHED = frozenset({"app.py", "chalicelib", "templates", ".chalice"})


class SourceFiles(OSUtils):  # type: ignore[misc]
    """Chalice's file utilities, walking only the app's own sources (WATCHED) below the project."""

    def walk(self, path: str, followlinks: bool = False) -> Iterator[tuple[str, list[str], list[str]]]:
        top = os.path.abspath(path)
        for root, dirs, files in os.walk(path, followlinks=followlinks):
            if os.path.abspath(root) == top:
                dirs[:] = [d for d in dirs if d in WATCHED]
                files = [f for f in files if f in WATCHED]
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            yield root, dirs, files


class SourceWatchingWorker(StatWorkerProcess):  # type: ignore[misc]
    """Chalice's reloading worker, restarted only by a change to the app's sources."""

    def _start_file_watcher(self, project_dir: str) -> None:
        StatFileWatcher(osutils=SourceFiles()).watch_for_file_changes(project_dir, self._on_file_change)


class RouteLogger:
    """Turns a requested address into what the access log may show: its route template."""

    def __init__(self, routes: list[str]) -> None:
        self._matcher = RouteMatcher(routes)
        self._words = {part for route in routes for part in route.split("/") if not part.startswith("{")}

    def route_of(self, target: str) -> str:
        """The route template `target` (path and query) reaches, or its path with every unknown segment hidden."""
        path = target.split("?", 1)[0].split("#", 1)[0]
        try:
            return str(self._matcher.match_route(path).route)
        except ValueError:
            return "/".join(part if part in self._words else UNKNOWN_SEGMENT for part in path.split("/")) or "/"


class RouteLoggingHandler(ChaliceRequestHandler):
    """Chalice's handler, with one access log line per request: method, route, status, duration."""

    def __init__(self, request: Any, client_address: Any, server: Any, *, app_object: Chalice,
                 config: Config, routes: RouteLogger) -> None:
        # Set before the base class runs: it serves the connection's requests inside __init__.
        self._routes = routes
        self._started = time.perf_counter()
        super().__init__(request, client_address, server, app_object, config)

    def parse_request(self) -> bool:
        self._started = time.perf_counter()
        return bool(super().parse_request())

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        status = code.value if isinstance(code, HTTPStatus) else code
        method = getattr(self, "command", None) or "-"
        # A request line that did not parse has no path we could trust to hide anything in.
        target = getattr(self, "path", None)
        route = self._routes.route_of(target) if method != "-" and target else "-"
        elapsed = (time.perf_counter() - self._started) * 1000
        sys.stderr.write(f"[{self.log_date_time_string()}] {method} {route} {status} {elapsed:.1f} ms\n")

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        # http.server's errors quote the raw request line ("Bad request syntax ('GET /s/<token>')");
        # the status still reaches the log through log_request.
        pass


def create_local_server(self: CLIFactory, app_obj: Chalice, config: Config, host: str, port: int) -> LocalDevServer:
    """Chalice's local server (CLIFactory's method), answering through RouteLoggingHandler."""
    server = _chalice_create_local_server(self, app_obj, config, host, port)
    routes = RouteLogger(list(app_obj.routes))
    server.server.RequestHandlerClass = functools.partial(
        RouteLoggingHandler, app_object=app_obj, config=config, routes=routes)
    return server


_chalice_create_local_server = CLIFactory.create_local_server


def main() -> None:
    """Entry point: `chalice local` with the arguments given, through our handler."""
    CLIFactory.create_local_server = create_local_server  # type: ignore[method-assign]
    reloader.get_best_worker_process = lambda: SourceWatchingWorker
    options = sys.argv[1:]
    # Chalice's reloader restarts its worker with sys.argv: that must be this module again.
    sys.argv = [sys.executable, "-m", "devstack.chalice_local", *options]
    cli.main(args=["local", *options], prog_name="chalice", obj={})


if __name__ == "__main__":
    main()
