"""CSAT through the app: the hourly job emails "How was your return?" a day after a return
resolved (read back from the local SES), its links open a page that records nothing, and only
the page's POST records one answer per return, stored where the reports read it."""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import pytest
from chalice.local import LambdaContext
from chalice.test import Client

from chalicelib.adapters.local_ses_outbox import OutboxEmail, sent_emails
from chalicelib.bootstrap import get_deps
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ReturnRequest, rma_from_bits
from chalicelib.services.csat_surveys import send_due_surveys
from tests.builders import a_line, an_order
from tests.functional.conftest import days_later, put_policy
from tests.functional.test_shopper_pages import Browser

Move = Callable[[ReturnRequest, datetime], ReturnRequest]
LINK = re.compile(r"https?://[^\s\"<>]+(/feedback/[A-Za-z0-9_.-]+)\?rating=(\d)")

MOVES: dict[str, Move] = {
    # The money went back: a refund Stripe accepted, or store credit.
    "refunded": lambda r, at: r.receive(at=at, actor="dock").start_refund(
        r.quote.refund_value, at=at, actor="system").mark_refunded(f"re_{r.rma}", at=at, actor="system"),
    "credited": lambda r, at: r.receive(at=at, actor="dock").credit(at=at, actor="system"),
    # Declined by the store.
    "rejected": lambda r, at: r.reject(at=at, actor="merchant@example.com"),
    # Ended without a resolution: no survey.
    "cancelled": lambda r, at: r.cancel(at=at),
    "expired": lambda r, at: r.expire(at=at, actor="system:return_expiry"),
}


@pytest.fixture(scope="module", autouse=True)
def default_policy(client: Client) -> None:
    put_policy(client)


def resolved(end: str, *, locale: str = "en", reasons: tuple[str, ...] = ("too_small",)) -> tuple[str, str]:
    """A return of one unit per reason moved to `end` now, stored as the use cases store each move;
    its RMA and the shopper's (unique) email."""
    email = f"csat-{secrets.token_hex(4)}@example.com"
    bits = secrets.randbits(40)
    order = an_order(number=f"C{bits}", email=email, locale=locale,
                     lines=[a_line(id=f"L{i}") for i in range(len(reasons))])
    selections = tuple(Selection(f"L{i}", 1, reason, "note") for i, reason in enumerate(reasons))
    now = datetime.now(UTC)
    request = ReturnRequest.request(
        rma=rma_from_bits(bits), order=order, selections=selections,
        quote=quote(order, selections, DEFAULT_POLICY, resolution="store_credit" if end == "credited" else "refund"),
        needs_approval=end == "rejected", at=now - timedelta(days=3),
    )
    returns = get_deps().returns
    request = returns.create(request, line_quantities={f"L{i}": 2 for i in range(len(reasons))},
                             now=request.created_at)
    moved = MOVES[end](request, now)
    returns.save(moved, new_events=len(moved.events) - len(request.events), now=now)
    return request.rma, email


def run_the_job(client: Client, *, days: float) -> dict[str, list[str]]:
    """One run of the hourly CSAT job as EventBridge starts it, `days` from now."""
    from app import app

    event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                            resources=["arn:aws:events:us-east-1:123456789012:rule/csat-surveys"])
    with days_later(days):
        answer: dict[str, list[str]] = app.handler_map["csat_surveys"](
            event, LambdaContext("csat_surveys", memory_size=512, max_runtime_ms=20_000))
    return answer


def surveys_to(aws_endpoint: str, email: str) -> list[OutboxEmail]:
    # Known by its links: the subject's brackets are the language's own (full-width in Japanese).
    return [m for m in sent_emails(aws_endpoint) if m.to == email and "/feedback/" in m.text]


def links_of(message: OutboxEmail) -> list[tuple[str, str]]:
    """(path, rating) of each rating link in the email's text."""
    return [(path, rating) for path, rating in LINK.findall(message.text)]


