"""photos: a shopper adds photos of a damaged item straight to the private bucket with a plain
form, the local S3 enforcing the POST policy; the app checks each upload is an image, keeps at
most 3 per line (also when two uploads race), shows them to the merchant, and deletes them."""

from __future__ import annotations

import html as html_lib
import json
import re
import threading
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from chalice.test import Client

from chalicelib.adapters.local_ses_outbox import sent_emails
from chalicelib.bootstrap import get_deps
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.return_photos import MAX_PHOTO_BYTES, PhotoLimitReachedError
from chalicelib.services.approval_links import issue_approval_link
from chalicelib.services.read_return import read_return
from chalicelib.services.return_photos import accept_photo, forget_photos, photos_of
from chalicelib.services.shopper_order import shopper_order
from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN, LABEL_BUCKET, console_cookie, put_policy
from tests.functional.test_shopper_pages import Browser, text

# The smallest PNG there is: one transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
FORM = re.compile(r'<form class="photo-form" method="post" enctype="multipart/form-data" action="([^"]+)">(.*?)</form>',
                  re.S)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def an_order(client: Client, number: str, *, delivered_days_ago: int = 5) -> str:
    email = f"photos{number}@example.com"
    document = an_order_document(number=number, email=email, locale="en", currency="USD",
                                 placed_at=days_ago(delivered_days_ago + 2),
                                 delivered_at=days_ago(delivered_days_ago))
    response = client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(document))
    assert response.status_code in (200, 201), response.json_body
    return email


def a_damaged_return(client: Client, number: str, *, delivered_days_ago: int = 5,
                     reason: str = "damaged") -> tuple[Browser, str]:
    """A shopper signed in to order `number` and their return of one damaged tee (line L1)."""
    email = an_order(client, number, delivered_days_ago=delivered_days_ago)
    shopper = Browser(client)
    assert shopper.post("/lookup", {"order_number": number, "email": email}).status_code == 303
    token = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                             body=json.dumps({"order_number": number, "email": email})).json_body["token"]
    created = client.http.post(
        "/api/v1/returns", headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        body=json.dumps({"order_number": number, "resolution": "refund",
                         "lines": [{"line_id": "L1", "quantity": 1, "reason": reason,
                                    "note": "The seam is torn."}]}))
    assert created.status_code == 201, created.json_body
    return shopper, str(created.json_body["rma"])


def upload_form(page: Any) -> tuple[str, dict[str, str]]:
    """The status page's photo form: where it posts, and its hidden fields."""
    found = FORM.search(page.body.decode())
    assert found, "no photo form on the status page"
    return html_lib.unescape(found.group(1)), {k: html_lib.unescape(v) for k, v in HIDDEN.findall(found.group(2))}


def upload(shopper: Browser, rma: str, content: bytes, *, name: str = "photo.png") -> Any:
    """Choose a file on the status page and send the form, as the browser would: straight to S3,
    then follow S3's redirect back to the app; the app's answer."""
    action, fields = upload_form(shopper.get(f"/returns/{rma}"))
    posted = requests.post(action, data=fields, files={"file": (name, content, "image/png")},
                           allow_redirects=False, timeout=30)
    assert posted.status_code == 303, posted.text
    back = urlsplit(posted.headers["Location"])
    return shopper.get(f"{back.path}?{back.query}")


def test_the_confirmation_page_leads_a_damaged_item_to_the_photo_form(client: Client, s3: Any) -> None:
    # The shopper lands on the confirmation page: it says photos help and links to the form.
    shopper, rma = a_damaged_return(client, "6190")
    page = shopper.get(f"/returns/{rma}/confirmation")
    assert page.status_code == 200, text(page)
    assert "Photos for the store" in text(page)
    assert f'href="/returns/{rma}#photos-heading">Add photos</a>' in page.body.decode()


def test_the_confirmation_page_of_a_return_without_damage_asks_for_no_photos(client: Client, s3: Any) -> None:
    shopper, rma = a_damaged_return(client, "6191", reason="too_small")
    page = shopper.get(f"/returns/{rma}/confirmation")
    assert page.status_code == 200, text(page)
    assert "Photos for the store" not in text(page) and "Add photos" not in text(page)


