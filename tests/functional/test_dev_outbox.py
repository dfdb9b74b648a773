"""`/_dev/outbox` (local stage): an email's text is shown escaped, its addresses as links."""

from __future__ import annotations

from typing import Any

import boto3
from chalice.test import Client

from chalicelib.adapters.ses_mailer import mime_message
from devstack.ses import ensure_ses_identity

SENDER = "outbox@retour.local"


def test_an_emails_markup_is_shown_as_text_and_its_addresses_as_links(client: Client, aws_endpoint: str,
                                                                        local_table: Any) -> None:
    ses = boto3.client("ses", endpoint_url=aws_endpoint, region_name="us-east-1")
    ensure_ses_identity(ses, SENDER)
    text = 'Note: <script>alert("outbox")</script>\nOpen http://127.0.0.1:8000/returns/R-0UTB-0X01?link=v1.a.b now.'
    raw = mime_message(sender=SENDER, sender_name="Demo", to="shopper@example.com", subject="Outbox check R-0UTB-0X01",
                       text=text, html="<p>unused</p>")
    ses.send_raw_email(Source=SENDER, RawMessage={"Data": raw})

    page = client.http.get("/_dev/outbox")
    assert page.status_code == 200
    body = page.body.decode()
    assert "Outbox check R-0UTB-0X01" in body
    assert '<script>alert("outbox")' not in body and "&lt;script&gt;" in body
    assert '<a href="http://127.0.0.1:8000/returns/R-0UTB-0X01?link=v1.a.b"' in body
