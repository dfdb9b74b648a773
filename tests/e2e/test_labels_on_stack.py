"""The label download on a running `make run` stack: JSON API, redirect, presigned S3 link, PDF."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from tests.e2e.test_make_run import Stack


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def call(method: str, url: str, body: dict[str, Any] | None = None, token: str | None = None) -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with _opener.open(request, timeout=15) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def token(stack: Stack, number: str, email: str) -> str:
    status, _, body = call("POST", stack.app_url + "/api/v1/lookup", {"order_number": number, "email": email})
    assert status == 200, body
    return str(json.loads(body)["token"])


def test_a_shopper_downloads_the_label_through_the_redirect_and_no_one_else_can(stack: Stack) -> None:
    mine = token(stack, "1002", "emily.carter@example.com")
    status, _, body = call("POST", stack.app_url + "/api/v1/returns", {
        "order_number": "1002", "resolution": "refund",
        "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}],
    }, token=mine)
    assert status == 201, body
    created = json.loads(body)
    assert created["status"] == "approved"
    label = f"{stack.app_url}/api/v1/returns/{created['rma']}/label.pdf?size=a4"

    status, headers, _ = call("GET", label, token=mine)
    assert status == 302
    with urllib.request.urlopen(headers["Location"], timeout=15) as pdf:
        assert pdf.read(5) == b"%PDF-"

    theirs = token(stack, "1001", "aiko.yamada@example.jp")
    status, headers, body = call("GET", label, token=theirs)
    assert status == 404
    assert "Location" not in headers
    assert json.loads(body)["error"]["code"]
