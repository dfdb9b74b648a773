"""`make run` over real HTTP: the stack starts, serves the demo store, stops every child, and starts again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chalicelib.settings import Settings
from devstack.cognito import DEMO_STAFF, DEMO_STAFF_PASSWORD, seed_demo_staff
from devstack.demo_orders import demo_orders, order_total
from devstack.payments import pay, stripe_client
from devstack.processes import REPO_ROOT, free_port, port_is_free
from devstack.seed import seed_demo_store
from devstack.tables import ensure_table

pytestmark = pytest.mark.stack

ADMIN_KEY = "local-admin-key"
STARTUP_SECONDS = 120.0
STOP_SECONDS = 30.0


@dataclass
class Reply:
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http(method: str, url: str, body: dict[str, Any] | None = None, *, admin: bool = False) -> Reply:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if admin:
        headers["Authorization"] = f"Bearer {ADMIN_KEY}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return Reply(response.status, response.headers.get("Content-Type", ""), response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.headers.get("Content-Type", ""), error.read())


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces; fields resume after it.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class Stack:
    process: subprocess.Popen[bytes]
    ports: dict[str, int]
    log: Path

    @property
    def app_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['RETOUR_APP_PORT']}"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]


@contextmanager
def make_run(ports: dict[str, int], log: Path) -> Iterator[Stack]:
    """`python -m devstack.run` on `ports`; always stopped (then killed) on the way out."""
    env = {**os.environ, **{name: str(port) for name, port in ports.items()}, "RETOUR_AUTORELOAD": "0"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack.run"], cwd=REPO_ROOT, env=env,
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
        )
    stack = Stack(process, ports, log)
    try:
        yield stack
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for_portal(stack: Stack) -> Reply:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if stack.process.poll() is not None:
            pytest.fail(f"make run exited with {stack.process.returncode}:\n{stack.output()}")
        try:
            reply = http("GET", stack.app_url + "/")
        except OSError:
            time.sleep(0.5)
            continue
        if reply.status == 200:
            return reply
        time.sleep(0.5)
    pytest.fail(f"the portal did not answer 200 within {STARTUP_SECONDS:.0f} s:\n{stack.output()}")


def stop_and_check_nothing_is_left(stack: Stack) -> None:
    children = descendants(stack.process.pid)
    assert len(children) >= 3, f"expected the AWS, Stripe and app children, found {children}"
    stack.process.send_signal(signal.SIGINT)
    assert stack.process.wait(timeout=STOP_SECONDS) == 0, stack.output()
    deadline = time.monotonic() + 10
    while any(is_running(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if is_running(pid)], stack.output()
    assert all(port_is_free(port) for port in stack.ports.values())


def a_new_order(stack: Stack, number: str) -> dict[str, Any]:
    """A demo order under a new number, paid for its total on the stack's Stripe (imports check it)."""
    body = dict(demo_orders(datetime.now(UTC).date())[4])
    intent = pay(f"http://127.0.0.1:{stack.ports['RETOUR_STRIPE_PORT']}", "sk_test_local_fake_key_not_a_secret",
                 amount=order_total(body), currency=body["currency"], description=f"order {number}",
                 metadata={"order_number": number})
    body.update(number=number, payment={"provider": "stripe", "payment_intent": intent})
    return body


def assert_a_policy_change_shows_in_the_next_lookup(stack: Stack) -> None:
    lookup = {"order_number": "1001", "email": "aiko.yamada@example.jp"}
    before = http("POST", stack.app_url + "/api/v1/lookup", lookup)
    assert before.status == 200, before.body
    assert before.json()["order"]["lines"][0]["verdict"]["status"] == "returnable"
    policy = http("GET", stack.app_url + "/api/v1/admin/policy", admin=True).json()
    # Demo order 1001 was delivered days ago: a zero-day window with no grace closes it.
    policy.update(window_days=0, exception_grace_days=0)
    changed = http("PUT", stack.app_url + "/api/v1/admin/policy", policy, admin=True)
    assert changed.status == 200, changed.body
    assert changed.json()["version"] == 1
    after = http("POST", stack.app_url + "/api/v1/lookup", lookup).json()
    assert after["order"]["policy_version"] == 1
    assert after["order"]["lines"][0]["verdict"]["status"] == "not_returnable"
    assert after["order"]["lines"][0]["verdict"]["reason_code"] == "window_closed"


