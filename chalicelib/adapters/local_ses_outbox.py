"""The emails the local SES (moto) accepted, for the local stage's /_dev/outbox page only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from email import message_from_string, policy
from urllib.request import urlopen


@dataclass(frozen=True, slots=True)
class OutboxEmail:
    """One sent message as a person reads it."""

    to: str
    subject: str
    text: str
    html: str


def sent_emails(aws_endpoint_url: str) -> list[OutboxEmail]:
    """Every message sent through the local SES, newest first (moto's model data, loopback only)."""
    if not aws_endpoint_url.startswith(("http://127.0.0.1:", "http://localhost:")):
        raise ValueError("the outbox reads the local AWS endpoint only")
    # devstack/aws_server.py answers this path with the SES messages only (moto's data.json
    # would serialise every model of every service).
    with urlopen(f"{aws_endpoint_url}/_retour/ses-outbox.json", timeout=30) as response:  # noqa: S310 - loopback
        data = json.load(response)
    found: list[OutboxEmail] = []
    for record in data.get("RawMessage", []):
        raw = record.get("raw_data") or record.get("RawMessage") or ""
        message = message_from_string(raw, policy=policy.default)
        text = html = ""
        for part in message.walk():
            if part.get_content_type() == "text/plain" and not text:
                text = str(part.get_content())
            elif part.get_content_type() == "text/html" and not html:
                html = str(part.get_content())
        found.append(OutboxEmail(to=str(message.get("To", "")), subject=str(message.get("Subject", "")),
                                 text=text, html=html))
    return list(reversed(found))
