"""Use cases: the CSAT survey a day after a return resolved, and the shopper's answer to it.

**Sending (hourly job).** A return is due a survey one day after it reached `refunded`,
`credited` (the money went back) or `rejected` (declined). Each run reads those three statuses
on the status index (gsi2 `RETURNS#{status}`, data model pattern 22), for the returns that moved
there between `SURVEY_DELAY + CATCH_UP` and `SURVEY_DELAY` ago: a Query per status over a
half-day range, never a Scan; returns cancelled or expired are never in it. Runs missed for
longer than CATCH_UP leave those returns without a survey (a rating asked weeks late says little).

Exactly once: the survey item (`CSAT#{rma}` / `SURVEY`) is written with a conditional PutItem
*before* the email goes, so of two overlapping runs only the one whose write succeeds sends, and
a later run finds the survey and skips the return (an eventually consistent GetItem of each
candidate first, so a return already surveyed costs half a read unit per run, not a refused write).

If the send fails after the claim, the choice is **at most once**: when the mail service refuses
or cannot be reached (the mailer raises SurveyNotSentError), the claim is removed again (a
DeleteItem conditional on this claim's `sent_at`) so the next hourly run tries once more, while
the return is inside the catch-up range. If the run itself dies between the claim and the send
(a Lambda timeout), the claim stays and that shopper gets no survey: a lost survey costs one
data point, a second one annoys a customer and counts twice in the response rate. Such a claim is
still counted as sent in the response rate's denominator.

**Answering (the page).** Each of the email's five links carries a signed token of its own
purpose (`csat_survey`) naming the RMA, valid 14 days, and a rating. Opening a link records
nothing (mail scanners open links); only the page's POST records the answer, once per return
(a conditional write: a second answer changes nothing).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlencode

from ..domain.csat import (
    RATINGS,
    AlreadyAnsweredError,
    CsatAnswer,
    CsatSurvey,
    clean_comment,
    parse_rating,
    reasons_of,
)
from ..domain.errors import NotFoundError, RetourError
from ..domain.return_request import CREDITED, REFUNDED, REJECTED, ReturnRequest, ReturnStatus
from .ports.access import TokenSigner
from .ports.returns import CsatSurveyStore, ReturnReports
from .ports.system import Clock

log = logging.getLogger("retour.csat")

CSAT_PURPOSE = "csat_survey"
CSAT_LINK_TTL = timedelta(days=14)
# The survey goes a day after the money went back or the return was declined.
SURVEY_DELAY = timedelta(days=1)
# How far back past the delay each run looks: an hourly job missed for up to 11 hours catches up.
CATCH_UP = timedelta(hours=12)
# The statuses that end a return with a resolution worth rating (not cancelled, not expired).
RESOLVED: tuple[ReturnStatus, ...] = (REFUNDED, CREDITED, REJECTED)


class SurveyLinkDeps(Protocol):
    """What making and opening survey links needs."""

    @property
    def tokens(self) -> TokenSigner: ...

    @property
    def public_base_url(self) -> str: ...

    @property
    def csat_surveys(self) -> CsatSurveyStore: ...

    @property
    def clock(self) -> Clock: ...


class SurveyMailer(Protocol):
    """The one shopper email the job sends (ShopperNotifier.csat_survey)."""

    def csat_survey(self, request: ReturnRequest, *, rating_urls: tuple[str, ...]) -> None: ...


class SendSurveysDeps(SurveyLinkDeps, Protocol):
    """What the survey job needs."""

    @property
    def return_reports(self) -> ReturnReports: ...

    @property
    def shopper_notifier(self) -> SurveyMailer: ...


def survey_token(tokens: TokenSigner, rma: str, *, now: datetime) -> str:
    """The token of one return's survey links, valid CSAT_LINK_TTL."""
    return tokens.issue(rma, purpose=CSAT_PURPOSE, now=now, ttl=CSAT_LINK_TTL)


def survey_path(token: str) -> str:
    """The survey page's path for a token (the token in the path, so the language switch keeps it)."""
    return f"/feedback/{token}"


def rating_urls(deps: SurveyLinkDeps, rma: str, *, now: datetime) -> tuple[str, ...]:
    """The email's five links, rating 1 to 5, to the page with that rating chosen."""
    base = f"{deps.public_base_url.rstrip('/')}{survey_path(survey_token(deps.tokens, rma, now=now))}"
    return tuple(f"{base}?{urlencode({'rating': rating})}" for rating in RATINGS)


def open_survey_link(deps: SurveyLinkDeps, token: str) -> CsatSurvey:
    """The survey a genuine, unexpired link is about.

    AuthenticationError `token_expired` past 14 days, `invalid_token` for anything else;
    NotFoundError when no survey was sent about the return (a link nobody was emailed).
    """
    rma = deps.tokens.verify(token, purpose=CSAT_PURPOSE, now=deps.clock.now())
    survey = deps.csat_surveys.survey_of(rma)
    if survey is None:
        raise NotFoundError("no survey was sent about this return", code="csat_survey_not_found")
    return survey


def answer_survey(deps: SurveyLinkDeps, token: str, *, rating: str | None, comment: str | None) -> CsatAnswer:
    """Record the shopper's answer once.

    ValidationError for a rating outside 1-5 or a comment too long; AlreadyAnsweredError when the
    return was answered already (nothing changes); the link's errors as in `open_survey_link`.
    """
    survey = open_survey_link(deps, token)
    answer = CsatAnswer(
        rma=survey.rma, rating=parse_rating(rating), comment=clean_comment(comment),
        reasons=survey.reasons, answered_at=deps.clock.now(), locale=survey.locale,
    )
    if not deps.csat_surveys.record_answer(answer):
        raise AlreadyAnsweredError(survey.rma)
    return answer


@dataclass
class SurveysSent:
    """What a run did: RMAs surveyed, and RMAs whose email failed (to be tried on a later run)."""

    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def send_due_surveys(deps: SendSurveysDeps) -> SurveysSent:
    """One run of the hourly survey job at `deps.clock.now()`."""
    now = deps.clock.now()
    until = now - SURVEY_DELAY
    since = until - CATCH_UP
    run = SurveysSent()
    for status in RESOLVED:
        due = list(deps.return_reports.reached_between(status, since=since, until=until))
        done = deps.csat_surveys.surveyed([r.rma for r in due])
        for request in due:
            if request.rma in done:
                continue
            _send_one(deps, request, now=now, run=run)
    return run


def _send_one(deps: SendSurveysDeps, request: ReturnRequest, *, now: datetime, run: SurveysSent) -> None:
    survey = CsatSurvey(rma=request.rma, sent_at=now, reasons=reasons_of(line.reason for line in request.lines),
                        locale=request.locale)
    if not deps.csat_surveys.claim_survey(survey):
        return  # another run has it
    try:
        deps.shopper_notifier.csat_survey(request, rating_urls=rating_urls(deps, request.rma, now=now))
    except (RetourError, RuntimeError):
        log.exception("could not email the survey of return %s; a later run tries again", request.rma)
        deps.csat_surveys.release_survey(survey)
        run.failed.append(request.rma)
        return
    run.sent.append(request.rma)


__all__ = [
    "CATCH_UP", "CSAT_LINK_TTL", "CSAT_PURPOSE", "SURVEY_DELAY", "SurveysSent",
    "answer_survey", "open_survey_link", "rating_urls", "send_due_surveys", "survey_path",
]
