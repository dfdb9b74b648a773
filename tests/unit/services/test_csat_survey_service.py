"""The CSAT survey with fakes: which resolved returns are surveyed and when, once however often
the job runs or overlaps, what a failed send leaves, and the answer recorded once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from chalicelib.adapters.dynamodb_csat import InMemoryCsatStore
from chalicelib.adapters.in_memory_return_reports import InMemoryReturnReports
from chalicelib.adapters.in_memory_returns import InMemoryReturnRepository
from chalicelib.adapters.signed_tokens import SignedTokens
from chalicelib.domain.csat import AlreadyAnsweredError, SurveyNotSentError
from chalicelib.domain.errors import AuthenticationError, NotFoundError, ValidationError
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ReturnRequest, rma_from_bits
from chalicelib.services.csat_surveys import answer_survey, open_survey_link, send_due_surveys
from tests.builders import a_line, an_order
from tests.fakes import FixedClock

RESOLVED_AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@dataclass
class Mail:
    surveys: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    down: bool = False

    def csat_survey(self, request: ReturnRequest, *, rating_urls: tuple[str, ...]) -> None:
        if self.down:
            raise SurveyNotSentError("SES is unreachable")
        self.surveys.append((request.rma, rating_urls))


@dataclass
class Deps:
    returns: InMemoryReturnRepository = field(default_factory=InMemoryReturnRepository)
    csat_surveys: InMemoryCsatStore = field(default_factory=InMemoryCsatStore)
    shopper_notifier: Mail = field(default_factory=Mail)
    clock: FixedClock = field(default_factory=lambda: FixedClock(RESOLVED_AT))
    tokens: SignedTokens = field(default_factory=lambda: SignedTokens(lambda: "unit-test-key"))
    public_base_url: str = "https://returns.example"

    @property
    def return_reports(self) -> InMemoryReturnReports:
        return InMemoryReturnReports(self.returns)

    def at(self, hours_after_resolution: float) -> Deps:
        self.clock.at = RESOLVED_AT + timedelta(hours=hours_after_resolution)
        return self


def stored(deps: Deps, bits: int, end: str, *, reasons: tuple[str, ...] = ("too_small",),
           at: datetime = RESOLVED_AT) -> ReturnRequest:
    """A return of one unit per reason, moved to `end` at `at`."""
    order = an_order(number=f"90{bits:02d}", lines=[a_line(id=f"L{i}") for i in range(len(reasons))])
    selections = tuple(Selection(f"L{i}", 1, reason, "note") for i, reason in enumerate(reasons))
    request = ReturnRequest.request(
        rma=rma_from_bits(bits), order=order, selections=selections,
        quote=quote(order, selections, DEFAULT_POLICY, resolution="store_credit" if end == "credited" else "refund"),
        needs_approval=end == "rejected", at=at - timedelta(days=5),
    )
    request = deps.returns.create(request, line_quantities={f"L{i}": 2 for i in range(len(reasons))},
                                  now=request.created_at)
    moves = {
        "refunded": lambda r: r.receive(at=at - timedelta(hours=1), actor="dock").start_refund(
            r.quote.refund_value, at=at - timedelta(minutes=1), actor="system").mark_refunded("re_1", at=at, actor="system"),
        "credited": lambda r: r.receive(at=at - timedelta(hours=1), actor="dock").credit(at=at, actor="system"),
        "rejected": lambda r: r.reject(at=at, actor="merchant"),
        "cancelled": lambda r: r.cancel(at=at),
        "expired": lambda r: r.expire(at=at, actor="system:expiry"),
        "received": lambda r: r.receive(at=at, actor="dock"),
    }
    moved = moves[end](request)
    return deps.returns.save(moved, new_events=len(moved.events) - len(request.events), now=at)


@pytest.fixture
def deps() -> Deps:
    return Deps()


def test_a_survey_goes_a_day_after_the_money_went_back_not_before(deps: Deps) -> None:
    refunded = stored(deps, 1, "refunded", reasons=("damaged", "too_small"))
    credited = stored(deps, 2, "credited")
    assert send_due_surveys(deps.at(23)).sent == []
    assert send_due_surveys(deps.at(23.99)).sent == []
    assert sorted(send_due_surveys(deps.at(24.5)).sent) == sorted([refunded.rma, credited.rma])
    survey = deps.csat_surveys.survey_of(refunded.rma)
    assert survey is not None
    assert (survey.reasons, survey.locale, survey.sent_at) == (("damaged", "too_small"), "ja", deps.clock.at)


def test_declined_returns_are_surveyed_too_but_not_cancelled_expired_or_unfinished_ones(deps: Deps) -> None:
    rejected = stored(deps, 1, "rejected")
    for bits, end in enumerate(("cancelled", "expired", "received"), start=2):
        stored(deps, bits, end)
    assert send_due_surveys(deps.at(25)).sent == [rejected.rma]


def test_a_survey_is_sent_once_however_often_the_job_runs(deps: Deps) -> None:
    refunded = stored(deps, 1, "refunded")
    assert send_due_surveys(deps.at(24.2)).sent == [refunded.rma]
    for hours in (24.2, 25.2, 26.2, 35.9):
        assert send_due_surveys(deps.at(hours)).sent == []
    assert [rma for rma, _ in deps.shopper_notifier.surveys] == [refunded.rma]


def test_of_overlapping_runs_only_one_sends(deps: Deps) -> None:
    refunded = stored(deps, 1, "refunded")
    deps.at(24.5)
    with ThreadPoolExecutor(max_workers=6) as pool:
        runs = list(pool.map(lambda _: send_due_surveys(deps), range(6)))
    assert sum(len(run.sent) for run in runs) == 1
    assert [rma for rma, _ in deps.shopper_notifier.surveys] == [refunded.rma]


def test_a_survey_the_mail_service_refused_is_tried_again_by_the_next_run(deps: Deps) -> None:
    refunded = stored(deps, 1, "refunded")
    deps.shopper_notifier.down = True
    run = send_due_surveys(deps.at(24.2))
    assert (run.sent, run.failed) == ([], [refunded.rma])
    assert deps.csat_surveys.survey_of(refunded.rma) is None  # not counted as sent
    deps.shopper_notifier.down = False
    assert send_due_surveys(deps.at(25.2)).sent == [refunded.rma]


def test_a_return_resolved_longer_ago_than_the_catch_up_is_left_alone(deps: Deps) -> None:
    stored(deps, 1, "refunded")
    assert send_due_surveys(deps.at(24 + 12.5)).sent == []


def test_the_five_links_rate_1_to_5_and_open_the_survey_for_14_days(deps: Deps) -> None:
    refunded = stored(deps, 1, "refunded")
    send_due_surveys(deps.at(24.5))
    [(_, urls)] = deps.shopper_notifier.surveys
    assert [parse_qs(urlparse(url).query)["rating"] for url in urls] == [["1"], ["2"], ["3"], ["4"], ["5"]]
    assert all(url.startswith("https://returns.example/feedback/") for url in urls)
    token = urlparse(urls[0]).path.rsplit("/", 1)[1]
    assert open_survey_link(deps.at(24.5 + 14 * 24 - 0.1), token).rma == refunded.rma
    with pytest.raises(AuthenticationError) as expired:
        open_survey_link(deps.at(24.5 + 14 * 24 + 0.1), token)
    assert expired.value.code == "token_expired"
    # A status link's token, or another signer's, opens no survey.
    with pytest.raises(AuthenticationError):
        open_survey_link(deps.at(25), deps.tokens.issue(refunded.rma, purpose="status_link", now=RESOLVED_AT,
                                                        ttl=timedelta(days=60)))


def test_an_answer_is_recorded_once_with_the_survey_s_reasons(deps: Deps) -> None:
    refunded = stored(deps, 1, "refunded", reasons=("damaged",))
    send_due_surveys(deps.at(24.5))
    token = urlparse(deps.shopper_notifier.surveys[0][1][0]).path.rsplit("/", 1)[1]
    with pytest.raises(ValidationError):
        answer_survey(deps.at(30), token, rating="6", comment="")
    assert deps.csat_surveys.answer_of(refunded.rma) is None
    answer = answer_survey(deps.at(30), token, rating="2", comment=" Box crushed ")
    assert (answer.rating, answer.comment, answer.reasons, answer.locale) == (2, "Box crushed", ("damaged",), "ja")
    with pytest.raises(AlreadyAnsweredError):
        answer_survey(deps.at(31), token, rating="5", comment="")
    stored_answer = deps.csat_surveys.answer_of(refunded.rma)
    assert stored_answer is not None and stored_answer.rating == 2


def test_a_genuine_token_for_a_return_never_surveyed_opens_nothing(deps: Deps) -> None:
    token = deps.tokens.issue("R-0000-0001", purpose="csat_survey", now=RESOLVED_AT, ttl=timedelta(days=14))
    with pytest.raises(NotFoundError):
        answer_survey(deps, token, rating="5", comment="")
