"""The label download over HTTP: a redirect to the stored PDF for the shopper who holds the order."""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit
from urllib.request import urlopen

import pytest
from chalice.test import Client
from pypdf import PdfReader

from chalicelib.bootstrap import get_deps
from tests.documents import an_order_document, days_ago
from tests.dynamodb_faults import NOTHING_YET, BehindReplica, replica_behind, return_partition
from tests.functional.conftest import ADMIN, LABEL_BUCKET, put_policy


ORDERS = {
    # Delivered five days ago: inside the window, so a return is approved at once.
    "8101": an_order_document(number="8101", placed_at=days_ago(7), delivered_at=days_ago(5)),
    "8102": an_order_document(number="8102", email="sam@example.com", locale="en", currency="USD",
                              placed_at=days_ago(7), delivered_at=days_ago(5)),
    # Past the window, inside the grace: the merchant decides first.
    "8103": an_order_document(number="8103", placed_at=days_ago(50), delivered_at=days_ago(45)),
}


@pytest.fixture(scope="module")
def returns(client: Client, s3: Any) -> dict[str, tuple[str, str]]:
    """Order number -> (its shopper's token, the RMA of a return of one tee)."""
    put_policy(client)
    made = {}
    for number, document in ORDERS.items():
        response = client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(document))
        assert response.status_code == 201, response.json_body
        lookup = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                                  body=json.dumps({"order_number": number, "email": document["email"]}))
        token = lookup.json_body["token"]
        created = client.http.post(
            "/api/v1/returns",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            body=json.dumps({"order_number": number, "resolution": "refund",
                             "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]}),
        )
        assert created.status_code == 201, created.json_body
        made[number] = (token, created.json_body["rma"])
    return made


def get_label(client: Client, token: str, rma: str, query: str = "") -> Any:
    return client.http.get(f"/api/v1/returns/{rma}/label.pdf{query}",
                           headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize(("query", "size", "width"), [("", "4x6", 288), ("?size=a4", "a4", 595.28),
                                                      ("?size=letter", "letter", 612)])
def test_the_shopper_is_redirected_to_their_label_for_15_minutes(
    client: Client, returns: dict[str, tuple[str, str]], s3: Any, query: str, size: str, width: float,
) -> None:
    token, rma = returns["8101"]

    response = get_label(client, token, rma, query)

    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "no-store"
    location = response.headers["Location"]
    assert parse_qs(urlsplit(location).query)["X-Amz-Expires"] == ["900"]
    with urlopen(location, timeout=10) as download:
        pdf = download.read()
        assert download.headers["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf))
    assert float(reader.pages[0].mediabox.width) == pytest.approx(width, abs=0.01)
    assert rma in reader.pages[0].extract_text() and "山田 愛子" in reader.pages[0].extract_text()
    stored = s3.head_object(Bucket=LABEL_BUCKET, Key=f"labels/{rma}/{size}.pdf")
    assert stored["ServerSideEncryption"] == "AES256"


def test_a_deleted_label_is_rendered_again(client: Client, returns: dict[str, tuple[str, str]], s3: Any) -> None:
    token, rma = returns["8101"]
    assert get_label(client, token, rma).status_code == 302
    s3.delete_object(Bucket=LABEL_BUCKET, Key=f"labels/{rma}/4x6.pdf")

    response = get_label(client, token, rma)

    assert response.status_code == 302
    with urlopen(response.headers["Location"], timeout=10) as download:
        assert download.read().startswith(b"%PDF")


def test_another_orders_token_gets_the_same_404_as_a_missing_return(
    client: Client, returns: dict[str, tuple[str, str]],
) -> None:
    other_token, _ = returns["8102"]
    _, rma = returns["8101"]

    theirs = get_label(client, other_token, rma)
    missing = get_label(client, other_token, "R-0000-0000")

    assert theirs.status_code == missing.status_code == 404
    assert theirs.json_body == missing.json_body
    assert "Location" not in theirs.headers


def test_a_bad_size_is_refused(client: Client, returns: dict[str, tuple[str, str]]) -> None:
    token, rma = returns["8101"]

    response = get_label(client, token, rma, "?size=a3")

    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "invalid_size"


def test_no_label_before_the_merchant_approves(client: Client, returns: dict[str, tuple[str, str]]) -> None:
    token, rma = returns["8103"]

    response = get_label(client, token, rma)

    assert response.status_code == 409
    assert response.json_body["error"]["code"] == "label_not_ready"


def test_a_label_needs_a_shopper_token(client: Client, returns: dict[str, tuple[str, str]]) -> None:
    _, rma = returns["8101"]

    assert client.http.get(f"/api/v1/returns/{rma}/label.pdf").status_code == 401
    assert get_label(client, "not-a-token", rma).status_code == 401


def test_a_cancelled_returns_label_is_no_longer_served(client: Client, returns: dict[str, tuple[str, str]], s3: Any) -> None:
    token, rma = returns["8102"]
    assert get_label(client, token, rma).status_code == 302  # printed before the shopper changed their mind
    cancelled = client.http.post(f"/api/v1/returns/{rma}/cancel", headers={"Authorization": f"Bearer {token}"})
    assert cancelled.status_code == 200, cancelled.json_body

    for size in ("", "?size=a4", "?size=letter"):
        response = get_label(client, token, rma, size)
        assert response.status_code == 409
        assert response.json_body["error"]["code"] == "return_cancelled"
        assert "Location" not in response.headers


# --- the eventually consistent read of the label path ----------------------------------------------


def a_new_return(client: Client, number: str, *, late: bool) -> tuple[str, str]:
    """(token, RMA) of a return of one tee on a new order (past the window when `late`)."""
    document = (an_order_document(number=number, placed_at=days_ago(50), delivered_at=days_ago(45)) if late
                else an_order_document(number=number, placed_at=days_ago(7), delivered_at=days_ago(5)))
    assert client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(document)).status_code == 201
    token = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                             body=json.dumps({"order_number": number, "email": document["email"]})).json_body["token"]
    created = client.http.post(
        "/api/v1/returns", headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        body=json.dumps({"order_number": number, "resolution": "refund",
                         "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]}))
    assert created.status_code == 201, created.json_body
    return token, created.json_body["rma"]


def label_behind(client: Client, token: str, rma: str, copy: dict[str, Any]) -> tuple[Any, BehindReplica]:
    """The label asked for while eventually consistent reads of the return answer `copy`."""
    with replica_behind(get_deps(), rma, copy) as replica:
        return get_label(client, token, rma), replica


def test_a_label_asked_for_before_a_replica_has_the_new_return_is_still_given(client: Client, s3: Any) -> None:
    token, rma = a_new_return(client, "8104", late=False)
    response, replica = label_behind(client, token, rma, NOTHING_YET)
    assert replica.served, "the label path did not read eventually consistent first"
    assert response.status_code == 302, response.body


def test_a_label_asked_for_when_a_replica_still_shows_the_return_pending_is_given(client: Client, s3: Any) -> None:
    token, rma = a_new_return(client, "8105", late=True)
    pending = return_partition(get_deps(), rma)
    approved = client.http.post(f"/api/v1/admin/returns/{rma}/approve", headers=ADMIN, body=json.dumps({"note": ""}))
    assert approved.status_code == 200, approved.json_body
    response, replica = label_behind(client, token, rma, pending)
    assert replica.served
    assert response.status_code == 302, response.body


def test_a_label_of_a_pending_return_is_still_refused_after_the_second_look(
    client: Client, returns: dict[str, tuple[str, str]],
) -> None:
    token, rma = returns["8103"]
    response, replica = label_behind(client, token, rma, return_partition(get_deps(), rma))
    assert replica.served
    assert response.status_code == 409 and response.json_body["error"]["code"] == "label_not_ready"
