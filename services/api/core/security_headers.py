"""Headers every answer carries, so a browser treats our bytes only as what we say they are.

Every response: ``X-Content-Type-Options: nosniff`` and a ``Referrer-Policy`` that tells
other sites (the map tile server) our origin but never a page's path. HTML (the pages
under ``/app`` and the route sheets) gets a Content-Security-Policy with no inline script
or style at all (an inline ``<style>`` block is admitted only by its hash), no framing,
and images only from us and the configured map tile host. Everything else gets a policy
that loads nothing and may not be framed. The OpenAPI viewer under ``/schema`` is
Litestar's Redoc page (an inline start script, Redoc's bundle from our static files and
its web worker from a blob), so it gets no policy; it loads nothing from elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from urllib.parse import urlsplit

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

REFERRER_POLICY = "strict-origin-when-cross-origin"
NOT_A_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'"
DOCS_PREFIX = "/schema"


def page_policy(map_tile_url: str | None, inline_styles: Iterable[str] = ()) -> str:
    """The pages' Content-Security-Policy; ``inline_styles`` are the exact texts of the
    ``<style>`` blocks a page may carry."""
    styles = ["'self'", *(f"'sha256-{_sha256(text)}'" for text in inline_styles)]
    images = ["'self'"]
    if map_tile_url:
        tiles = urlsplit(map_tile_url)
        images.append(f"{tiles.scheme}://{tiles.netloc}")
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src " + " ".join(styles),
            "img-src " + " ".join(images),
            "connect-src 'self'",  # the run pages' event streams
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeaders:
    """A ``before_send`` hook; a header a handler set itself is left as it is."""

    def __init__(self, page_policy: str) -> None:
        self.page_policy = page_policy

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", REFERRER_POLICY)
        path = scope.get("path", "")
        if path == DOCS_PREFIX or path.startswith(DOCS_PREFIX + "/"):
            return
        is_html = (headers.get("content-type") or "").startswith("text/html")
        headers.setdefault(
            "Content-Security-Policy", self.page_policy if is_html else NOT_A_PAGE_POLICY
        )


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
