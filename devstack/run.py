"""`make run`: the local stack on loopback (AWS, Stripe, the app) with a seeded demo store.

Ports come from RETOUR_APP_PORT, RETOUR_AWS_PORT and RETOUR_STRIPE_PORT; RETOUR_AUTORELOAD=0
turns off chalice's reload-on-edit (tests use it so an edit elsewhere cannot restart the app).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

from chalicelib.bootstrap import aws_client
from chalicelib.settings import Settings

from .cognito import DEMO_STAFF, DEMO_STAFF_PASSWORD, seed_demo_staff
from .processes import HOST, REPO_ROOT, ChildServer, ServerStartError, port_is_free, start_process, start_server
from .demo_returns import seed_credited_return, seed_exchanged_return, seed_pending_exception
from .seed import SeededOrder, seed_demo_store
from .ses import ensure_ses_identity
from .s3 import ensure_bucket
from .sqs import ensure_refund_queues, ensure_webhook_queues
from .tables import ensure_table

STAGE = "local"
ADMIN_API_KEY = "local-admin-key"
PORTS = {"RETOUR_APP_PORT": 8000, "RETOUR_AWS_PORT": 4566, "RETOUR_STRIPE_PORT": 8420}
# Loopback servers take any credentials; fixed fakes keep a developer's real ones at home.
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
REAL_AWS_VARIABLES = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")


class StopRequested(Exception):
    """SIGTERM arrived: unwind like Ctrl-C so every child is stopped."""


class PortTakenError(RuntimeError):
    """A port the stack needs is already in use."""


def ports(environ: Mapping[str, str]) -> dict[str, int]:
    """The stack's ports, each from its environment variable or its default."""
    chosen: dict[str, int] = {}
    for variable, default in PORTS.items():
        raw = environ.get(variable, str(default))
        try:
            chosen[variable] = int(raw)
        except ValueError:
            raise SystemExit(f"{variable}={raw!r} is not a port number") from None
    return chosen


def stage_environment() -> dict[str, str]:
    """The local stage's environment variables from .chalice/config.json (global, then stage)."""
    config = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    variables: dict[str, str] = dict(config.get("environment_variables", {}))
    variables.update(config["stages"][STAGE].get("environment_variables", {}))
    return variables


def stack_environment(environ: Mapping[str, str], chosen: Mapping[str, int]) -> dict[str, str]:
    """The environment of this process and its children: the app's stage config plus our endpoints."""
    env = {key: value for key, value in environ.items() if key not in REAL_AWS_VARIABLES}
    # chalice local applies the stage's config over the environment; the seed must see the
    # same table and Stripe key the app will, so it gets the same values.
    env.update(stage_environment())
    env.update(FAKE_AWS)
    env.update({variable: str(port) for variable, port in chosen.items()})
    env.update(
        RETOUR_STAGE=STAGE,
        RETOUR_AWS_ENDPOINT_URL=f"http://{HOST}:{chosen['RETOUR_AWS_PORT']}",
        RETOUR_STRIPE_API_BASE=f"http://{HOST}:{chosen['RETOUR_STRIPE_PORT']}",
    )
    return env


def check_ports_free(chosen: Mapping[str, int]) -> None:
    """Refuse to start when another program (or another `make run`) holds one of our ports."""
    taken = [f"{variable}={port}" for variable, port in chosen.items() if not port_is_free(port)]
    if taken:
        raise PortTakenError(
            f"port already in use on {HOST}: {', '.join(taken)}. Stop whatever listens there "
            "(perhaps another `make run`), or choose other ports with these variables."
        )


def banner(settings: Settings, env: Mapping[str, str], orders: list[SeededOrder], pending: str | None = None) -> str:
    """What a newcomer needs after startup: where things are, the demo orders and staff, the admin key."""
    app_url = f"http://{HOST}:{env['RETOUR_APP_PORT']}"
    width = max(len(order.email) for order in orders)
    rows = "\n".join(
        f"    {order.number}  {order.email:<{width}}  {order.currency}  {order.locale}"
        for order in orders
    )
    staff_width = max(len(email) for email, _ in DEMO_STAFF)
    staff = "\n".join(f"    {email:<{staff_width}}  {role.value}" for email, role in DEMO_STAFF)
    waiting = (f"  Waiting in the console's inbox: return {pending} (order 1003, past its window)\n"
               if pending else "")
    return f"""
================================================================================
 Retour is running (stage {STAGE}, store "{settings.store_name}")

  Returns portal   {app_url}/
  Console          {app_url}/console/sign-in
  Local AWS        {env['RETOUR_AWS_ENDPOINT_URL']}   (DynamoDB, SES, S3, SQS, Cognito; table {settings.table_name})
  Local Stripe     {env['RETOUR_STRIPE_API_BASE']}

  Demo orders (number, email, currency, language), each paid on the local Stripe:
{rows}

  Demo staff (email, role), each with the password {DEMO_STAFF_PASSWORD}
  (a documented fake, local stage only); sign in at {app_url}/console/sign-in:
{staff}
{waiting}
  Admin API key    {ADMIN_API_KEY}   (a documented fake, local stage only)
    curl -H 'Authorization: Bearer {ADMIN_API_KEY}' {app_url}/api/v1/admin/orders/1001

  Ctrl-C stops everything.
================================================================================
""".strip("\n")


