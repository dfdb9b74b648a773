"""Merchant approvals end to end: the emailed links read back from the local SES, the confirm pages,
counter-offers, the admin API and the reminder/timeout job, all against the local DynamoDB and SES."""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_string
from email.header import decode_header, make_header
from typing import Any
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.services.remind_approvals import remind_and_time_out
from tests.documents import an_order_document, days_ago
from tests.dynamodb_faults import NOTHING_YET, BehindReplica, replica_behind, return_partition
from tests.fakes import ShiftedClock
from tests.functional.conftest import ADMIN, LABEL_BUCKET, app_clock, put_policy

MERCHANT = "returns@merchant.example"
LINK = re.compile(r"(http://[^\s\"<>]+/merchant/approvals/([A-Za-z0-9_-]{43}))\?action=(\w+)")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def late_order(number: str) -> dict[str, Any]:
    """Delivered 45 days ago: past the 30-day window, inside the grace, so the merchant decides."""
    return an_order_document(number=number, email=f"shopper{number}@example.com", locale="en",
                             currency="USD", placed_at=days_ago(50), delivered_at=days_ago(45))


@pytest.fixture(autouse=True)
def default_policy(client: Client) -> None:
    put_policy(client)


@pytest.fixture
def shifted_clock() -> Iterator[ShiftedClock]:
    with app_clock(ShiftedClock(timedelta(0))) as clock:
        yield clock


def sent(aws_endpoint: str) -> list[Any]:
    with urlopen(f"{aws_endpoint}/_retour/ses-outbox.json", timeout=30) as response:  # noqa: S310 - loopback
        data = json.load(response)
    return [message_from_string(m["raw_data"]) for m in data["RawMessage"]]


def subject(message: Any) -> str:
    return str(make_header(decode_header(message["Subject"])))


def text_of(message: Any) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return str(part.get_payload(decode=True).decode("utf-8"))
    raise AssertionError("no text part")


def emails_about(aws_endpoint: str, rma: str, to: str) -> list[Any]:
    return [m for m in sent(aws_endpoint) if rma in subject(m) and m["To"] == to]


