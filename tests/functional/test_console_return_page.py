"""A return's console page: what staff see, and each action by the role that may take it."""

from __future__ import annotations

import json
from typing import Any

from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.domain.money import Money
from devstack.refund_worker import drain
from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN, console_cookie, console_csrf, form_post
from tests.functional.test_merchant_approvals import MERCHANT, emails_about, links_of, pending_return
from tests.functional.test_refunds import (  # noqa: F401  (fixtures)
    ONE_TEE,
    Stripe,
    api,
    faulty_deps,
    money_env,
    paid_order,
    policy,
    request_return,
    sqs,
    status_of,
    stripe_state,
)

AGENT = "staff:agent@retour.local"
TWO_TEES = [{"line_id": "L1", "quantity": 2, "reason": "too_small"}]


def page_of(api: Client, rma: str, headers: dict[str, str], query: str = "") -> Any:
    return api.http.get(f"/console/returns/{rma}{query}", headers=headers)


def act(api: Client, rma: str, action: str, headers: dict[str, str], **fields: str) -> Any:
    """POST an action's form with the CSRF token of the member's own return page."""
    fields.setdefault("csrf", console_csrf(page_of(api, rma, headers).body.decode()))
    return form_post(api, f"/console/returns/{rma}/{action}", headers, **fields)


def number() -> str:
    import uuid

    return f"7{uuid.uuid4().int % 10**7:07d}"


def last_event(rma: str) -> Any:
    return status_of(rma).events[-1]


def test_an_agent_sees_the_customer_the_money_and_who_acted_from_where(api: Client) -> None:
    rma = pending_return(api, number())
    page = page_of(api, rma, console_cookie("agent"))
    assert page.status_code == 200
    html = page.body.decode()
    request = status_of(rma)
    assert request.customer_email in html and request.order_number in html
    assert "Policy version" in html and "1-2-3 Jingumae" in html
    # The shopper's language by its name, as the shopper writes it, not a code.
    assert request.locale == "en" and '<dd lang="en">English</dd>' in html
    # Money through the formatter, per line and in total (USD: cents).
    assert "$33.00" in html and "$36.00" in html
    assert "Return requested" in html and "The shopper" in html
    assert 'action="/console/returns/' + rma + '/deny"' in html
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_the_warehouse_cannot_see_or_approve_a_return_and_nothing_changes(api: Client) -> None:
    rma = pending_return(api, number())
    warehouse = console_cookie("warehouse")
    assert page_of(api, rma, warehouse).status_code == 403
    # Its own session's token, from a page it may see (the 403 page carries the header's forms).
    csrf = console_csrf(page_of(api, rma, warehouse).body.decode())
    refused = form_post(api, f"/console/returns/{rma}/decision", warehouse, csrf=csrf, decision="approve")
    assert refused.status_code == 403
    assert "Warehouse staff receive parcels" in refused.body.decode()
    assert status_of(rma).status == "pending_approval"


def test_an_agent_approves_after_a_page_that_shows_the_amount(api: Client) -> None:
    rma = pending_return(api, number())
    agent = console_cookie("agent")
    review = page_of(api, rma, agent, "/decision?decision=approve")
    assert review.status_code == 200
    assert "The shopper gets back $36.00" in review.body.decode()
    assert status_of(rma).status == "pending_approval"  # the review changes nothing
    done = form_post(api, f"/console/returns/{rma}/decision", agent | {"User-Agent": "pytest"},
                     csrf=console_csrf(review.body.decode()), decision="approve", note="Welcome back")
    assert done.status_code == 303
    assert done.headers["Location"] == f"/console/returns/{rma}?done=approved"
    event = last_event(rma)
    assert status_of(rma).status == "approved"
    assert (event.kind, event.actor, event.detail) == ("approved", AGENT, "Welcome back")
    assert event.source_ip  # the console's client address, the timeline's "from where"
    after = page_of(api, rma, agent, "?done=approved").body.decode()
    assert "Approved. The shopper gets an email now." in after and "Console" in after


