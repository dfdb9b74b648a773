"""photos: where S3 sends the browser after a photo upload (templates/pages/status.html holds the form).

S3 answers the form's POST with a 303 to this page, the object's key appended. The upload token
in the query was signed, when the form was drawn, for that very key: it is the credential, so a
browser whose cookies did not come along (another browser, a cleared session) still gets its
photo recorded. Nothing but that one object can be recorded, once; the status page then says
what happened, beside the item's own form.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from chalice.app import Response

from ...domain.errors import AuthenticationError, NotFoundError
from ...domain.return_photos import PhotoLimitReachedError, PhotoRefusedError, PhotosClosedError
from ...services.read_return import read_return
from ...services.return_photos import accept_photo
from ...services.shopper_order import shopper_order
from . import shopper_pages
from .page import Page, error_page, shopper_view


@shopper_view(shopper_pages, "/returns/{rma}/photos", methods=["GET"])
def photo_uploaded(page: Page, rma: str) -> Response:
    """Check and record the photo S3 just stored, then back to the status page saying how it went."""
    query: Mapping[str, str] = page.request.query_params or {}
    line_id, token, key = query.get("line", ""), query.get("upload", ""), query.get("key", "")
    try:
        request = read_return(page.deps, rma, order_number=None)
        policy = shopper_order(page.deps, request.order_number).policy
        accept_photo(page.deps, request, policy, line_id=line_id, token=token, key=key)
        outcome = "added"
    except AuthenticationError:
        return error_page(page, 403, page._("This upload link is not valid. Open your return again and add the photo once more."))
    except PhotoRefusedError as refused:
        outcome = "too_large" if refused.why == "too_large" else "not_an_image"
    except PhotoLimitReachedError:
        outcome = "limit"
    except PhotosClosedError:
        outcome = "closed"
    except NotFoundError as missing:
        if missing.code != "photo_not_found":
            raise
        outcome = "missing"
    return page.redirect(f"/returns/{request.rma}?" + urlencode({"photo": outcome, "line": line_id})
                         + f"#photos-{line_id}")
