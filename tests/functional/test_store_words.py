"""The store's words reach the shopper (issue 18 item 5): a decision's reason on the status page and
in the email, a counter-offer the shopper accepts or declines (the merchant told), the approval
page's preview of what each decision leaves the shopper."""

from __future__ import annotations

import json
import re
from typing import Any

from chalice.test import Client

from chalicelib.adapters.local_ses_outbox import sent_emails
from chalicelib.bootstrap import get_deps
from chalicelib.services.expire_returns import expire_offers
from tests.functional.conftest import ADMIN, days_later, put_policy
from tests.races.test_cancel_races import line_item
from tests.functional.test_merchant_approvals import CSRF, FORM, links_of
from tests.functional.test_shopper_pages import (
    a_return_of_both_tees,
    signed_in,
    an_order_of_two_tees,
    available_on_lookup,
    emails_to,
    refund_queue,  # noqa: F401 - fixture
    stored_return,
    text,
)

MERCHANT = "returns@merchant.example"
STORE = "Retour Demo Store"
JSON = {"Content-Type": "application/json"}


def merchant_emails(aws_endpoint: str, rma: str) -> list[Any]:
    return [e for e in sent_emails(aws_endpoint) if e.to == MERCHANT and rma in e.subject]


def offer_by_link(client: Client, aws_endpoint: str, rma: str, action: str, note: str, **fields: str) -> Any:
    path = links_of(aws_endpoint, rma)[action]
    page = client.http.get(path)
    csrf = CSRF.search(page.body.decode()).group(1)  # type: ignore[union-attr]
    body = "&".join(f"{k}={v}" for k, v in {"csrf": csrf, "decision": action, "note": note, **fields}.items())
    return client.http.post(path, headers=FORM, body=body.replace(" ", "+"))


def a_return_page(client: Client, number: str, rma: str) -> Any:
    return signed_in(client, number, f"shopper{number}@example.com").get(f"/returns/{rma}")


def token_of(client: Client, number: str) -> str:
    found = client.http.post("/api/v1/lookup", headers=JSON,
                             body=json.dumps({"order_number": number, "email": f"shopper{number}@example.com"}))
    assert found.status_code == 200, found.json_body
    return str(found.json_body["token"])


def test_a_decline_carries_the_store_reason_to_the_status_page_and_the_email(client: Client, aws_endpoint: str) -> None:
    put_policy(client)
    an_order_of_two_tees(client, "7301", late=True)
    shopper, rma = a_return_of_both_tees(client, "7301")
    assert "Waiting for approval" in text(shopper.get(f"/returns/{rma}"))  # while it waits
    answer = client.http.post(f"/api/v1/admin/returns/{rma}/reject", headers=ADMIN,
                              body=json.dumps({"note": "These tees were worn & washed."}))
    assert answer.status_code == 200, answer.json_body
    page = text(shopper.get(f"/returns/{rma}"))
    assert "Message from " in page and "These tees were worn & washed." in page
    assert "The store declined this return, so nothing will be refunded." in page
    # Decided: no stale "waiting for the store" badge on the lines.
    assert "Needs the store's approval" not in page and "Waiting for approval" not in page
    [mail] = [e for e in emails_to(aws_endpoint, "7301") if "was declined" in e.subject]
    assert "Message from " in mail.text and "These tees were worn & washed." in mail.text
    assert "Nothing will be refunded." in mail.text
    assert client.http.get(f"/api/v1/returns/{rma}", headers={"Authorization": f"Bearer {token_of(client, '7301')}"}
                           ).json_body["merchant_note"] == "These tees were worn & washed."


