"""Promotion codes for the local Stripe: localstripe has Coupons but no PromotionCode at all.

Added through localstripe's own extension points (a StripeObject subclass, routes on its aiohttp
app before it starts), with what Retour uses of the real API: create (`promotion[coupon]`, or
the older `coupon`; `code`, `customer`, `max_redemptions`, `metadata`), retrieve, update
(`active`, `metadata`) and list (`code`, `coupon`, `active`). A create carrying an
Idempotency-Key answers a repeat with the first object, as Stripe does (localstripe ignores keys).
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from localstripe.errors import UserError
from localstripe.resources import Coupon, List, StripeObject, store, try_convert_to_int
from localstripe.server import get_post_data, json_response, unflatten_data

_CODE = re.compile(r"^[A-Za-z0-9-]{1,500}$")
# Idempotency-Key -> the promotion code its first create made (per server process).
_created_by_key: dict[str, str] = {}


class PromotionCode(StripeObject):  # type: ignore[misc]  # localstripe is untyped
    """A customer-facing code for a Coupon."""

    object = "promotion_code"
    _id_prefix = "promo_"

    def __init__(self, promotion: Any = None, coupon: str | None = None, code: str | None = None,
                 customer: str | None = None, max_redemptions: Any = None, metadata: Any = None,
                 active: Any = None, expires_at: Any = None, **kwargs: Any) -> None:
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        coupon_id = (promotion or {}).get("coupon") if isinstance(promotion, dict) else None
        coupon_id = coupon_id or coupon
        max_redemptions = try_convert_to_int(max_redemptions)
        if coupon_id is None or store.get("coupon:" + str(coupon_id)) is None:
            raise UserError(400, "No such coupon")
        if code is not None and not _CODE.match(code):
            raise UserError(400, "Invalid code")
        if max_redemptions is not None and (type(max_redemptions) is not int or max_redemptions < 1):
            raise UserError(400, "Invalid max_redemptions")
        if code is not None and any(
            key.startswith("promotion_code:") and value.active and value.code.upper() == code.upper()
            and value.customer == customer
            for key, value in store.items()
        ):
            raise UserError(400, "An active promotion code with this code already exists")
        super().__init__()
        self.promotion = {"type": "coupon", "coupon": coupon_id}
        self.code = code or self.id[len(self._id_prefix):].upper()
        self.customer = customer
        self.max_redemptions = max_redemptions
        self.times_redeemed = 0
        self.active = active not in (False, "false")
        self.expires_at = try_convert_to_int(expires_at)
        self.metadata = metadata or {}

    def _update(self, **data: Any) -> None:
        if set(data) - {"active", "metadata"}:
            raise UserError(400, "Only active and metadata can be updated")
        if "active" in data:
            data["active"] = data["active"] not in (False, "false")
        super()._update(**data)


async def _create(request: web.Request) -> web.Response:
    data = await get_post_data(request) or {}
    data.pop("expand", None)
    key = request.headers.get("Idempotency-Key")
    if key and key in _created_by_key:
        return json_response(PromotionCode._api_retrieve(_created_by_key[key])._export())
    created = PromotionCode(**data)
    if key:
        _created_by_key[key] = created.id
    return json_response(created._export())


def _retrieve(request: web.Request) -> web.Response:
    return json_response(PromotionCode._api_retrieve(request.match_info["id"])._export())


async def _update(request: web.Request) -> web.Response:
    data = await get_post_data(request) or {}
    data.pop("expand", None)
    return json_response(PromotionCode._api_update(request.match_info["id"], **data)._export())


def _list(request: web.Request) -> web.Response:
    query = unflatten_data(request.query) or {}
    codes = [value for key, value in store.items() if key.startswith("promotion_code:")]
    if "code" in query:
        codes = [c for c in codes if c.code.upper() == str(query["code"]).upper()]
    if "coupon" in query:
        codes = [c for c in codes if c.promotion["coupon"] == query["coupon"]]
    if "active" in query:
        codes = [c for c in codes if c.active == (query["active"] == "true")]
    found = List("/v1/promotion_codes", limit=query.get("limit"))
    found._list = codes
    return json_response(found._export())


def add_promotion_codes(app: web.Application) -> None:
    """Route /v1/promotion_codes on localstripe's app (before it starts: its router then freezes)."""
    app.router.add_route("POST", "/v1/promotion_codes", _create)
    app.router.add_route("GET", "/v1/promotion_codes", _list)
    app.router.add_route("GET", "/v1/promotion_codes/{id}", _retrieve)
    app.router.add_route("POST", "/v1/promotion_codes/{id}", _update)
    _created_by_key.clear()


__all__ = ["Coupon", "PromotionCode", "add_promotion_codes"]
