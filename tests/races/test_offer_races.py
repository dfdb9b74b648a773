"""The shopper's accept and decline of one counter-offer at once (two tabs, a double tap): the
return ends in exactly one answer, every answer agrees with it, and the order's line
reservations match it (kept for an accepted offer, freed for a declined one)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.domain.errors import RetourError
from chalicelib.services.answer_offer import answer_offer
from chalicelib.services.decide_return import DecidedBy, Decision, decide_return
from tests.races.test_cancel_races import PER_ACTOR, ReadTogether, a_return, line_item, race, stage  # noqa: F401


def an_offer(client: Client, number: str) -> str:
    rma = a_return(client, number, pending=True)
    offered = decide_return(get_deps(), rma, Decision("approve_fee", note="Tags cut off", fee_percent=10),
                            by=DecidedBy("merchant:race@example.com"))
    assert offered.status == "offered"
    return rma


def assert_one_answer(rma: str, number: str, local_table: Any, answers: dict[str, list[str]]) -> str:
    final = get_deps().returns.get(rma)
    assert final is not None
    kinds = Counter(str(event.kind) for event in final.events)
    assert kinds["offer_accepted"] + kinds["offer_declined"] == 1, kinds
    units = line_item(local_table, number)
    if final.status == "cancelled":
        assert units == {"reserved": 0, "returned": 0}, units
        assert set(answers["decline"]) == {"cancelled"}, answers["decline"]
        assert set(answers["accept"]) <= {"offer_closed"}, answers["accept"]
    else:
        assert final.status == "approved" and final.offer is None, final.status
        assert units == {"reserved": 2, "returned": 0}, units
        assert set(answers["accept"]) == {"approved"}, answers["accept"]
        assert set(answers["decline"]) <= {"offer_closed"}, answers["decline"]
    return str(final.status)


def test_accept_and_decline_at_once_end_in_one_answer(client: Client, local_table: Any) -> None:
    number = "RO8001"
    rma = an_offer(client, number)
    deps = get_deps()
    answers, crashed = race({
        "accept": lambda: answer_offer(deps, rma, "accept", order_number=number).status,
        "decline": lambda: answer_offer(deps, rma, "decline", order_number=number).status,
    })
    assert not crashed, crashed[:3]
    assert sum(len(a) for a in answers.values()) == 2 * PER_ACTOR
    assert_one_answer(rma, number, local_table, answers)


def test_two_answers_that_read_the_same_version_store_one(client: Client, local_table: Any) -> None:
    number = "RO8101"
    rma = an_offer(client, number)
    deps = get_deps()
    real = deps._returns
    deps._returns = ReadTogether(real, rma, parties=2)
    try:
        answers, crashed = _pair(deps, rma, number)
    finally:
        deps._returns = real
    assert not crashed, crashed
    assert_one_answer(rma, number, local_table, answers)


def _pair(deps: Any, rma: str, number: str) -> tuple[dict[str, list[str]], list[BaseException]]:
    """One accept and one decline, both reading the same version before either writes."""
    answers: dict[str, list[str]] = {"accept": [], "decline": []}
    crashed: list[BaseException] = []

    def run(answer: str) -> None:
        try:
            answers[answer].append(answer_offer(deps, rma, answer, order_number=number).status)
        except RetourError as error:
            answers[answer].append(error.code)
        except BaseException as error:  # noqa: BLE001 - anything else is the bug we look for
            crashed.append(error)

    threads = [threading.Thread(target=run, args=(answer,)) for answer in answers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers, crashed