def test_a_fee_offer_shows_both_amounts_and_accepting_approves_on_its_terms(
    client: Client, aws_endpoint: str, refund_queue: None,
) -> None:
    put_policy(client)
    an_order_of_two_tees(client, "7302", late=True)
    shopper, rma = a_return_of_both_tees(client, "7302")
    asked = stored_return(rma).quote.total
    link = links_of(aws_endpoint, rma)["approve_fee"]
    done = offer_by_link(client, aws_endpoint, rma, "approve_fee", "Both tags were cut off", fee_percent="10")
    assert done.status_code == 200, text(done)
    offered = stored_return(rma)
    assert offered.status == "offered" and offered.offer is not None and offered.quote.total == asked
    page = text(shopper.get(f"/returns/{rma}"))
    assert "The store's offer" in page and "Both tags were cut off" in page
    assert "$72.00" in page and "$65.40" in page  # the ask ($66 + $6 tax), minus 10 % of $66
    assert "Approved" not in page and "/label?size=" not in page  # no approval before the answer
    assert 'name="decision" value="accept"' in page and 'name="decision" value="decline"' in page
    api = client.http.get(f"/api/v1/returns/{rma}", headers={"Authorization": f"Bearer {token_of(client, '7302')}"})
    assert api.json_body["status"] == "offered" and api.json_body["offer"]["amounts"]["total"] == 6540
    mail = [e for e in emails_to(aws_endpoint, "7302") if "makes you an offer" in e.subject]
    assert mail and "$65.40" in mail[-1].text and "Both tags were cut off" in mail[-1].text

    accepted = shopper.post(f"/returns/{rma}/offer", {"csrf": shopper.csrf_of(f"/returns/{rma}"), "decision": "accept"})
    assert accepted.status_code == 303, text(accepted)
    final = stored_return(rma)
    assert (final.status, final.quote.total.minor, final.offer) == ("approved", 6540, None)
    page = text(shopper.get(f"/returns/{rma}"))
    assert "You accepted the store's offer" in page and "/label?size=" in page
    told = merchant_emails(aws_endpoint, rma)
    assert any("accepted your offer" in e.subject for e in told)
    approved_mail = [e for e in emails_to(aws_endpoint, "7302") if "approved with changed terms" in e.subject]
    assert approved_mail and "$65.40" in approved_mail[-1].text and "fee of 10%" in approved_mail[-1].text
    # The approval on the offer's terms still says why the store charges the fee.
    assert "Message from " in approved_mail[-1].text and "Both tags were cut off" in approved_mail[-1].text
    # The merchant's link opened again says the shopper accepted the offer, not "Approved by" them.
    again = client.http.get(link).body.decode()
    assert "You made an offer at" in again and "The shopper accepted it at" in again
    assert "Already decided" not in again


def test_declining_an_offer_closes_the_return_frees_the_items_and_tells_the_merchant(
    client: Client, aws_endpoint: str,
) -> None:
    put_policy(client)
    an_order_of_two_tees(client, "7303", late=True)
    shopper, rma = a_return_of_both_tees(client, "7303")
    before = available_on_lookup(client, "7303")
    link = links_of(aws_endpoint, rma)["approve_store_credit"]
    done = offer_by_link(client, aws_endpoint, rma, "approve_store_credit", "Opened items: credit only")
    assert done.status_code == 200, text(done)
    bearer = {"Authorization": f"Bearer {token_of(client, '7303')}", **JSON}
    declined = client.http.post(f"/api/v1/returns/{rma}/offer", headers=bearer, body=json.dumps({"decision": "decline"}))
    assert declined.status_code == 200, declined.json_body
    assert declined.json_body["status"] == "cancelled" and "offer" not in declined.json_body
    # A second tap on decline answers the same; accept now is refused and changes nothing.
    again = client.http.post(f"/api/v1/returns/{rma}/offer", headers=bearer, body=json.dumps({"decision": "decline"}))
    assert again.status_code == 200
    late = client.http.post(f"/api/v1/returns/{rma}/offer", headers=bearer, body=json.dumps({"decision": "accept"}))
    assert late.status_code == 409 and late.json_body["error"]["code"] == "offer_closed"
    # The merchant's link opened again: the shopper declined, not "Cancelled by" the merchant.
    again = client.http.get(link).body.decode()
    assert "The shopper declined it at" in again and "nothing is refunded" in again
    assert "Already decided" not in again
    bad = client.http.post(f"/api/v1/returns/{rma}/offer", headers=bearer, body=json.dumps({"decision": "maybe"}))
    assert bad.status_code == 400 and "error" in bad.json_body
    assert [e.kind for e in stored_return(rma).events].count("offer_declined") == 1
    page = text(shopper.get(f"/returns/{rma}"))
    assert "You declined the store's offer" in page and "nothing is refunded" in page
    assert "Total refund" not in page
    # The units are free again: the store decides again on a new request.
    assert available_on_lookup(client, "7303") == before
    lookup = client.http.post("/api/v1/lookup", headers=JSON,
                              body=json.dumps({"order_number": "7303", "email": "shopper7303@example.com"}))
    assert lookup.json_body["order"]["lines"][0]["verdict"]["status"] == "needs_approval"
    assert any("declined your offer" in e.subject for e in merchant_emails(aws_endpoint, rma))


