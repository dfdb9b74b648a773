"""The merchant's refund email as the local SES receives it: a reason from Stripe or a dispute
arrives escaped in the HTML part, as is, in the text part."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest

from chalicelib.adapters.local_ses_outbox import sent_emails
from chalicelib.adapters.ses_merchant_mailer import SESMerchantMailer
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ReturnRequest
from devstack.ses import ensure_ses_identity
from tests.builders import a_line, an_order

SENDER = "returns@merchant-mail.example"
SCRIPT = '<script>alert("refund")</script>'


def a_return(rma: str) -> ReturnRequest:
    order = an_order(currency="USD", lines=[a_line(currency="USD")])
    selections = (Selection("L1", 1, "too_small", ""),)
    return ReturnRequest.request(rma=rma, order=order, selections=selections,
                                 quote=quote(order, selections, DEFAULT_POLICY, resolution="refund"),
                                 needs_approval=False, at=datetime(2026, 12, 20, tzinfo=UTC))


@pytest.mark.parametrize(("held", "rma"), [(False, "R-ESC1-FA1L"), (True, "R-ESC2-HE1D")])
def test_a_refund_reason_arrives_escaped_in_the_html_part(aws_endpoint: str, held: bool, rma: str) -> None:
    ses = boto3.client("ses", endpoint_url=aws_endpoint, region_name="us-east-1")
    ensure_ses_identity(ses, SENDER)
    mailer = SESMerchantMailer(lambda: ses, sender=SENDER, store_name="Demo", admin_base_url="http://x")
    notify = mailer.refund_held if held else mailer.refund_failed
    notify(a_return(rma), to="owner@merchant-mail.example", reason=SCRIPT)

    mail = next(e for e in sent_emails(aws_endpoint) if rma in e.subject)
    assert mail.to == "owner@merchant-mail.example"
    assert "<script>" not in mail.html
    assert "&lt;script&gt;" in mail.html
    assert SCRIPT in mail.text
