"""A CSAT answer given through the survey email shows in the console's reports.

The whole way as it happens: a return's money goes back, a day later the hourly job emails the
shopper five rating links, the shopper opens one (nothing recorded), answers on the page, and
the owner's reports for the period show the score, the response rate, the reason and the comment.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from chalice.test import Client

from tests.functional.conftest import console_cookie, put_policy
from tests.functional.test_csat import links_of, resolved, run_the_job, surveys_to
from tests.functional.test_shopper_pages import Browser


@pytest.fixture(scope="module", autouse=True)
def default_policy(client: Client) -> None:
    put_policy(client)


def _figure(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', page)
    assert found, f"the reports show #{element_id}"
    return found.group(1).strip()


def _reports(client: Client) -> str:
    today = datetime.now(UTC).date()
    period = f"from={(today - timedelta(days=7)).isoformat()}&to={(today + timedelta(days=2)).isoformat()}"
    page = client.http.get(f"/console/reports?{period}", headers=console_cookie("owner"))
    assert page.status_code == 200
    return html.unescape(page.body.decode())


def test_an_answer_given_through_the_email_shows_in_the_reports(client: Client, aws_endpoint: str) -> None:
    before = _reports(client)
    assert "Quick and painless, thank you." not in before

    happy_rma, happy_email = resolved("refunded", reasons=("wrong_item",))
    quiet_rma, quiet_email = resolved("credited", reasons=("too_small",))
    sent = run_the_job(client, days=1.01)["sent"]
    assert {happy_rma, quiet_rma} <= set(sent)
    [survey] = surveys_to(aws_endpoint, happy_email)
    links = dict((rating, path) for path, rating in links_of(survey))
    assert sorted(links) == ["1", "2", "3", "4", "5"]
    assert surveys_to(aws_endpoint, quiet_email), "the other shopper was asked too, and never answers"

    # A mail scanner (or the shopper) opening the link records nothing: the reports are unchanged.
    shopper = Browser(client)
    csrf = shopper.csrf_of(f"{links['5']}?rating=5&lang=en")
    assert "Quick and painless" not in _reports(client)
    answered = shopper.post(links["5"], {"rating": "5", "comment": "Quick and painless, thank you.", "csrf": csrf})
    assert answered.status_code == 303

    after = _reports(client)
    assert _figure(after, "csat-answers") == "1"
    assert _figure(after, "csat-score") == "100%"
    # Two surveys sent in the period, one answered.
    assert _figure(after, "csat-response-rate") == "50%"
    assert "Quick and painless, thank you." in after
    reasons = re.search(r'id="table-csat">(.*?)</table>', after, re.S)
    assert reasons is not None
    assert "Wrong item" in reasons.group(1) and "Too small" in reasons.group(1)
    assert happy_rma in after