def test_an_answer_to_a_closed_offer_on_the_page_is_a_409_saying_so(client: Client, aws_endpoint: str) -> None:
    put_policy(client)
    an_order_of_two_tees(client, "7304", late=True)
    shopper, rma = a_return_of_both_tees(client, "7304")
    assert offer_by_link(client, aws_endpoint, rma, "approve_fee", "Worn", fee_percent="20").status_code == 200
    csrf = shopper.csrf_of(f"/returns/{rma}")
    assert shopper.post(f"/returns/{rma}/offer", {"csrf": csrf, "decision": "decline"}).status_code == 303
    late = shopper.post(f"/returns/{rma}/offer", {"csrf": csrf, "decision": "accept"})
    assert late.status_code == 409 and "This offer is no longer open" in text(late)
    assert stored_return(rma).status == "cancelled"
    forged = shopper.post(f"/returns/{rma}/offer", {"csrf": "v1.forged", "decision": "accept"}, csrf=False)
    assert forged.status_code == 403


def test_an_unanswered_offer_expires_and_frees_the_items(client: Client, aws_endpoint: str, local_table: Any) -> None:
    put_policy(client, approval_expiry_hours=48)
    an_order_of_two_tees(client, "7305", late=True)
    _, rma = a_return_of_both_tees(client, "7305")
    assert offer_by_link(client, aws_endpoint, rma, "approve_fee", "Worn", fee_percent="20").status_code == 200
    assert rma not in expire_offers(get_deps())  # too young
    with days_later(3):
        assert rma in expire_offers(get_deps())
    expired = stored_return(rma)
    assert expired.status == "expired" and expired.offer_outcome == "expired"
    assert line_item(local_table, "7305") == {"reserved": 0, "returned": 0}
    page = text(a_return_page(client, "7305", rma))
    assert "The store's offer expired before you answered" in page
    [mail] = [e for e in emails_to(aws_endpoint, "7305") if e.subject == f"Your return {rma} has expired"]
    assert "offer on your return" in mail.text and "expired before you answered" in mail.text
    assert "did not reach us" not in mail.text  # no parcel was ever due
    put_policy(client)


def test_the_approval_page_previews_each_outcome_and_a_decline_needs_a_reason(client: Client, aws_endpoint: str) -> None:
    put_policy(client)
    an_order_of_two_tees(client, "7306", late=True)
    _, rma = a_return_of_both_tees(client, "7306")
    path = links_of(aws_endpoint, rma)["reject"]
    page = client.http.get(path)
    body = text(page)
    assert "The shopper gets nothing back." in body
    assert "The shopper gets $62.10 instead of $72.00" in body  # the default 15 % fee of the $66 items
    csrf = CSRF.search(page.body.decode()).group(1)  # type: ignore[union-attr]
    preview = client.http.post(path, headers=FORM, body=f"csrf={csrf}&decision=approve_fee&fee_percent=10&preview=1&note=")
    assert preview.status_code == 200 and "The shopper gets $65.40 instead of $72.00" in text(preview)
    assert stored_return(rma).status == "pending_approval"  # a preview decides nothing
    refused = client.http.post(path, headers=FORM, body=f"csrf={csrf}&decision=reject&note=")
    assert refused.status_code == 400
    html_body = refused.body.decode()
    assert re.search(r'id="note"[^>]*aria-invalid="true"', html_body) or 'aria-invalid="true"' in html_body
    assert 'id="note-error"' in html_body and "Tell the shopper why you decline" in text(refused)
    assert stored_return(rma).status == "pending_approval"
    declined = client.http.post(path, headers=FORM, body=f"csrf={csrf}&decision=reject&note=Worn")
    assert declined.status_code == 200 and "The shopper gets nothing back." in text(declined)
