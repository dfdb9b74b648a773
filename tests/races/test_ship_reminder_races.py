"""Two runs of the send-by reminder job at once (EventBridge may deliver a schedule twice, or a
slow run overlaps the next): both read the same approved return before either writes, and the
shopper still gets one reminder, with one timeline entry."""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from datetime import timedelta
from typing import Any

from chalice.test import Client

from chalicelib.adapters.local_ses_outbox import sent_emails
from chalicelib.bootstrap import get_deps
from chalicelib.services.ship_reminders import send_ship_reminders
from tests.fakes import ShiftedClock
from tests.races.test_cancel_races import ReadTogether, a_return, stage  # noqa: F401 - fixture


def test_two_runs_that_read_the_same_version_send_one_reminder(client: Client, aws_endpoint: str) -> None:
    number = "RX9001"
    rma = a_return(client, number, pending=False)  # the default policy: 30 days to send, 3 days' notice
    deps = get_deps()
    real = deps._returns
    deps._returns = ReadTogether(real, rma, parties=2)
    later = dataclasses.replace(deps, clock=ShiftedClock(timedelta(days=27, hours=12)))
    sent: list[list[str]] = []
    crashed: list[BaseException] = []

    def run() -> None:
        try:
            sent.append(send_ship_reminders(later).sent)
        except BaseException as error:  # noqa: BLE001 - anything is the bug we look for
            crashed.append(error)

    try:
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        deps._returns = real
    assert not crashed, crashed
    assert sorted(rma in run for run in sent) == [False, True], sent
    emails: list[Any] = [e for e in sent_emails(aws_endpoint)
                         if e.to == f"{number.lower()}@example.com" and e.subject.startswith(f"Please send your return {rma} by ")]
    assert len(emails) == 1
    final = get_deps().returns.get(rma)
    assert final is not None and final.status == "approved"
    assert Counter(event.kind for event in final.events)["ship_reminder_sent"] == 1
