"""The expiry job against the warehouse's receipt (and against itself), all at once on one return
whose parcel is late: the return ends expired or received, never both, every actor's answer
agrees with it, the order's line reservations match it, and the shopper hears of an expiry once."""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters.local_ses_outbox import sent_emails
from chalicelib.bootstrap import Deps, get_deps
from chalicelib.domain.errors import RetourError
from chalicelib.services.expire_returns import expire_returns
from chalicelib.services.receive_return import receive_return
from tests.fakes import ShiftedClock
from tests.races.test_cancel_races import ReadTogether, a_return, line_item, race, stage  # noqa: F401 - fixture


def a_month_later() -> Deps:
    """The app's deps as the daily job sees them 31 days on (the default policy allows 30)."""
    return dataclasses.replace(get_deps(), clock=ShiftedClock(timedelta(days=31)))


def actors(rma: str) -> dict[str, Callable[[], str]]:
    later = a_month_later()
    return {
        "job": lambda: "expired" if rma in expire_returns(later) else "left",
        # The late parcel is scanned the same morning.
        "receive": lambda: receive_return(later, rma, received_by="warehouse").status,
    }


def expiry_emails(aws_endpoint: str, number: str, rma: str) -> int:
    return sum(1 for e in sent_emails(aws_endpoint)
               if e.to == f"{number.lower()}@example.com" and e.subject == f"Your return {rma} has expired")


def assert_one_outcome(rma: str, number: str, local_table: Any, aws_endpoint: str,
                       answers: dict[str, list[str]]) -> str:
    final = get_deps().returns.get(rma)
    assert final is not None
    kinds = Counter(event.kind for event in final.events)
    assert kinds["expired"] + kinds["received"] == 1, kinds
    units = line_item(local_table, number)
    if final.status == "expired":
        # Back on the shelf, and the parcel refused saying why.
        assert units == {"reserved": 0, "returned": 0}, units
        assert answers["job"].count("expired") == 1, answers["job"]
        assert set(answers["receive"]) <= {"return_expired", "stale_write"}, answers["receive"]
        assert expiry_emails(aws_endpoint, number, rma) == 1
    else:
        assert final.status == "received", final.status
        assert units == {"reserved": 2, "returned": 2}, units
        assert set(answers["job"]) == {"left"}, answers["job"]
        assert "received" in answers["receive"]
        assert set(answers["receive"]) <= {"received", "stale_write"}, answers["receive"]
        assert expiry_emails(aws_endpoint, number, rma) == 0
    return final.status


def test_the_job_runs_and_receipts_at_once_on_a_late_return_end_in_one_outcome(
    client: Client, local_table: Any, aws_endpoint: str,
) -> None:
    number = "RX8001"
    rma = a_return(client, number, pending=False)
    answers, crashed = race(actors(rma))
    assert not crashed, crashed[:3]
    assert_one_outcome(rma, number, local_table, aws_endpoint, answers)


class WritesInOrder(ReadTogether):
    """ReadTogether, and the thread named `first` writes first: the other's write waits for it."""

    def __init__(self, inner: Any, rma: str, *, first: str) -> None:
        super().__init__(inner, rma, parties=2)
        self._first = first
        self._written = threading.Event()

    def save(self, request: Any, **options: Any) -> Any:
        mine = threading.current_thread().name == self._first
        if not mine:
            self._written.wait(timeout=10)
        try:
            return self._inner.save(request, **options)
        finally:
            if mine:
                self._written.set()


@pytest.mark.parametrize(("rivals", "first"), [
    (("job", "receive"), "job"), (("job", "receive"), "receive"), (("job", "job"), "job#0"),
])
def test_a_job_and_a_rival_that_read_the_same_version_get_one_outcome_and_the_loser_reads_again(
    client: Client, local_table: Any, aws_endpoint: str, rivals: tuple[str, str], first: str,
) -> None:
    number = f"RX81{rivals[1][0].upper()}{first[0].upper()}"
    rma = a_return(client, number, pending=False)
    deps = get_deps()
    real = deps._returns
    # Both read the approved return before either writes: one conditional write must lose.
    deps._returns = WritesInOrder(real, rma, first=first)
    everyone = actors(rma)
    answers: dict[str, list[str]] = {"job": [], "receive": []}
    crashed: list[BaseException] = []

    def run(name: str) -> None:
        try:
            answers[name].append(everyone[name]())
        except RetourError as error:
            answers[name].append(error.code)
        except BaseException as error:  # noqa: BLE001 - anything else is the bug we look for
            crashed.append(error)

    try:
        threads = [threading.Thread(target=run, args=(name,), name=f"{name}#{i}" if rivals[0] == rivals[1] else name)
                   for i, name in enumerate(rivals)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        deps._returns = real
    assert not crashed, crashed
    outcome = assert_one_outcome(rma, number, local_table, aws_endpoint, answers)
    if rivals == ("job", "job"):
        # Two runs at once (EventBridge may deliver a schedule twice): one expiry, one email.
        assert outcome == "expired" and sorted(answers["job"]) == ["expired", "left"]
    else:
        # Whoever wrote first decided; the loser read again and said so.
        assert outcome == ("expired" if first == "job" else "received")