def start_refund_worker(env: Mapping[str, str], log_path: Path) -> ChildServer:
    """The worker that drains the refund queue (devstack/refund_worker.py), in its own session."""
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack.refund_worker"], cwd=REPO_ROOT, env=dict(env),
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
    return ChildServer("refund_worker", 0, process, log_path)


def start_webhook_worker(env: Mapping[str, str], log_path: Path) -> ChildServer:
    """The worker that relays the outbox and sends webhooks (devstack/webhook_worker.py)."""
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack.webhook_worker"], cwd=REPO_ROOT, env=dict(env),
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
    return ChildServer("webhook_worker", 0, process, log_path)


def _request_stop(signum: int, frame: FrameType | None) -> None:
    raise StopRequested


def run(environ: Mapping[str, str]) -> int:
    """Start the stack, serve until the app exits or we are asked to stop; stop everything."""
    chosen = ports(environ)
    check_ports_free(chosen)
    env = stack_environment(environ, chosen)
    os.environ.clear()
    os.environ.update(env)
    settings = Settings.from_env(env)
    logs = Path(tempfile.mkdtemp(prefix="retour-devstack-"))
    children: list[ChildServer] = []
    try:
        print(f"Starting the local AWS and Stripe on {HOST} ...", flush=True)
        children.append(start_server("devstack.aws_server", chosen["RETOUR_AWS_PORT"], env=env))
        children.append(start_server("devstack.stripe_server", chosen["RETOUR_STRIPE_PORT"], env=env))
        created = ensure_table(aws_client(settings, "dynamodb"), settings.table_name)
        # Shopper emails leave from this address; the local SES, like SES, needs it verified.
        ensure_ses_identity(aws_client(settings, "ses"), settings.mail_from)
        if settings.label_bucket:
            ensure_bucket(aws_client(settings, "s3"), settings.label_bucket)
        # The refund queue (and its dead-letter queue) that the worker below drains.
        ensure_refund_queues(aws_client(settings, "sqs"), settings.refund_queue_name)
        # The webhook delivery queue (and its dead-letter queue) the webhook worker drains.
        ensure_webhook_queues(aws_client(settings, "sqs"), settings.webhook_queue_name)
        print(f"Table {settings.table_name}: {'created' if created else 'already there'}", flush=True)
        # The staff user pool and its three demo members, found by name by the app (settings.py).
        pool = seed_demo_staff(aws_client(settings, "cognito-idp"), STAGE)
        print(f"Staff pool {settings.staff_pool_name}: {'created' if pool.created else 'already there'}", flush=True)
        orders = seed_demo_store(settings)
        print(f"Demo store: {sum(o.created for o in orders)} orders created, "
              f"{sum(not o.created for o in orders)} already there", flush=True)
        # One exception waiting for the merchant, so the console's inbox has work at once.
        pending = seed_pending_exception(settings)
        # A return paid as store credit, so a shopper's status page shows their credit code.
        seed_credited_return(settings)
        # An exchange whose replacement order is made, for its status and console pages.
        seed_exchanged_return(settings)
        # `chalice local` whose access log writes routes, never tokens or emails (chalice_local.py).
        command = [
            sys.executable, "-m", "devstack.chalice_local", "--stage", STAGE,
            "--host", HOST, "--port", str(chosen["RETOUR_APP_PORT"]),
        ]
        if env.get("RETOUR_AUTORELOAD", "1") == "0":
            command.append("--no-autoreload")
        app = start_process(
            "chalice", command,
            chosen["RETOUR_APP_PORT"], env=env, inherit_output=True, timeout=60.0,
            log_path=logs / "chalice.log",
        )
        children.append(app)
        children.append(start_refund_worker(env, logs / "refund_worker.log"))
        children.append(start_webhook_worker(env, logs / "webhook_worker.log"))
        print(banner(settings, env, orders, pending), flush=True)
        return app.process.wait()
    except (KeyboardInterrupt, StopRequested):
        return 0
    finally:
        # A second Ctrl-C during the stop must not leave servers behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for child in reversed(children):
            child.stop()
        shutil.rmtree(logs, ignore_errors=True)
        print("Local stack stopped.", flush=True)


def main() -> None:
    """Entry point of `python -m devstack.run`."""
    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        code = run(os.environ)
    except (PortTakenError, ServerStartError) as error:
        print(f"make run: {error}", file=sys.stderr, flush=True)
        code = 1
    sys.exit(code)


if __name__ == "__main__":
    main()