def test_a_counter_offer_minus_a_fee_shows_and_pays_the_reduced_amount(api: Client) -> None:
    rma = pending_return(api, number())
    agent = console_cookie("agent")
    review = page_of(api, rma, agent, "/decision?decision=approve_fee&fee_percent=25")
    # 25% of $33.00 kept: $36.00 - $8.25.
    assert "The shopper gets back $27.75" in review.body.decode()
    done = form_post(api, f"/console/returns/{rma}/decision", agent, csrf=console_csrf(review.body.decode()),
                     decision="approve_fee", fee_percent="25")
    assert done.status_code == 303
    approved = status_of(rma)
    assert approved.quote.total == Money(2775, "USD") and approved.events[-1].actor == AGENT


def test_a_fee_out_of_range_is_shown_next_to_its_field(api: Client) -> None:
    rma = pending_return(api, number())
    page = page_of(api, rma, console_cookie("agent"), "/decision?decision=approve_fee&fee_percent=400")
    assert page.status_code == 400
    assert 'id="fee_percent-error"' in page.body.decode()


def test_store_credit_only_is_the_other_counter_offer(api: Client) -> None:
    rma = pending_return(api, number())
    agent = console_cookie("agent")
    review = page_of(api, rma, agent, "/decision?decision=approve_store_credit")
    assert review.status_code == 200
    done = form_post(api, f"/console/returns/{rma}/decision", agent, csrf=console_csrf(review.body.decode()),
                     decision="approve_store_credit")
    assert done.status_code == 303
    assert status_of(rma).resolution == "store_credit"


def test_a_post_without_the_sessions_csrf_token_changes_nothing(api: Client) -> None:
    rma = pending_return(api, number())
    refused = form_post(api, f"/console/returns/{rma}/decision", console_cookie("agent"), csrf="forged",
                        decision="approve")
    assert refused.status_code == 403
    refused_note = form_post(api, f"/console/returns/{rma}/notes", console_cookie("owner"), csrf="forged",
                             note="hello")
    assert refused_note.status_code == 403
    assert status_of(rma).status == "pending_approval" and len(status_of(rma).events) == 1


def test_a_return_decided_meanwhile_says_so_and_changes_nothing(api: Client) -> None:
    rma = pending_return(api, number())
    agent = console_cookie("agent")
    review = page_of(api, rma, agent, "/decision?decision=approve")
    assert api.http.post(f"/api/v1/admin/returns/{rma}/reject", headers=ADMIN, body="{}").status_code == 200
    late = form_post(api, f"/console/returns/{rma}/decision", agent, csrf=console_csrf(review.body.decode()),
                     decision="approve")
    assert late.status_code == 409
    assert "already decided (Declined by Admin API key)" in late.body.decode()
    request = status_of(rma)
    assert request.status == "rejected" and request.events[-1].actor == "admin"


def test_a_return_cancelled_meanwhile_can_not_be_declined(api: Client) -> None:
    order_number = number()
    rma = pending_return(api, order_number)
    agent = console_cookie("agent")
    csrf = console_csrf(page_of(api, rma, agent).body.decode())
    token = _shopper_token(api, order_number)
    cancelled = api.http.post(f"/api/v1/returns/{rma}/cancel", headers={"Authorization": f"Bearer {token}"})
    assert cancelled.status_code == 200, cancelled.json_body
    late = form_post(api, f"/console/returns/{rma}/deny", agent, csrf=csrf, note="No")
    assert late.status_code == 409
    assert "The shopper cancelled this return meanwhile" in late.body.decode()
    assert status_of(rma).status == "cancelled"


def test_an_agent_declines_with_a_note_to_the_shopper(api: Client) -> None:
    rma = pending_return(api, number())
    done = act(api, rma, "deny", console_cookie("agent"), note="Worn items can't be returned")
    assert done.status_code == 303
    event = last_event(rma)
    assert (status_of(rma).status, event.actor, event.detail) == ("rejected", AGENT, "Worn items can't be returned")