def surveyed(client: Client, aws_endpoint: str, end: str = "refunded", **options: Any) -> tuple[str, str]:
    """A return resolved a day ago and its survey sent: (RMA, the survey page's path)."""
    rma, email = resolved(end, **options)
    assert rma in run_the_job(client, days=1.01)["sent"]
    [message] = surveys_to(aws_endpoint, email)
    return rma, links_of(message)[0][0]


def page_text(response: Any) -> str:
    return html.unescape(response.body.decode())


def test_a_day_after_the_money_went_back_the_shopper_gets_one_survey_with_five_links(
    client: Client, aws_endpoint: str
) -> None:
    refunded, refunded_to = resolved("refunded", reasons=("damaged", "too_small"))
    credited, credited_to = resolved("credited")

    # Not yet: the day has not passed.
    sent = run_the_job(client, days=0.9)["sent"]
    assert refunded not in sent and credited not in sent
    assert surveys_to(aws_endpoint, refunded_to) == []

    sent = run_the_job(client, days=1.01)["sent"]
    assert refunded in sent and credited in sent
    [message] = surveys_to(aws_endpoint, refunded_to)
    assert message.subject == f"How was your return? ({refunded})"
    assert [rating for _, rating in links_of(message)] == ["1", "2", "3", "4", "5"]
    assert len({path for path, _ in links_of(message)}) == 1
    assert len(surveys_to(aws_endpoint, credited_to)) == 1

    # Later runs, and the next day's, send nothing more.
    for days in (1.01, 1.05, 1.4):
        sent = run_the_job(client, days=days)["sent"]
        assert refunded not in sent and credited not in sent
    assert len(surveys_to(aws_endpoint, refunded_to)) == 1

    # The survey is stored where the reports read it, with the return's reasons.
    deps = get_deps()
    now = datetime.now(UTC)
    [survey] = [s for s in deps.csat.surveys_sent_between(now, now + timedelta(days=2)) if s.rma == refunded]
    assert survey.reasons == ("damaged", "too_small")


def test_overlapping_runs_send_one_survey(client: Client, aws_endpoint: str) -> None:
    rma, email = resolved("credited")
    with days_later(1.01), ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(lambda _: send_due_surveys(get_deps()), range(4)))
    assert [rma in run.sent for run in runs].count(True) == 1
    assert len(surveys_to(aws_endpoint, email)) == 1


def test_declined_returns_are_surveyed_but_cancelled_and_expired_ones_are_not(
    client: Client, aws_endpoint: str
) -> None:
    rejected, rejected_to = resolved("rejected", locale="ko")
    cancelled, cancelled_to = resolved("cancelled")
    expired, expired_to = resolved("expired")
    sent = run_the_job(client, days=1.01)["sent"]
    assert rejected in sent
    assert cancelled not in sent and expired not in sent
    [message] = surveys_to(aws_endpoint, rejected_to)
    assert "안녕하세요." in message.text  # the return's language
    assert surveys_to(aws_endpoint, cancelled_to) == [] and surveys_to(aws_endpoint, expired_to) == []


def test_opening_a_link_shows_the_rating_chosen_and_records_nothing(client: Client, aws_endpoint: str) -> None:
    rma, path = surveyed(client, aws_endpoint, locale="ja")
    shopper = Browser(client)
    for rating in ("4", "1", "4"):  # a mail scanner opens every link, a shopper may too
        page = shopper.get(f"{path}?rating={rating}")
        assert page.status_code == 200
    body = page_text(page)
    assert re.search(r'<input type="radio" name="rating" id="rating-4" value="4" checked>', body)
    assert body.count(" checked") == 1
    assert 'lang="ja"' in body  # the return's language
    assert 'maxlength="1000"' in body and "1,000" in body  # the limit, before it is reached
    assert get_deps().csat_surveys.answer_of(rma) is None


