"""`/_dev/outbox`: the emails the local SES sent, links clickable (local stage only; 404 elsewhere).

So a person can request an out-of-window return and approve it from the "email" by hand.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from ..bootstrap import get_deps
from .errors import json_error

if TYPE_CHECKING:
    from markupsafe import Markup

dev_outbox = Blueprint(__name__)

_URL = re.compile(r"https?://[^\s<>\"']+")


def _linked(text: str) -> Markup:
    """Plain text, escaped, with every http(s) address made a link."""
    from markupsafe import Markup, escape

    out, last = [], 0
    for match in _URL.finditer(text):
        out.append(escape(text[last:match.start()]))
        url = escape(match.group(0))
        out.append(Markup(f'<a href="{url}">{url}</a>'))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Local outbox</title>
<meta name="robots" content="noindex">
<style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:1rem auto;padding:0 1rem}
article{border:1px solid #ccc;margin:1rem 0;padding:.5rem 1rem}pre{white-space:pre-wrap}</style></head>
<body><h1>Local outbox ({{ emails|length }})</h1>
<p>Emails sent through the local SES, newest first. Nothing here leaves this machine.</p>
{% for email in emails %}<article><h2>{{ email.subject }}</h2><p>To: {{ email.to }}</p>
<pre>{{ email.linked }}</pre></article>{% else %}<p>No emails yet.</p>{% endfor %}
</body></html>"""


@dev_outbox.route("/_dev/outbox", methods=["GET"])
def outbox() -> Response:
    """The local SES's sent messages; any other stage answers 404 as for an unknown path."""
    # Imported here, as in every view: a cold start loads only what its own request needs.
    from ..adapters.local_ses_outbox import sent_emails
    from .rendering import environment

    settings = get_deps().settings
    if not settings.is_local or not settings.aws_endpoint_url:
        return json_error(404, "not_found", "Not found")
    emails = [{"to": e.to, "subject": e.subject, "linked": _linked(e.text)}
              for e in sent_emails(settings.aws_endpoint_url)]
    body = environment().from_string(TEMPLATE).render(emails=emails)
    return Response(body=body, headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"})
