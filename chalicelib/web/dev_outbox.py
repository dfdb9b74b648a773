"""`/_dev/outbox`: the emails the local SES sent, links clickable (local stage only; 404 elsewhere).

So a person can request an out-of-window return and approve it from the "email" by hand.
"""

from __future__ import annotations

from chalice.app import Blueprint, Response

from ..adapters.local_ses_outbox import sent_emails
from ..bootstrap import get_deps
from . import html
from .errors import json_error

dev_outbox = Blueprint(__name__)


@dev_outbox.route("/_dev/outbox", methods=["GET"])
def outbox() -> Response:
    """The local SES's sent messages; any other stage answers 404 as for an unknown path."""
    settings = get_deps().settings
    if not settings.is_local or not settings.aws_endpoint_url:
        return json_error(404, "not_found", "Not found")
    emails = [{"to": e.to, "subject": e.subject, "text": e.text} for e in sent_emails(settings.aws_endpoint_url)]
    # templates/pages/dev_outbox.html: the text escaped by autoescape, its addresses linked by urlize.
    return html.page(html.render("pages/dev_outbox.html", "en", emails=emails), lang="en",
                     logo_url=settings.store_logo_url, noindex=True)