def test_the_page_s_post_records_the_answer_once_and_a_second_changes_nothing(
    client: Client, aws_endpoint: str
) -> None:
    rma, path = surveyed(client, aws_endpoint, reasons=("wrong_item",))
    shopper = Browser(client)
    csrf = shopper.csrf_of(f"{path}?rating=2&lang=en")
    answered = shopper.post(path, {"rating": "2", "comment": "The label was hard to print.", "csrf": csrf})
    assert answered.status_code == 303
    assert answered.headers["Location"] == f"{path}/thanks"
    thanks = shopper.get(f"{path}/thanks")
    assert thanks.status_code == 200 and "Thank you" in page_text(thanks)

    stored = get_deps().csat_surveys.answer_of(rma)
    assert stored is not None
    assert (stored.rating, stored.comment, stored.reasons) == (2, "The label was hard to print.", ("wrong_item",))
    now = datetime.now(UTC)
    assert rma in [a.rma for a in get_deps().csat.answers_between(now - timedelta(minutes=5), now + timedelta(minutes=5))]

    again = shopper.post(path, {"rating": "5", "comment": "", "csrf": csrf})
    assert again.status_code == 409
    assert "You've already rated this return" in page_text(again)
    assert get_deps().csat_surveys.answer_of(rma) == stored
    # The link itself now says so too, instead of offering the form.
    reopened = page_text(shopper.get(f"{path}?rating=5"))
    assert "You've already rated this return" in reopened and 'name="rating"' not in reopened


def test_a_post_without_the_page_s_csrf_token_records_nothing(client: Client, aws_endpoint: str) -> None:
    rma, path = surveyed(client, aws_endpoint)
    shopper = Browser(client)
    shopper.get(path)
    assert shopper.post(path, {"rating": "5", "csrf": "forged"}).status_code == 403
    assert Browser(client).post(path, {"rating": "5"}, csrf=False).status_code == 403
    assert get_deps().csat_surveys.answer_of(rma) is None


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"rating": "7"}, "rating", "Choose a rating from 1 to 5."),
    ({}, "rating", "Choose a rating from 1 to 5."),
    ({"rating": "3", "comment": "x" * 1001}, "comment", "Your comment is too long: please keep it to 1,000 characters."),
])
def test_a_bad_answer_is_a_400_with_the_message_next_to_its_field_and_records_nothing(
    client: Client, aws_endpoint: str, form: dict[str, str], field: str, message: str
) -> None:
    rma, path = surveyed(client, aws_endpoint)
    shopper = Browser(client)
    csrf = shopper.csrf_of(f"{path}?lang=en")
    response = shopper.post(path, {**form, "csrf": csrf})
    assert response.status_code == 400
    body = page_text(response)
    assert f'<p class="field-error" id="{field}-error"><span class="visually-hidden">Error: </span>{message}</p>' in body
    assert f'aria-describedby="{field}-error"' in body or f'{field}-hint {field}-error' in body
    assert get_deps().csat_surveys.answer_of(rma) is None
    # What the shopper typed stays.
    if "comment" in form:
        assert form["comment"] in body


def test_a_link_older_than_14_days_gets_a_clear_page_and_records_nothing(client: Client, aws_endpoint: str) -> None:
    rma, path = surveyed(client, aws_endpoint)
    shopper = Browser(client)
    csrf = shopper.csrf_of(f"{path}?lang=en")
    with days_later(1.01 + 13.9):
        assert shopper.get(f"{path}?rating=3").status_code == 200
    with days_later(1.01 + 14.1):
        page = shopper.get(f"{path}?rating=3&lang=en")
        assert page.status_code == 410
        assert "This survey link has expired" in page_text(page)
        assert shopper.post(path, {"rating": "3", "csrf": csrf}).status_code == 410
    assert get_deps().csat_surveys.answer_of(rma) is None


def test_a_tampered_link_is_a_404_page(client: Client, aws_endpoint: str) -> None:
    _, path = surveyed(client, aws_endpoint)
    page = Browser(client).get(path[:-2] + ("AA" if not path.endswith("AA") else "BB") + "?lang=en")
    assert page.status_code == 404
    assert "This survey link doesn't work" in page_text(page)