def test_the_status_page_offers_a_plain_form_that_posts_to_the_bucket_under_a_policy(
        client: Client, s3: Any, aws_endpoint: str) -> None:
    shopper, rma = a_damaged_return(client, "8101")
    page = shopper.get(f"/returns/{rma}")
    action, fields = upload_form(page)

    assert action == f"{aws_endpoint}/{LABEL_BUCKET}"
    assert fields["key"].startswith(f"returns/{rma}/photos/L1/")
    assert fields["Content-Type"] == "image/*"
    assert fields["success_action_redirect"].startswith(f"http://127.0.0.1:8000/returns/{rma}/photos?line=L1&upload=")
    assert {"policy", "x-amz-signature", "x-amz-credential"} <= set(fields)
    body = text(page)
    assert "Add a photo of Organic tee — navy, M" in body and "You can add 3 more." in body
    # The page may post there (CSP form-action) and load its thumbnails from there (img-src).
    csp = page.headers["Content-Security-Policy"]
    assert f"form-action 'self' {aws_endpoint}" in csp and f"img-src 'self' {aws_endpoint}" in csp


def test_a_photo_goes_straight_to_the_bucket_and_is_recorded_on_the_return(client: Client, s3: Any) -> None:
    shopper, rma = a_damaged_return(client, "8102")

    back = upload(shopper, rma, PNG)

    assert back.status_code == 303
    assert back.headers["Location"] == f"/returns/{rma}?photo=added&line=L1#photos-L1"
    photos = photos_of(get_deps(), rma)["L1"]
    assert [(p.slot, p.content_type, p.size) for p in photos] == [(1, "image/png", len(PNG))]
    assert s3.get_object(Bucket=LABEL_BUCKET, Key=photos[0].key)["Body"].read() == PNG
    page = text(shopper.get(back.headers["Location"].split("#")[0]))
    assert "Your photo of Organic tee — navy, M was added." in page
    assert "You can add 2 more." in page and 'alt="Photo 1 of Organic tee — navy, M"' in page


def cancelled(shopper: Browser, rma: str) -> None:
    done = shopper.post(f"/returns/{rma}/cancel", {"csrf": shopper.csrf_of(f"/returns/{rma}/cancel"), "confirm": "yes"})
    assert done.status_code == 303, text(done)


def test_a_closed_return_asks_for_no_more_photos_and_keeps_the_ones_sent(client: Client, s3: Any) -> None:
    # Once the return is closed, "photos help the store decide, add up to 3" would contradict
    # the page: an item without photos drops out, an item with photos keeps them.
    shopper, rma = a_damaged_return(client, "8112")
    cancelled(shopper, rma)
    page = text(shopper.get(f"/returns/{rma}"))
    assert "Cancelled" in page
    assert "Photos for the store" not in page and "Photos help the store decide" not in page

    shopper, rma = a_damaged_return(client, "8113")
    assert upload(shopper, rma, PNG).status_code == 303
    cancelled(shopper, rma)
    page = text(shopper.get(f"/returns/{rma}"))
    assert "Photos for the store" in page and 'alt="Photo 1 of Organic tee — navy, M"' in page
    assert "Photos help the store decide" not in page and "Add a photo" not in page


def test_a_reload_of_the_page_s3_sent_back_records_the_photo_once(client: Client, s3: Any) -> None:
    shopper, rma = a_damaged_return(client, "8103")
    action, fields = upload_form(shopper.get(f"/returns/{rma}"))
    posted = requests.post(action, data=fields, files={"file": ("a.png", PNG, "image/png")},
                           allow_redirects=False, timeout=30)
    back = urlsplit(posted.headers["Location"])

    for _ in range(2):
        assert shopper.get(f"{back.path}?{back.query}").headers["Location"].startswith(f"/returns/{rma}?photo=added")

    assert len(photos_of(get_deps(), rma)["L1"]) == 1


def test_a_file_that_is_no_image_is_refused_deleted_and_the_shopper_told_beside_the_item(
        client: Client, s3: Any) -> None:
    shopper, rma = a_damaged_return(client, "8104")

    back = upload(shopper, rma, b"%PDF-1.7 not a photo at all", name="invoice.png")

    assert back.headers["Location"] == f"/returns/{rma}?photo=not_an_image&line=L1#photos-L1"
    assert photos_of(get_deps(), rma) == {}
    assert s3.list_objects_v2(Bucket=LABEL_BUCKET, Prefix=f"returns/{rma}/").get("KeyCount") == 0
    page = shopper.get(back.headers["Location"].split("#")[0]).body.decode()
    error = re.search(r'<p class="field-error" id="photo-error-L1">([^<]+)</p>', page)
    assert error and "The file for Organic tee — navy, M is not a photo we can use" in html_lib.unescape(error.group(1))
    assert 'aria-describedby="photo-hint-L1 photo-error-L1"' in page