def test_make_run_serves_the_demo_store_stops_everything_and_runs_again(tmp_path: Path) -> None:
    ports = {"RETOUR_APP_PORT": free_port(), "RETOUR_AWS_PORT": free_port(), "RETOUR_STRIPE_PORT": free_port()}
    for attempt in (1, 2):
        with make_run(ports, tmp_path / f"run{attempt}.log") as stack:
            page = wait_for_portal(stack)
            assert page.content_type.startswith("text/html")
            assert b"<html" in page.body.lower()

            seeded = http("GET", stack.app_url + "/api/v1/admin/orders/1001", admin=True)
            assert seeded.status == 200, seeded.body
            order = seeded.json()
            assert (order["number"], order["currency"], order["locale"]) == ("1001", "JPY", "ja")
            assert order["payment"]["payment_intent"].startswith("pi_")

            new = a_new_order(stack, "9001")
            assert http("PUT", stack.app_url + "/api/v1/admin/orders/9001", new, admin=True).status == 201
            assert http("PUT", stack.app_url + "/api/v1/admin/orders/9001", new, admin=True).status == 200
            stored = http("GET", stack.app_url + "/api/v1/admin/orders/9001", admin=True).json()
            assert {key: stored[key] for key in new} == new

            assert_a_policy_change_shows_in_the_next_lookup(stack)

            banner = stack.output()
            assert "local-admin-key" in banner and "aiko.yamada@example.jp" in banner
            assert DEMO_STAFF_PASSWORD in banner and stack.app_url + "/console/sign-in" in banner
            assert all(email in banner for email, _ in DEMO_STAFF)
            stop_and_check_nothing_is_left(stack)


def test_make_run_refuses_a_port_that_is_taken(tmp_path: Path) -> None:
    import socket

    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        ports = {
            "RETOUR_APP_PORT": free_port(), "RETOUR_AWS_PORT": squatter.getsockname()[1],
            "RETOUR_STRIPE_PORT": free_port(),
        }
        with make_run(ports, tmp_path / "run.log") as stack:
            assert stack.process.wait(timeout=STOP_SECONDS) == 1
            assert f"RETOUR_AWS_PORT={ports['RETOUR_AWS_PORT']}" in stack.output()


def test_seeding_twice_pays_once_and_imports_every_demo_order_for_its_total(
    aws_endpoint: str, stripe_endpoint: str, dynamodb: Any, table_name: str
) -> None:
    settings = Settings.from_env({
        "RETOUR_STAGE": "local", "RETOUR_TABLE_NAME": table_name,
        "RETOUR_AWS_ENDPOINT_URL": aws_endpoint, "RETOUR_STRIPE_API_BASE": stripe_endpoint,
        "RETOUR_STRIPE_API_KEY": "sk_test_local_fake_key_not_a_secret",
    })
    first = seed_demo_store(settings)
    second = seed_demo_store(settings)

    assert all(order.created for order in first)
    assert not any(order.created for order in second)
    assert {order.currency for order in first} >= {"USD", "EUR", "JPY", "KRW", "CNY"}
    assert {order.locale for order in first} >= {"en", "ja", "zh-Hans", "ko"}
    stripe = stripe_client(stripe_endpoint, "sk_test_local_fake_key_not_a_secret")
    totals = {body["number"]: order_total(body) for body in demo_orders(datetime.now(UTC).date())}
    from chalicelib.bootstrap import build_deps

    orders = build_deps(settings).orders
    for seeded in first:
        order = orders.get(seeded.number)
        assert order is not None and order.payment.payment_intent is not None
        intent = stripe.v1.payment_intents.retrieve(order.payment.payment_intent)
        assert intent.status == "succeeded"
        assert (intent.amount, intent.currency) == (totals[seeded.number], seeded.currency.lower())
        assert order.total.minor == totals[seeded.number]


def test_seeding_the_staff_twice_keeps_one_pool_and_each_demo_member_signs_in_in_their_role(
    aws_endpoint: str,
) -> None:
    import uuid

    import boto3

    from chalicelib.adapters.cognito_staff import CognitoStaffDirectory

    cognito = boto3.client("cognito-idp", endpoint_url=aws_endpoint, region_name="us-east-1")
    stage = f"e2e{uuid.uuid4().hex[:6]}"
    first, second = seed_demo_staff(cognito, stage), seed_demo_staff(cognito, stage)
    assert first.created and not second.created
    assert (first.pool_id, first.client_id) == (second.pool_id, second.client_id)
    staff = CognitoStaffDirectory(lambda: cognito, pool_id=None, client_id=None, pool_name=f"retour-{stage}-staff")
    assert len(staff.members()) == len(DEMO_STAFF)
    for email, role in DEMO_STAFF:
        step = staff.sign_in(email, DEMO_STAFF_PASSWORD)
        assert (step.outcome, step.role) == ("signed_in", role)
