"""The merchant gets one email per order per day for exceptions beyond the first: the first is
emailed at once, the later ones of that day arrive together in one digest once the day is over,
each with its own working Approve / Deny links, read back from the local SES."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from chalice.local import LambdaContext
from chalice.test import Client

from chalicelib.adapters.local_ses_outbox import OutboxEmail, sent_emails
from tests.functional.conftest import ADMIN, days_later, put_policy
from tests.functional.test_merchant_approvals import MERCHANT, confirm, late_order, status_of

LINK = re.compile(r"http://[^\s\"<>]+(/merchant/approvals/[A-Za-z0-9_-]{43})\?action=(\w+)")
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module", autouse=True)
def default_policy(client: Client) -> None:
    put_policy(client)


def run_the_job(client: Client, *, days: float) -> dict[str, list[str]]:
    """One run of the hourly digest job as EventBridge starts it, `days` from now."""
    from app import app

    event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                            resources=["arn:aws:events:us-east-1:123456789012:rule/exception-digests"])
    with days_later(days):
        answer: dict[str, list[str]] = app.handler_map["exception_digests"](
            event, LambdaContext("exception_digests", memory_size=512, max_runtime_ms=20_000))
    return answer


def exceptions_of(client: Client, number: str, count: int) -> list[str]:
    """`count` exception requests of one unit each on a fresh order past its window."""
    document = late_order(number)
    document["lines"][0]["quantity"] = count
    assert client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(document)).status_code == 201
    token = client.http.post("/api/v1/lookup", headers=JSON, body=json.dumps(
        {"order_number": number, "email": document["email"]})).json_body["token"]
    rmas = []
    for _ in range(count):
        created = client.http.post(
            "/api/v1/returns", headers={**JSON, "Authorization": f"Bearer {token}"},
            body=json.dumps({"order_number": number, "resolution": "refund",
                             "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]}))
        assert created.status_code == 201, created.json_body
        assert created.json_body["status"] == "pending_approval"
        rmas.append(created.json_body["rma"])
    return rmas


def merchant_emails_about(aws_endpoint: str, number: str, rmas: list[str]) -> list[OutboxEmail]:
    return [e for e in sent_emails(aws_endpoint)
            if e.to == MERCHANT and (number in e.subject or any(rma in e.subject for rma in rmas))]


def test_later_exceptions_of_an_order_wait_for_one_digest_with_their_own_links(
    client: Client, aws_endpoint: str
) -> None:
    first, second, third = exceptions_of(client, "9601", 3)

    # The first is emailed at once; the others wait for the digest.
    mails = merchant_emails_about(aws_endpoint, "9601", [first, second, third])
    assert [m.subject for m in mails] == [f"Return {first} needs your decision"]

    # The day is not over: the job sends nothing yet.
    assert run_the_job(client, days=0)["sent"] == []
    assert len(merchant_emails_about(aws_endpoint, "9601", [first, second, third])) == 1

    sent = run_the_job(client, days=1)["sent"]
    assert [name.split("@")[0] for name in sent] == ["9601"]
    digests = [m for m in merchant_emails_about(aws_endpoint, "9601", []) if m.subject.startswith("Order 9601")]
    assert len(digests) == 1
    digest = digests[0]
    assert digest.subject == "Order 9601: 2 more return requests need your decision"
    # The later two, each in its own section (the first shows only among the earlier returns).
    sections = digest.text.split("== Request ")[1:]
    assert [re.findall(r"Return number \(RMA\): (\S+)", section) for section in sections] == [[second], [third]]
    # Each request has its own links, in the text and the HTML alike.
    links = {rma: {action: path for path, action in LINK.findall(section)}
             for rma, section in zip((second, third), sections)}
    assert set(links[second]) == set(links[third]) == {"approve", "approve_store_credit", "approve_fee", "reject"}
    assert links[second]["approve"] != links[third]["approve"]
    assert {path for path, _ in LINK.findall(digest.html)} == {*links[second].values(), *links[third].values()}

    # Each link decides its own return only.
    assert confirm(client, links[third]["reject"], "reject").status_code == 200
    assert (status_of(second), status_of(third)) == ("pending_approval", "rejected")

    # The digest goes once, however often the job runs.
    assert run_the_job(client, days=1)["sent"] == []
    assert run_the_job(client, days=1.5)["sent"] == []
    assert len([m for m in merchant_emails_about(aws_endpoint, "9601", []) if m.subject.startswith("Order 9601")]) == 1


def test_a_day_with_one_exception_sends_no_digest(client: Client, aws_endpoint: str) -> None:
    (only,) = exceptions_of(client, "9602", 1)
    assert [m.subject for m in merchant_emails_about(aws_endpoint, "9602", [only])] == [
        f"Return {only} needs your decision"]
    assert not any(name.startswith("9602@") for name in run_the_job(client, days=1)["sent"])
    assert len(merchant_emails_about(aws_endpoint, "9602", [only])) == 1