def pending_return(client: Client, number: str, resolution: str = "refund") -> str:
    document = late_order(number)
    assert client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN,
                           body=json.dumps(document)).status_code in (200, 201)
    token = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                             body=json.dumps({"order_number": number, "email": document["email"]})).json_body["token"]
    created = client.http.post(
        "/api/v1/returns", headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        body=json.dumps({"order_number": number, "resolution": resolution,
                         "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]}),
    )
    assert created.status_code == 201, created.json_body
    assert created.json_body["status"] == "pending_approval"
    rma: str = created.json_body["rma"]
    return rma


def links_of(aws_endpoint: str, rma: str) -> dict[str, str]:
    """action -> path of the confirm page, from the merchant's (latest) email."""
    mails = emails_about(aws_endpoint, rma, MERCHANT)
    assert mails, "the merchant got no email"
    found = {action: f"/merchant/approvals/{token}" for _, token, action in LINK.findall(text_of(mails[-1]))}
    assert found, text_of(mails[-1])
    return found


def status_of(rma: str) -> str:
    request = get_deps().returns.get(rma)
    assert request is not None
    return request.status


def confirm(client: Client, path: str, decision: str, *, user_agent: str = "", **fields: str) -> Any:
    page = client.http.get(path)
    match = CSRF.search(page.body.decode())
    csrf = match.group(1) if match else ""
    if decision != "approve":
        # A decline or an offer made on this page carries the merchant's reason (issue 18 item 5).
        fields = {"note": "Reason given on the page", **fields}
    body = urlencode({"csrf": csrf, "decision": decision, **fields})
    headers = {**FORM, "User-Agent": user_agent} if user_agent else FORM
    return client.http.post(path, headers=headers, body=body)


def test_the_merchant_email_explains_the_exception_with_absolute_links(client: Client, aws_endpoint: str) -> None:
    rma = pending_return(client, "9101")
    mail = emails_about(aws_endpoint, rma, MERCHANT)[-1]
    text = text_of(mail)
    assert subject(mail) == f"Return {rma} needs your decision"
    assert "The return window ended 15 days ago" in text
    assert "$36.00" in text  # $33.00 + $3.00 tax
    assert "Reason: Too small" in text  # the reason in words, never its code
    assert "shopper9101@example.com" in text
    assert set(links_of(aws_endpoint, rma)) == {"approve", "approve_store_credit", "approve_fee", "reject"}
    assert LINK.search(text).group(1).startswith("http://127.0.0.1:")  # type: ignore[union-attr]


def test_opening_a_link_changes_nothing_and_confirming_approves_once(
    client: Client, aws_endpoint: str, s3: Any,
) -> None:
    rma = pending_return(client, "9102")
    path = links_of(aws_endpoint, rma)["approve"]
    version = get_deps().returns.get(rma).version  # type: ignore[union-attr]
    for _ in range(5):
        page = client.http.get(path)
        assert page.status_code == 200
        assert "Confirm" in page.body.decode()
        assert "Too small" in page.body.decode() and "too_small" not in page.body.decode()
    assert client.http.request("HEAD", path).status_code == 200  # type: ignore[attr-defined]
    assert status_of(rma) == "pending_approval"
    assert get_deps().returns.get(rma).version == version  # type: ignore[union-attr]

    done = confirm(client, path, "approve", user_agent="Mail/16.0 (merchant)")
    assert done.status_code == 200, done.body
    assert "Done" in done.body.decode()
    assert status_of(rma) == "approved"
    decided = get_deps().returns.get(rma)
    assert decided is not None
    event = decided.events[-1]
    assert (event.kind, event.actor) == ("approved", f"merchant:{MERCHANT}")
    # Who confirmed, as the audit trail shows it: the browser's address and its User-Agent.
    assert (event.source_ip, event.user_agent) == ("127.0.0.1", "Mail/16.0 (merchant)")
    # The label is rendered and stored; the shopper is told.
    s3.head_object(Bucket=LABEL_BUCKET, Key=f"labels/{rma}/4x6.pdf")
    shopper_mail = emails_about(aws_endpoint, rma, "shopper9102@example.com")
    assert any(subject(m) == f"Your return {rma} is approved" for m in shopper_mail)

    # The same link again decides nothing and says so.
    again = client.http.get(path)
    assert again.status_code == 200
    assert f"Already decided: Approved by {MERCHANT}" in again.body.decode()
    # When, in the store's time zone, named (the default policy's UTC).
    assert re.search(rf"Approved by {re.escape(MERCHANT)} at [^<]+ UTC\.", again.body.decode())
    second = confirm(client, path, "reject")
    assert second.status_code == 200 and "Already decided" in second.body.decode()
    assert status_of(rma) == "approved"
    assert get_deps().returns.get(rma).version == decided.version  # type: ignore[union-attr]


class ReadTogether:
    """Returns whose first two reads of the RMA wait for each other: both deciders see it pending."""

    def __init__(self, inner: Any, rma: str) -> None:
        self._inner, self._rma = inner, rma
        self._barrier = threading.Barrier(2, timeout=10)
        self._reads = 0
        self._lock = threading.Lock()

    def get(self, rma: str, **options: Any) -> Any:
        found = self._inner.get(rma, **options)
        with self._lock:
            self._reads += 1
            wait = rma == self._rma and self._reads <= 2
        if wait:
            self._barrier.wait()
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_approve_and_deny_at_the_same_instant_one_wins(client: Client, aws_endpoint: str, s3: Any) -> None:
    rma = pending_return(client, "9103")
    links = links_of(aws_endpoint, rma)
    forms = {}
    for decision in ("approve", "reject"):
        page = client.http.get(links[decision])
        forms[decision] = urlencode({"csrf": CSRF.search(page.body.decode()).group(1),  # type: ignore[union-attr]
                                     "decision": decision, "note": "Worn"})
    answers: list[str] = []
    deps = get_deps()
    real = deps._returns
    deps._returns = ReadTogether(real, rma)
    try:
        threads = [threading.Thread(target=lambda d=d: answers.append(
            client.http.post(links[d], headers=FORM, body=forms[d]).body.decode())) for d in forms]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        deps._returns = real
    assert len(answers) == 2
    assert sum("Done" in a for a in answers) == 1
    assert sum("Already decided" in a for a in answers) == 1
    assert status_of(rma) in ("approved", "rejected")
    assert len([e for e in get_deps().returns.get(rma).events if e.kind in ("approved", "rejected")]) == 1  # type: ignore[union-attr]


def test_an_expired_link_is_refused_and_decides_nothing(
    client: Client, aws_endpoint: str, shifted_clock: ShiftedClock,
) -> None:
    rma = pending_return(client, "9104")
    path = links_of(aws_endpoint, rma)["approve"]
    shifted_clock.shift = timedelta(hours=168, minutes=3)
    page = client.http.get(path)
    assert page.status_code == 410
    assert "expired" in page.body.decode()
    assert "approval-link" in page.body.decode()
    assert confirm(client, path, "approve").status_code == 410
    assert status_of(rma) == "pending_approval"
    # Within the clock-skew leeway it still works.
    shifted_clock.shift = timedelta(hours=168, minutes=1)
    assert confirm(client, path, "approve").status_code == 200
    assert status_of(rma) == "approved"


def test_a_tampered_link_is_forbidden(client: Client, aws_endpoint: str) -> None:
    rma = pending_return(client, "9105")
    path = links_of(aws_endpoint, rma)["approve"]
    token = path.rsplit("/", 1)[1]
    tampered = path[: -len(token)] + ("A" if token[0] != "A" else "B") + token[1:]
    for bad in (tampered, "/merchant/approvals/not-a-token", path + "x"):
        page = client.http.get(bad)
        assert page.status_code == 403, bad
        assert "not valid" in page.body.decode()
        assert client.http.post(bad, headers=FORM, body="decision=approve").status_code == 403
    assert status_of(rma) == "pending_approval"


def test_a_post_without_the_pages_csrf_token_decides_nothing(client: Client, aws_endpoint: str) -> None:
    rma = pending_return(client, "9106")
    path = links_of(aws_endpoint, rma)["approve"]
    answer = client.http.post(path, headers=FORM, body="decision=approve&csrf=forged")
    assert answer.status_code == 403
    assert status_of(rma) == "pending_approval"


def test_store_credit_only_is_offered_to_the_shopper_with_the_new_amount(client: Client, aws_endpoint: str, s3: Any) -> None:
    rma = pending_return(client, "9107", resolution="refund")
    done = confirm(client, links_of(aws_endpoint, rma)["approve_store_credit"], "approve_store_credit",
                   note="Opened items are credit only")
    assert done.status_code == 200, done.body
    decided = get_deps().returns.get(rma)
    assert decided is not None and decided.offer is not None
    assert (decided.status, decided.resolution, decided.offer.resolution) == ("offered", "refund", "store_credit")
    # $36.00 plus the default 10 % store-credit bonus.
    assert (decided.offer.bonus.minor, decided.offer.total.minor) == (360, 3960)
    mail = [m for m in emails_about(aws_endpoint, rma, "shopper9107@example.com") if "makes you an offer" in subject(m)]
    text = text_of(mail[-1]) if mail else ""
    assert "$39.60" in text and "offers you store credit instead" in text and "You asked for $36.00." in text
    assert "Message from " in text and "Opened items are credit only" in text


def test_a_fee_chosen_on_the_confirm_page_is_taken_off_the_quote(client: Client, aws_endpoint: str, s3: Any) -> None:
    rma = pending_return(client, "9108")
    done = confirm(client, links_of(aws_endpoint, rma)["approve_fee"], "approve_fee", fee_percent="15")
    assert done.status_code == 200, done.body
    decided = get_deps().returns.get(rma)
    assert decided is not None and decided.offer is not None
    # 15 % of $33.00 = $4.95 off $36.00.
    assert (decided.offer.fees.minor, decided.offer.total.minor) == (495, 3105)
    assert decided.events[-1].detail == "offered minus a 15% fee"
    mail = [m for m in emails_about(aws_endpoint, rma, "shopper9108@example.com") if "makes you an offer" in subject(m)]
    assert mail and "$31.05" in text_of(mail[-1]) and "fee of 15%" in text_of(mail[-1])


def test_a_bad_fee_shows_the_form_again_and_decides_nothing(client: Client, aws_endpoint: str) -> None:
    rma = pending_return(client, "9109")
    answer = confirm(client, links_of(aws_endpoint, rma)["approve_fee"], "approve_fee", fee_percent="0")
    assert answer.status_code == 400
    assert "fee_percent" in answer.body.decode()
    assert status_of(rma) == "pending_approval"


def test_a_decline_note_past_the_one_note_limit_is_said_in_the_page_and_decides_nothing(
    client: Client, aws_endpoint: str
) -> None:
    rma = pending_return(client, "9115")
    path = links_of(aws_endpoint, rma)["reject"]
    form = client.http.get(path).body.decode()
    assert 'maxlength="500"' in form and "At most 500 characters." in form
    answer = confirm(client, path, "reject", note="x" * 501)
    assert answer.status_code == 400
    assert "The note can be at most 500 characters." in html.unescape(answer.body.decode())
    assert status_of(rma) == "pending_approval"


def test_the_admin_api_lists_pending_with_age_and_shares_the_rules(client: Client, aws_endpoint: str, s3: Any) -> None:
    first, second = pending_return(client, "9110"), pending_return(client, "9111")
    listed = client.http.get("/api/v1/admin/returns?status=pending_approval&limit=1", headers=ADMIN)
    assert listed.status_code == 200, listed.json_body
    assert len(listed.json_body["returns"]) == 1
    assert listed.json_body["returns"][0]["age_seconds"] >= 0
    cursor = listed.json_body["next_cursor"]
    assert cursor
    more = client.http.get(f"/api/v1/admin/returns?status=pending_approval&limit=100&cursor={cursor}", headers=ADMIN)
    assert more.status_code == 200
    every = [r["rma"] for r in listed.json_body["returns"] + more.json_body["returns"]]
    assert {first, second} <= set(every) and len(every) == len(set(every))
    assert client.http.get("/api/v1/admin/returns?status=bogus", headers=ADMIN).status_code == 400
    assert client.http.get("/api/v1/admin/returns?cursor=%25%25", headers=ADMIN).status_code == 400
    assert client.http.get("/api/v1/admin/returns").status_code == 401

    approved = client.http.post(f"/api/v1/admin/returns/{first}/approve", headers=ADMIN, body=json.dumps({}))
    assert approved.status_code == 200 and approved.json_body["status"] == "approved"
    again = client.http.post(f"/api/v1/admin/returns/{first}/reject", headers=ADMIN, body=json.dumps({"note": "x"}))
    assert again.status_code == 409 and again.json_body["error"]["code"] == "already_decided"
    rejected = client.http.post(f"/api/v1/admin/returns/{second}/reject", headers=ADMIN,
                                body=json.dumps({"note": "Worn items can't be returned."}))
    assert rejected.status_code == 200 and rejected.json_body["status"] == "rejected"
    mail = [m for m in emails_about(aws_endpoint, second, "shopper9111@example.com") if "declined" in subject(m)]
    assert mail and "Worn items can't be returned." in text_of(mail[-1])
    # The email link of an admin-decided return says so.
    page = client.http.get(links_of(aws_endpoint, second)["approve"])
    assert page.status_code == 200 and "Already decided: Declined by admin" in page.body.decode()


def test_the_job_reminds_once_after_the_sla_and_applies_the_timeout(
    client: Client, aws_endpoint: str, shifted_clock: ShiftedClock,
) -> None:
    rma = pending_return(client, "9112")
    shifted_clock.shift = timedelta(hours=25)
    first = remind_and_time_out(get_deps())
    assert rma in first.reminded and rma not in first.timed_out
    reminders = [m for m in emails_about(aws_endpoint, rma, MERCHANT) if subject(m).startswith("Reminder")]
    assert len(reminders) == 1
    assert "waiting for your decision for 25 hours" in text_of(reminders[0])
    assert rma not in remind_and_time_out(get_deps()).reminded  # once only
    assert status_of(rma) == "pending_approval"
    shifted_clock.shift = timedelta(hours=169)
    late = remind_and_time_out(get_deps())
    assert rma in late.timed_out
    assert status_of(rma) == "rejected"  # the default on_approval_timeout
    event = get_deps().returns.get(rma).events[-1]  # type: ignore[union-attr]
    assert event.actor == "system:approval_timeout"


def test_the_outbox_lists_sent_emails_with_clickable_links(client: Client, aws_endpoint: str) -> None:
    rma = pending_return(client, "9113")
    page = client.http.get("/_dev/outbox")
    assert page.status_code == 200
    body = page.body.decode()
    assert f"Return {rma} needs your decision" in body
    assert '<a href="http://127.0.0.1:' in body and "/merchant/approvals/" in body


def test_under_on_approval_store_credit_follows_the_merchants_approval(client: Client, aws_endpoint: str, s3: Any) -> None:
    policy = {"refund_trigger": "on_approval"}
    put_policy(client, **policy)
    rma = pending_return(client, "9114", resolution="store_credit")
    assert confirm(client, links_of(aws_endpoint, rma)["approve"], "approve").status_code == 200
    assert status_of(rma) == "credited"


def shopper_cancels(client: Client, number: str, rma: str) -> None:
    token = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                             body=json.dumps({"order_number": number,
                                              "email": f"shopper{number}@example.com"})).json_body["token"]
    answer = client.http.post(f"/api/v1/returns/{rma}/cancel", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.json_body


def test_a_link_opened_after_the_shopper_withdrew_the_request_says_so_and_decides_nothing(
    client: Client, aws_endpoint: str,
) -> None:
    rma = pending_return(client, "9120")
    path = links_of(aws_endpoint, rma)["approve"]
    form = urlencode({"csrf": CSRF.search(client.http.get(path).body.decode()).group(1),  # type: ignore[union-attr]
                      "decision": "approve"})
    shopper_cancels(client, "9120", rma)
    for page in (client.http.get(path), client.http.post(path, headers=FORM, body=form)):
        assert page.status_code == 200
        body = page.body.decode()
        assert "The shopper cancelled this return at" in body and "There is nothing to decide." in body
        assert "Already decided" not in body and "Done" not in body
    assert status_of(rma) == "cancelled"
    assert [e.kind for e in get_deps().returns.get(rma).events] == ["requested", "cancelled"]  # type: ignore[union-attr]


def test_a_return_approved_then_cancelled_by_the_shopper_is_not_called_the_merchants_decision(
    client: Client, aws_endpoint: str, s3: Any,
) -> None:
    rma = pending_return(client, "9121")
    path = links_of(aws_endpoint, rma)["approve"]
    assert confirm(client, path, "approve").status_code == 200
    shopper_cancels(client, "9121", rma)
    body = client.http.get(path).body.decode()
    assert "The shopper cancelled this return at" in body
    assert f"by {MERCHANT}" not in body


def test_the_admin_api_deciding_a_return_the_shopper_cancelled_says_so_and_changes_nothing(
    client: Client, aws_endpoint: str,
) -> None:
    rma = pending_return(client, "9122")
    shopper_cancels(client, "9122", rma)
    for action in ("approve", "reject"):
        answer = client.http.post(f"/api/v1/admin/returns/{rma}/{action}", headers=ADMIN, body=json.dumps({"note": ""}))
        assert answer.status_code == 409
        assert answer.json_body["error"]["code"] == "return_cancelled"
        assert "cancelled by the shopper" in answer.json_body["error"]["message"]
    assert [e.kind for e in get_deps().returns.get(rma).events] == ["requested", "cancelled"]  # type: ignore[union-attr]


def decide_behind(client: Client, rma: str, action: str, copy: dict[str, Any]) -> tuple[Any, BehindReplica]:
    """An admin decision while eventually consistent reads of the return answer `copy`."""
    with replica_behind(get_deps(), rma, copy) as replica:
        return client.http.post(f"/api/v1/admin/returns/{rma}/{action}", headers=ADMIN,
                                body=json.dumps({"note": ""})), replica


def test_an_admin_decision_read_before_a_replica_has_the_return_still_decides(
    client: Client, aws_endpoint: str, s3: Any,
) -> None:
    rma = pending_return(client, "9123")
    answer, replica = decide_behind(client, rma, "approve", NOTHING_YET)
    assert replica.served, "the decision did not read eventually consistent first"
    assert answer.status_code == 200, answer.json_body
    assert status_of(rma) == "approved"


def test_an_admin_decision_on_a_stale_pending_copy_finds_it_decided_and_changes_nothing(
    client: Client, aws_endpoint: str, s3: Any,
) -> None:
    rma = pending_return(client, "9124")
    still_pending = return_partition(get_deps(), rma)
    assert client.http.post(f"/api/v1/admin/returns/{rma}/reject", headers=ADMIN,
                            body=json.dumps({"note": "worn"})).status_code == 200
    answer, replica = decide_behind(client, rma, "approve", still_pending)
    assert replica.served
    assert answer.status_code == 409 and answer.json_body["error"]["code"] == "already_decided"
    assert status_of(rma) == "rejected"
    assert [e.kind for e in get_deps().returns.get(rma).events] == ["requested", "rejected"]  # type: ignore[union-attr]
