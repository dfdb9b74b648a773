"""The shopper, merchant and warehouse pages answer with the same security headers (web/html.py),
and the middleware fills in what an answer lacks without replacing what it chose."""

from __future__ import annotations

import re

import pytest
from chalice.app import Response
from chalice.test import Client

from chalicelib.web.html import SECURITY_HEADERS, page_csp
from chalicelib.web.middleware import add_security_headers

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# Sample values for the routes' parameters: none of them names anything, which is the point:
# refusals, redirects and error pages must carry the same headers as the happy pages.
PARAMETERS = {"token": "not-a-real-link", "rma": "R-NOPE-0001", "endpoint_id": "ep_0000000000000000"}
API_PREFIXES = ("/api/", "/webhooks/", "/assets/", "/_")


def page_routes() -> list[tuple[str, str]]:
    from app import app

    routes = []
    for path, methods in sorted(app.routes.items()):
        if path.startswith(API_PREFIXES):
            continue
        for method in sorted(methods):
            if method in ("GET", "POST"):
                routes.append((method, re.sub(r"\{(\w+)\}", lambda m: PARAMETERS[m.group(1)], path)))
    return routes


def family(path: str) -> str:
    return path.split("/")[1] if path.startswith(("/merchant/", "/warehouse")) else "shopper"


def test_every_page_family_has_routes_under_test() -> None:
    assert {family(path) for _, path in page_routes()} == {"shopper", "merchant", "warehouse"}


@pytest.mark.parametrize("method, path", page_routes())
def test_every_page_route_answers_the_same_security_headers(client: Client, method: str, path: str) -> None:
    if method == "GET":
        response = client.http.get(path)
    else:
        response = client.http.post(path, headers=FORM, body=b"")
    headers = response.headers
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value, (name, method, path)
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    if headers.get("Content-Type", "").startswith("text/html"):
        assert headers["Content-Security-Policy"] == page_csp(None)
        assert headers["Content-Language"]


@pytest.mark.parametrize("path, words", [
    ("/warehouse/receive", "Back to the warehouse page"),
    ("/merchant/approvals/not-a-real-link", "Nothing was decided"),
    ("/lookup", "Back to the start"),
])
def test_a_refused_content_type_is_a_page_of_the_routes_own_family(client: Client, path: str, words: str) -> None:
    response = client.http.post(path, headers={"Content-Type": "application/json"}, body=b"{}")
    assert response.status_code == 415
    assert response.headers["Content-Type"].startswith("text/html")
    assert words in response.body.decode()
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_middleware_keeps_a_header_the_answer_chose() -> None:
    response = Response(body="", headers={"Content-Type": "text/html; charset=utf-8",
                                          "referrer-policy": "same-origin"})
    add_security_headers(response, logo_url=None, local=True)
    assert response.headers["referrer-policy"] == "same-origin"
    assert "Referrer-Policy" not in response.headers
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"] == page_csp(None)
