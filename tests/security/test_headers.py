"""Every answer carries the security headers; pages get a Content-Security-Policy without inline code."""

from __future__ import annotations

import json

import pytest
from chalice.app import Response
from chalice.test import Client

from chalicelib.web.middleware import add_security_headers, page_csp

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def directives(policy: str) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("method, path", [("GET", "/"), ("GET", "/?lang=ko"), ("POST", "/lookup")])
def test_pages_send_a_csp_without_unsafe_inline(client: Client, method: str, path: str) -> None:
    # The POST has no CSRF token: the 403 error page must carry the policy too.
    if method == "GET":
        response = client.http.get(path)
    else:
        response = client.http.post(path, headers=FORM, body=b"order_number=1")
    assert response.headers["Content-Type"].startswith("text/html")
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    found = directives(policy)
    assert found["default-src"] == "'self'"
    assert found["frame-ancestors"] == "'none'"
    assert found["form-action"] == "'self'"
    assert found["base-uri"] == "'none'"
    assert found["object-src"] == "'none'"


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/", None),
    ("POST", "/api/v1/lookup", {"order_number": "nope", "email": "nobody@example.com"}),
    ("GET", "/api/v1/admin/orders/1", None),
    ("GET", "/assets/retour.css", None),
])
def test_every_answer_is_nosniff_no_referrer_and_never_framed(
    client: Client, method: str, path: str, body: dict[str, str] | None
) -> None:
    if body is None:
        response = client.http.get(path)
    else:
        response = client.http.post(path, headers={"Content-Type": "application/json"}, body=json.dumps(body))
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def test_the_local_stage_sends_no_hsts(client: Client) -> None:
    # Loopback is plain HTTP: HSTS there would pin localhost to HTTPS in the developer's browser.
    assert "Strict-Transport-Security" not in client.http.get("/").headers


def test_a_deployed_stage_sends_hsts_on_every_answer() -> None:
    for content_type in ("text/html; charset=utf-8", "application/json"):
        response = Response(body="", headers={"Content-Type": content_type})
        add_security_headers(response, logo_url=None, local=False)
        hsts = response.headers["Strict-Transport-Security"]
        assert "includeSubDomains" in hsts
        assert int(hsts.split("max-age=")[1].split(";")[0]) >= 31536000


def test_the_store_logo_origin_is_the_only_other_image_source() -> None:
    images = directives(page_csp("https://cdn.shop.example/brand/logo.png?v=3"))["img-src"]
    assert images.split() == ["'self'", "https://cdn.shop.example"]
    # A plain-HTTP or odd logo URL never widens the policy.
    for odd in ("http://cdn.shop.example/logo.png", "javascript:alert(1)", "data:image/png;base64,xx"):
        assert directives(page_csp(odd))["img-src"] == "'self'"


def test_json_answers_may_load_nothing(client: Client) -> None:
    response = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"}, body=b"{}")
    assert directives(response.headers["Content-Security-Policy"])["default-src"] == "'none'"


def test_chalices_own_refusals_come_in_our_error_shape(client: Client) -> None:
    response = client.http.post("/api/v1/lookup", headers={"Content-Type": "text/plain"}, body=b"{}")
    assert response.status_code == 415
    assert response.json_body == {"error": {"code": "unsupported_media_type",
                                            "message": "Unsupported media type: text/plain"}}
    assert response.headers["X-Content-Type-Options"] == "nosniff"
