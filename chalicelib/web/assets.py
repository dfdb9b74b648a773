"""Static assets of the pages (templates/assets/): our stylesheets and the store's accent colour.

The shopper's pages themselves are in web/pages/."""

from __future__ import annotations

import re

from chalice.app import Blueprint, Response

from ..bootstrap import get_deps
from .errors import json_error, route
from .html import asset

assets = Blueprint(__name__)

_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_CONTENT_TYPES = {"css": "text/css; charset=utf-8", "svg": "image/svg+xml", "js": "text/javascript; charset=utf-8"}


@route(assets, "/assets/theme.css", methods=["GET"])
def theme() -> Response:
    """The store's accent colour as a stylesheet, so pages need no inline style."""
    accent = get_deps().settings.store_accent_color
    if not _HEX_COLOUR.match(accent):
        accent = "#1f5f8b"
    return Response(
        body=f":root {{ --accent: {accent}; }}\n",
        headers={"Content-Type": "text/css; charset=utf-8", "Cache-Control": "public, max-age=300"},
    )


@route(assets, "/assets/{name}", methods=["GET"])
def static_asset(name: str) -> Response:
    """Our own CSS and images: no CDN, nothing fetched from elsewhere."""
    extension = name.rsplit(".", 1)[-1]
    content = asset(name) if extension in _CONTENT_TYPES else None
    if content is None:
        return json_error(404, "not_found", "no such asset")
    return Response(
        body=content.decode("utf-8"),
        headers={"Content-Type": _CONTENT_TYPES[extension], "Cache-Control": "public, max-age=3600"},
    )