def test_the_bucket_refuses_a_file_over_the_size_limit_and_anything_the_policy_does_not_allow(
        client: Client, s3: Any) -> None:
    shopper, rma = a_damaged_return(client, "8105")
    action, fields = upload_form(shopper.get(f"/returns/{rma}"))

    too_big = requests.post(action, data=fields, files={"file": ("big.png", PNG + b"\0" * MAX_PHOTO_BYTES)},
                            allow_redirects=False, timeout=60)
    assert too_big.status_code == 400 and "EntityTooLarge" in too_big.text
    elsewhere = requests.post(action, data={**fields, "key": f"labels/{rma}/4x6.pdf"}, files={"file": PNG},
                              allow_redirects=False, timeout=30)
    assert elsewhere.status_code == 403 and "AccessDenied" in elsewhere.text
    not_image = requests.post(action, data={**fields, "Content-Type": "text/html"}, files={"file": PNG},
                              allow_redirects=False, timeout=30)
    assert not_image.status_code == 403
    assert s3.list_objects_v2(Bucket=LABEL_BUCKET, Prefix=f"returns/{rma}/").get("KeyCount") == 0
    assert s3.list_objects_v2(Bucket=LABEL_BUCKET, Prefix=f"labels/{rma}/").get("KeyCount") == 0


def test_a_fourth_photo_is_refused_and_deleted(client: Client, s3: Any) -> None:
    shopper, rma = a_damaged_return(client, "8106")
    for _ in range(3):
        assert "photo=added" in upload(shopper, rma, PNG).headers["Location"]
    page = shopper.get(f"/returns/{rma}")
    assert FORM.search(page.body.decode()) is None and "This item has its 3 photos." in text(page)

    # A fourth, through a form drawn before the third landed (another tab): refused and deleted.
    deps = get_deps()
    key = f"returns/{rma}/photos/L1/{'f' * 32}"
    s3.put_object(Bucket=LABEL_BUCKET, Key=key, Body=PNG)
    token = deps.tokens.issue(f"{rma}|L1|{key}", purpose="return_photo", now=deps.clock.now(),
                              ttl=timedelta(hours=1))
    back = shopper.get(f"/returns/{rma}/photos?line=L1&upload={token}&key={key}&bucket={LABEL_BUCKET}")

    assert back.headers["Location"] == f"/returns/{rma}?photo=limit&line=L1#photos-L1"
    assert len(photos_of(deps, rma)["L1"]) == 3
    assert key not in [o["Key"] for o in s3.list_objects_v2(Bucket=LABEL_BUCKET, Prefix=f"returns/{rma}/")["Contents"]]


