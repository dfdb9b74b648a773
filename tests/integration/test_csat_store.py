"""CSAT surveys and answers (ports.CsatSurveyStore), held by the in-memory fake and by DynamoDB
alike: one of each per return, and a period's surveys and answers listed to the second of its
bounds across months."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.dynamodb_csat import DynamoDBCsatStore, InMemoryCsatStore, months_between
from chalicelib.domain.csat import CsatAnswer, CsatSurvey

OCTOBER = datetime(2026, 10, 1, tzinfo=UTC)
NOVEMBER = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(params=["in_memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Any:
    if request.param == "in_memory":
        return InMemoryCsatStore()
    return DynamoDBCsatStore(request.getfixturevalue("dynamodb_client"), request.getfixturevalue("fresh_table"))


def a_survey(rma: str, at: datetime, *reasons: str) -> CsatSurvey:
    return CsatSurvey(rma=rma, sent_at=at, reasons=reasons or ("too_small",), locale="ja")


def an_answer(rma: str, at: datetime, rating: int = 5, comment: str = "") -> CsatAnswer:
    return CsatAnswer(rma=rma, rating=rating, comment=comment, reasons=("too_small", "damaged"),
                      answered_at=at, locale="ko")


def test_a_period_lists_its_surveys_and_answers_from_its_first_second_to_before_its_end(store: Any) -> None:
    # Just before October, its first second, mid-month, its last second, November's first second.
    moments = [OCTOBER - timedelta(seconds=1), OCTOBER, OCTOBER + timedelta(days=14, hours=3),
               NOVEMBER - timedelta(seconds=1), NOVEMBER]
    for i, at in enumerate(moments):
        assert store.claim_survey(a_survey(f"R-000{i}-AAAA", at))
        assert store.record_answer(an_answer(f"R-000{i}-AAAA", at, rating=i + 1))
    surveys = store.surveys_sent_between(OCTOBER, NOVEMBER)
    assert sorted(s.rma for s in surveys) == ["R-0001-AAAA", "R-0002-AAAA", "R-0003-AAAA"]
    answers = store.answers_between(OCTOBER, NOVEMBER)
    assert sorted((a.rma, a.rating) for a in answers) == [("R-0001-AAAA", 2), ("R-0002-AAAA", 3), ("R-0003-AAAA", 4)]
    # Values come back as they went in (reasons, locale, time to the second).
    [mid] = [a for a in answers if a.rma == "R-0002-AAAA"]
    assert mid == an_answer("R-0002-AAAA", OCTOBER + timedelta(days=14, hours=3), rating=3)
    # A period spanning three months reads each of them; an empty or reversed one reads nothing.
    assert len(store.answers_between(OCTOBER - timedelta(days=40), NOVEMBER + timedelta(days=1))) == 5
    assert store.answers_between(NOVEMBER, OCTOBER) == []


def test_each_return_has_one_survey_and_one_answer_and_the_first_stays(store: Any) -> None:
    first = a_survey("R-AAAA-0001", OCTOBER, "damaged")
    assert store.claim_survey(first) is True
    assert store.claim_survey(a_survey("R-AAAA-0001", OCTOBER + timedelta(hours=1))) is False
    assert store.survey_of("R-AAAA-0001") == first
    assert store.surveyed(["R-AAAA-0001", "R-AAAA-0002"]) == {"R-AAAA-0001"}

    assert store.record_answer(an_answer("R-AAAA-0001", OCTOBER, rating=2, comment="slow")) is True
    assert store.record_answer(an_answer("R-AAAA-0001", OCTOBER, rating=5)) is False
    answer = store.answer_of("R-AAAA-0001")
    assert (answer.rating, answer.comment) == (2, "slow")
    assert store.answer_of("R-AAAA-0002") is None


def test_a_released_claim_lets_a_later_run_claim_again_but_not_someone_else_s(store: Any) -> None:
    claim = a_survey("R-AAAA-0003", OCTOBER)
    assert store.claim_survey(claim)
    store.release_survey(claim)
    assert store.survey_of("R-AAAA-0003") is None
    assert store.surveys_sent_between(OCTOBER, NOVEMBER) == []
    later = a_survey("R-AAAA-0003", OCTOBER + timedelta(hours=1))
    assert store.claim_survey(later)
    store.release_survey(claim)  # the old claim's release leaves the new one alone
    assert store.survey_of("R-AAAA-0003") == later


def test_of_many_runs_claiming_one_return_at_once_exactly_one_wins(store: Any) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        won = list(pool.map(lambda i: store.claim_survey(a_survey("R-AAAA-0004", OCTOBER + timedelta(seconds=i))),
                            range(12)))
    assert won.count(True) == 1


def test_the_months_of_a_period() -> None:
    assert list(months_between(datetime(2026, 11, 20, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC))) == [
        "2026-11", "2026-12", "2027-01"]
    assert list(months_between(OCTOBER, NOVEMBER + timedelta(seconds=1))) == ["2026-10", "2026-11"]
    assert list(months_between(NOVEMBER, NOVEMBER)) == []
