"""The local Stripe: localstripe's aiohttp app on loopback, starting empty and kept in memory."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket

from aiohttp import web
from localstripe.resources import store
from localstripe.server import app

from devstack.stripe_promotion_codes import add_promotion_codes

HOST = "127.0.0.1"


def _keep_in_memory() -> None:
    """Stop localstripe from pickling its store to one fixed path in /tmp."""
    # Every instance (tests, make run) would share /tmp/localstripe.pickle and load each
    # other's objects; the store calls self.dump_to_disk(), so an instance attribute wins.
    store.dump_to_disk = lambda: None
    store.clear()


async def serve(port: int) -> None:
    """Serve the app on 127.0.0.1:`port` until SIGTERM or SIGINT."""
    # localstripe's own CLI binds '::' (every interface); we bind the socket ourselves.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    # localstripe has Coupons but no promotion codes: Checkout store credit needs them.
    add_promotion_codes(app)
    # A client idling on a keep-alive connection must not hold up the stop for a minute.
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.SockSite(runner, sock)
    await site.start()
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    print(f"stripe_server ready on http://{HOST}:{sock.getsockname()[1]}", flush=True)
    try:
        await stopped.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    """Parse the port and serve."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("RETOUR_STRIPE_PORT", 8420)))
    args = parser.parse_args(argv)
    _keep_in_memory()
    asyncio.run(serve(args.port))


if __name__ == "__main__":
    main()