def test_resending_the_approval_email_sends_fresh_links_that_a_later_note_does_not_outdate(
    api: Client, aws_endpoint: str
) -> None:
    rma = pending_return(api, number())
    agent = console_cookie("agent")
    before = len(emails_about(aws_endpoint, rma, MERCHANT))
    done = act(api, rma, "approval-email", agent)
    assert done.status_code == 303
    assert len(emails_about(aws_endpoint, rma, MERCHANT)) == before + 1
    assert (last_event(rma).kind, last_event(rma).actor) == ("approval_email_resent", AGENT)
    assert act(api, rma, "notes", agent, note="Asked the owner to decide").status_code == 303
    # The newest email's approve link still opens its confirm page (a note is not a change of terms).
    confirm = api.http.get(links_of(aws_endpoint, rma)["approve"])
    assert confirm.status_code == 200, confirm.body.decode()
    assert status_of(rma).status == "pending_approval"


def test_an_internal_note_is_on_the_console_timeline_and_never_shown_to_the_shopper(api: Client) -> None:
    order_number = number()
    rma = pending_return(api, order_number)
    agent = console_cookie("agent")
    done = act(api, rma, "notes", agent, note="Called the shopper: label printed")
    assert done.status_code == 303
    event = last_event(rma)
    assert (event.kind, event.actor, event.detail) == ("note", AGENT, "Called the shopper: label printed")
    html = page_of(api, rma, agent).body.decode()
    assert "Called the shopper: label printed" in html and "Staff only" in html
    shopper = api.http.get(f"/api/v1/returns/{rma}",
                           headers={"Authorization": f"Bearer {_shopper_token(api, order_number)}"})
    assert shopper.status_code == 200
    assert "Called the shopper" not in json.dumps(shopper.json_body)
    assert [e["kind"] for e in shopper.json_body["events"]] == ["requested"]


def test_a_note_too_long_is_refused_next_to_its_field(api: Client) -> None:
    rma = pending_return(api, number())
    # The one note limit (domain/notes.py), said beside the field before it is reached.
    refused = act(api, rma, "notes", console_cookie("agent"), note="x" * 501)
    assert refused.status_code == 400
    assert 'id="note-error"' in refused.body.decode() and 'aria-describedby="note-hint note-error"' in refused.body.decode()
    assert 'maxlength="500"' in refused.body.decode() and "At most 500 characters." in refused.body.decode()
    assert len(status_of(rma).events) == 1


def test_the_warehouse_records_a_partial_receipt_and_only_the_units_that_arrived_are_refunded(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, TWO_TEES)
    warehouse = console_cookie("warehouse")
    # The warehouse has no return page: its token comes from the page it may see (any console page).
    csrf = console_csrf(page_of(api, rma, warehouse).body.decode())
    done = form_post(api, f"/console/returns/{rma}/receive", warehouse, csrf=csrf,
                     **{"units-L1": "1", "condition-L1": "damaged"})
    assert done.status_code == 303
    received = status_of(rma)
    event = next(e for e in received.events if e.kind == "received")
    assert event.actor == "staff:warehouse@retour.local"
    assert [(r.line_id, r.units, r.condition) for r in event.received] == [("L1", 1, "damaged")]
    # Two tees at 3300 + 300 tax each were asked for; one came: 3600 yen, not 7200.
    assert received.quote.refund_value == Money(3600, "JPY")
    drain(get_deps(), sqs, money_env)
    assert [r.amount for r in stripe_state.refunds(order["payment"]["payment_intent"])] == [3600]
    # The tee that did not come goes back to the order: it may be returned again.
    units = get_deps().return_history.units_of_order(order["number"])
    assert units.returned["L1"] == 1 and units.in_open_returns.get("L1", 0) == 0


def test_a_receipt_that_does_not_add_up_shows_the_field_and_receives_nothing(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, TWO_TEES)
    agent = console_cookie("agent")
    refused = act(api, rma, "receive", agent, **{"units-L1": "2", "condition-L1": "missing"})
    assert refused.status_code == 400
    assert 'id="condition-L1-error"' in refused.body.decode()
    assert status_of(rma).status == "approved"