def test_two_uploads_racing_for_the_last_slot_keep_one(client: Client, s3: Any) -> None:
    shopper, rma = a_damaged_return(client, "8107")
    for _ in range(2):
        upload(shopper, rma, PNG)
    deps = get_deps()
    request = read_return(deps, rma, order_number=None)
    policy = shopper_order(deps, request.order_number).policy
    keys = [f"returns/{rma}/photos/L1/{c * 32}" for c in "ab"]
    tokens = []
    for key in keys:
        s3.put_object(Bucket=LABEL_BUCKET, Key=key, Body=PNG)
        tokens.append(deps.tokens.issue(f"{rma}|L1|{key}", purpose="return_photo", now=deps.clock.now(),
                                        ttl=timedelta(hours=1)))
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def add(key: str, token: str) -> None:
        start.wait()
        try:
            accept_photo(deps, request, policy, line_id="L1", token=token, key=key)
            outcomes.append("kept")
        except PhotoLimitReachedError:
            outcomes.append("refused")

    threads = [threading.Thread(target=add, args=pair) for pair in zip(keys, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["kept", "refused"]
    assert [p.slot for p in photos_of(deps, rma)["L1"]] == [1, 2, 3]
    left = {o["Key"] for o in s3.list_objects_v2(Bucket=LABEL_BUCKET, Prefix=f"returns/{rma}/photos/L1/")["Contents"]}
    assert len(left & set(keys)) == 1


def test_a_line_returned_for_a_reason_without_photos_gets_no_form(client: Client, s3: Any) -> None:
    shopper, rma = a_damaged_return(client, "8108", reason="too_small")
    page = shopper.get(f"/returns/{rma}")
    assert FORM.search(page.body.decode()) is None and "Photos for the store" not in text(page)


def test_a_forged_upload_link_records_nothing(client: Client, s3: Any) -> None:
    shopper, rma = a_damaged_return(client, "8109")
    key = f"returns/{rma}/photos/L1/{'c' * 32}"
    s3.put_object(Bucket=LABEL_BUCKET, Key=key, Body=PNG)
    action, fields = upload_form(shopper.get(f"/returns/{rma}"))
    token = re.search(r"upload=([^&]+)", fields["success_action_redirect"])
    assert token
    # A genuine token of another key does not pass for this one.
    answer = shopper.get(f"/returns/{rma}/photos?line=L1&upload={token.group(1)}&key={key}")
    assert answer.status_code == 403
    assert shopper.get(f"/returns/{rma}/photos?line=L1&upload={token.group(1)}&key=%E2%9C%93").status_code == 403
    assert photos_of(get_deps(), rma) == {}


def test_the_merchant_sees_the_photos_on_the_approval_page_and_they_go_with_the_return(
        client: Client, s3: Any, aws_endpoint: str) -> None:
    # Delivered 45 days ago: past the window, inside the grace, so the store must approve it.
    shopper, rma = a_damaged_return(client, "8110", delivered_days_ago=45)
    # The approval email goes before any photo: it says where they will show.
    emails = [e for e in sent_emails(aws_endpoint) if rma in e.subject and e.to == "returns@merchant.example"]
    assert emails, "no approval email"
    assert "The shopper can add up to 3 photos of this item" in emails[0].text
    upload(shopper, rma, PNG)
    deps = get_deps()
    token, _ = issue_approval_link(deps, read_return(deps, rma, order_number=None), approver="returns@merchant.example",
                                   policy=DEFAULT_POLICY, now=deps.clock.now())
    page = client.http.get(f"/merchant/approvals/{token}")

    assert page.status_code == 200
    body = page.body.decode()
    thumbs = re.findall(r'<img src="([^"]+)" alt="([^"]+)"', body)
    assert [alt for _, alt in thumbs] == ["Photo 1 of Organic tee — navy, M"]
    link = html_lib.unescape(thumbs[0][0])
    assert link.startswith(f"{aws_endpoint}/{LABEL_BUCKET}/returns/{rma}/photos/L1/") and "X-Amz-Expires=900" in link
    assert requests.get(link, timeout=30).content == PNG
    assert f"img-src 'self' {aws_endpoint}" in page.headers["Content-Security-Policy"]
    # The console's return page shows them too.
    console = client.http.get(f"/console/returns/{rma}", headers=console_cookie("agent"))
    assert console.status_code == 200
    assert 'alt="Photo 1 of Organic tee — navy, M"' in console.body.decode()
    assert f"img-src 'self' {aws_endpoint}" in console.headers["Content-Security-Policy"]

    assert forget_photos(deps, rma) == 1
    assert photos_of(deps, rma) == {}
    assert s3.list_objects_v2(Bucket=LABEL_BUCKET, Prefix=f"returns/{rma}/").get("KeyCount") == 0


def test_a_store_that_turns_photos_off_for_a_reason_gets_no_photos_for_it(client: Client, s3: Any) -> None:
    reasons = [{"code": "damaged", "requires_note": True, "waive_fees": True, "accepts_photos": False},
               {"code": "scratched", "accepts_photos": True}]
    stored = put_policy(client, reasons=reasons)
    try:
        assert [r["accepts_photos"] for r in stored["reasons"]] == [False, True]
        shopper, rma = a_damaged_return(client, "8111")
        assert FORM.search(shopper.get(f"/returns/{rma}").body.decode()) is None
        shopper, rma = a_damaged_return(client, "8112", reason="scratched")
        assert upload_form(shopper.get(f"/returns/{rma}"))[1]["key"].startswith(f"returns/{rma}/photos/L1/")
    finally:
        put_policy(client, reasons=[{"code": r.code, "requires_note": r.requires_note, "waive_fees": r.waive_fees}
                                    for r in DEFAULT_POLICY.reasons])


def test_the_status_page_reads_the_returns_photos_once(client: Client, s3: Any) -> None:
    """Its thumbnails and its forms come from one Query of the photo records, not one each."""
    shopper, rma = a_damaged_return(client, "8119")
    upload(shopper, rma, PNG)
    dynamodb = get_deps().photo_records._client  # type: ignore[attr-defined]
    photo_queries: list[str] = []

    def count(params: dict[str, Any], **_: Any) -> None:
        if "begins_with(sk, :photo)" in params.get("KeyConditionExpression", ""):
            photo_queries.append(params["ExpressionAttributeValues"][":pk"]["S"])

    dynamodb.meta.events.register("provide-client-params.dynamodb.Query", count)
    try:
        page = text(shopper.get(f"/returns/{rma}"))
    finally:
        dynamodb.meta.events.unregister("provide-client-params.dynamodb.Query", count)
    assert 'alt="Photo 1 of Organic tee — navy, M"' in page and "You can add 2 more." in page
    assert photo_queries == [f"RETURN#{rma}"]
