"""The shopper's cancel against the merchant's approval and the warehouse's receipt, all at once on
one return: the return ends in exactly one outcome, every actor's answer agrees with it, and the
order's line reservations match it (units back on the shelf, or counted as returned)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.domain.errors import RetourError
from chalicelib.domain.quote import Selection
from chalicelib.services.cancel_return import cancel_return
from chalicelib.services.decide_return import DecidedBy, Decision, decide_return
from chalicelib.services.receive_return import receive_return
from chalicelib.services.request_return import request_return
from devstack.sqs import ensure_refund_queues
from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN, LOCAL_TABLE, put_policy

PER_ACTOR = 8


@pytest.fixture(scope="module", autouse=True)
def stage(client: Client, aws_endpoint: str) -> None:
    """The default policy (refund on receipt) and the refund queue a receipt writes to."""
    put_policy(client)
    sqs = boto3.client("sqs", endpoint_url=aws_endpoint, region_name="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local")
    ensure_refund_queues(sqs, "retour-local-refunds")


def a_return(client: Client, number: str, *, pending: bool) -> str:
    """Both tees of a fresh order; past the window (the merchant decides) when `pending`."""
    delivered = 45 if pending else 3
    document = an_order_document(number=number, email=f"{number.lower()}@example.com", locale="en",
                                 currency="USD", placed_at=days_ago(delivered + 1), delivered_at=days_ago(delivered))
    assert client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(document)).status_code == 201
    created = request_return(get_deps(), order_number=number, resolution="refund",
                             selections=[Selection("L1", 2, "too_small")])
    assert created.status == ("pending_approval" if pending else "approved")
    return created.rma


def line_item(local_table: Any, number: str) -> dict[str, int]:
    item = local_table.get_item(TableName=LOCAL_TABLE, ConsistentRead=True,
                                Key={"pk": {"S": f"ORDER#{number}"}, "sk": {"S": "LINE#L1"}})["Item"]
    return {"reserved": int(item["reserved"]["N"]), "returned": int(item.get("returned", {"N": "0"})["N"])}


def race(actors: dict[str, Callable[[], str]]) -> tuple[dict[str, list[str]], list[BaseException]]:
    """Run every actor PER_ACTOR times at once; each answer is the status it saw or its error code."""
    answers: dict[str, list[str]] = {name: [] for name in actors}
    crashed: list[BaseException] = []
    start = threading.Barrier(PER_ACTOR * len(actors), timeout=30)

    def run(name: str, act: Callable[[], str]) -> None:
        start.wait()
        try:
            answers[name].append(act())
        except RetourError as error:
            answers[name].append(error.code)
        except BaseException as error:  # noqa: BLE001 - anything else is the bug we look for
            crashed.append(error)

    threads = [threading.Thread(target=run, args=(name, act)) for name, act in actors.items() for _ in range(PER_ACTOR)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return answers, crashed


def actors(rma: str, number: str) -> dict[str, Callable[[], str]]:
    deps = get_deps()
    return {
        "cancel": lambda: cancel_return(deps, rma, order_number=number).status,
        "approve": lambda: decide_return(deps, rma, Decision("approve"), by=DecidedBy("merchant:race@example.com")).status,
        "receive": lambda: receive_return(deps, rma, received_by="warehouse").status,
    }


def assert_one_outcome(rma: str, number: str, local_table: Any, answers: dict[str, list[str]]) -> str:
    final = get_deps().returns.get(rma)
    assert final is not None
    kinds = Counter(event.kind for event in final.events)
    # Cancelled or received, never both, each at most once.
    assert kinds["cancelled"] + kinds["received"] == 1, kinds
    assert kinds["approved"] <= 1 and kinds["rejected"] == 0, kinds
    assert final.status in ("cancelled", "received"), final.status
    units = line_item(local_table, number)
    if final.status == "cancelled":
        # Back on the shelf: the order's line holds none of these units any more.
        assert units == {"reserved": 0, "returned": 0}, units
        assert set(answers["cancel"]) == {"cancelled"}, answers["cancel"]
        # Before an approval the parcel can't be received; after the cancel it was cancelled.
        assert set(answers["receive"]) <= {"return_cancelled", "invalid_transition", "stale_write"}, answers["receive"]
    else:
        assert units == {"reserved": 2, "returned": 2}, units
        assert set(answers["receive"]) <= {"received", "invalid_transition", "stale_write"}, answers["receive"]
        assert "received" in answers["receive"]
        assert set(answers["cancel"]) <= {"not_cancellable", "stale_write"}, answers["cancel"]
        assert "cancelled" not in answers["cancel"]
    return final.status


def test_cancel_approve_and_receive_at_once_on_a_pending_return_end_in_one_outcome(
    client: Client, local_table: Any,
) -> None:
    number = "RC7001"
    rma = a_return(client, number, pending=True)
    answers, crashed = race(actors(rma, number))
    assert not crashed, crashed[:3]
    assert sum(len(a) for a in answers.values()) == 3 * PER_ACTOR
    assert_one_outcome(rma, number, local_table, answers)
    # The merchant's answers: one approval at most, the others see it decided (or cancelled).
    assert answers["approve"].count("approved") <= 1
    assert set(answers["approve"]) <= {"approved", "already_decided", "return_cancelled"}, answers["approve"]


def test_cancel_and_receive_at_once_on_an_approved_return_end_in_one_outcome(
    client: Client, local_table: Any,
) -> None:
    number = "RC7002"
    rma = a_return(client, number, pending=False)
    deps = get_deps()
    answers, crashed = race({name: act for name, act in actors(rma, number).items() if name != "approve"})
    assert not crashed, crashed[:3]
    assert_one_outcome(rma, number, local_table, {**answers, "approve": []})
    assert deps.returns.get(rma) is not None


class ReadTogether:
    """The return repository, but the first `parties` reads of one RMA wait for each other: every
    actor sees the same version before anyone writes, so all but one must lose a conditional write."""

    def __init__(self, inner: Any, rma: str, parties: int) -> None:
        self._inner, self._rma, self._parties = inner, rma, parties
        self._barrier = threading.Barrier(parties, timeout=10)
        self._reads = 0
        self._lock = threading.Lock()

    def get(self, rma: str, **options: Any) -> Any:
        found = self._inner.get(rma, **options)
        with self._lock:
            self._reads += 1
            wait = rma == self._rma and self._reads <= self._parties
        if wait:
            self._barrier.wait()
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.mark.parametrize("rivals", [("cancel", "approve"), ("cancel", "receive"), ("cancel", "cancel")])
def test_actors_that_read_the_same_version_get_one_outcome_and_the_loser_reads_again(
    client: Client, local_table: Any, rivals: tuple[str, str],
) -> None:
    number = f"RC71{len(rivals[1])}{rivals[1][0].upper()}"
    rma = a_return(client, number, pending=rivals[1] == "approve")
    deps = get_deps()
    real = deps._returns
    deps._returns = ReadTogether(real, rma, parties=2)
    everyone = actors(rma, number)
    answers: dict[str, list[str]] = {"cancel": [], "approve": [], "receive": []}
    crashed: list[BaseException] = []

    def run(name: str) -> None:
        try:
            answers[name].append(everyone[name]())
        except RetourError as error:
            answers[name].append(error.code)
        except BaseException as error:  # noqa: BLE001
            crashed.append(error)

    try:
        threads = [threading.Thread(target=run, args=(name,)) for name in rivals]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        deps._returns = real
    assert not crashed, crashed
    outcome = assert_one_outcome(rma, number, local_table, answers)
    if rivals[1] == "approve":
        # Whoever wrote first, the shopper's wish stands: an approval that won is cancelled after it.
        assert outcome == "cancelled"
        assert answers["approve"] in (["approved"], ["already_decided"], ["return_cancelled"])
    if rivals[1] == "cancel":
        assert answers["cancel"] == ["cancelled", "cancelled"]
        assert [e.kind for e in get_deps().returns.get(rma).events].count("cancelled") == 1  # type: ignore[union-attr]