def test_an_agent_retries_a_failed_refund_after_seeing_the_amount(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    rma = _failed_refund(api, order, stripe_endpoint, money_env, sqs)
    agent = console_cookie("agent")
    review = page_of(api, rma, agent, "/retry-refund")
    assert review.status_code == 200 and "Refund ¥3,600 to the original payment" in review.body.decode()
    done = form_post(api, f"/console/returns/{rma}/retry-refund", agent, csrf=console_csrf(review.body.decode()))
    assert done.status_code == 303
    assert (last_event(rma).kind, last_event(rma).actor) == ("refund_retry_requested", AGENT)
    drain(get_deps(), sqs, money_env)
    assert status_of(rma).status == "refunded" and status_of(rma).refund.attempt == 2
    html = page_of(api, rma, agent).body.decode()
    assert "Refund attempts" in html and "expired_or_canceled_card" in html


def test_store_credit_is_refused_while_stripe_holds_a_refund_of_the_return(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    # Reported failed, yet held by Stripe as paid: store credit as well would pay twice.
    rma = _failed_refund(api, order, stripe_endpoint, money_env, sqs)
    agent = console_cookie("agent")
    review = page_of(api, rma, agent, "/credit")
    refused = form_post(api, f"/console/returns/{rma}/credit", agent, csrf=console_csrf(review.body.decode()))
    assert refused.status_code == 409
    assert "Stripe already holds a refund for this return" in refused.body.decode()
    assert status_of(rma).status == "refund_failed"


def test_an_agent_pays_a_failed_refund_as_store_credit_and_the_warehouse_may_not(
    api: Client, money_env: str, sqs: Any
) -> None:
    # Paid outside Stripe: the refund fails before paying (no PaymentIntent), so Stripe holds none.
    order = an_order_document(number=number(), placed_at=days_ago(7), delivered_at=days_ago(5))
    assert api.http.put(f"/api/v1/admin/orders/{order['number']}", headers=ADMIN,
                        body=json.dumps(order)).status_code == 201
    rma = request_return(api, order, ONE_TEE)
    assert api.http.post(f"/api/v1/admin/returns/{rma}/receive", headers=ADMIN).status_code == 202
    drain(get_deps(), sqs, money_env)
    assert status_of(rma).status == "refund_failed"
    warehouse = console_cookie("warehouse")
    csrf = console_csrf(page_of(api, rma, warehouse).body.decode())
    assert form_post(api, f"/console/returns/{rma}/credit", warehouse, csrf=csrf).status_code == 403
    assert status_of(rma).status == "refund_failed"
    agent = console_cookie("agent")
    review = page_of(api, rma, agent, "/credit")
    assert "Pay ¥3,600 as store credit" in review.body.decode()
    done = form_post(api, f"/console/returns/{rma}/credit", agent, csrf=console_csrf(review.body.decode()))
    assert done.status_code == 303
    assert (status_of(rma).status, last_event(rma).actor) == ("credited", AGENT)
    account = get_deps().store_credit.account(order["email"], "JPY")
    assert account.balance == Money(3600, "JPY")


def _failed_refund(api: Client, order: dict[str, Any], stripe_endpoint: str, money_env: str, sqs: Any) -> str:
    rma = request_return(api, order, ONE_TEE)
    assert api.http.post(f"/api/v1/admin/returns/{rma}/receive", headers=ADMIN).status_code == 202
    drain(faulty_deps(stripe_endpoint, "failed"), sqs, money_env)
    assert status_of(rma).status == "refund_failed"
    return rma


def _shopper_token(api: Client, order_number: str) -> str:
    order = get_deps().orders.get(order_number)
    assert order is not None
    lookup = api.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                           body=json.dumps({"order_number": order_number, "email": order.customer_email}))
    assert lookup.status_code == 200, lookup.json_body
    token: str = lookup.json_body["token"]
    return token
