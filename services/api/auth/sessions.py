"""The pages' sessions: an opaque random id in an HttpOnly cookie, kept server-side.

Only a SHA-256 of the cookie's value is stored (``web_session``), so a copy of the
database signs nobody in. The cookie is ``SameSite=Lax`` so a link from a mail client
arrives signed in; form posts are still refused from other sites by the pages' Origin
check (``web/pages.same_site``). It is ``Secure`` when the page was served over HTTPS
and honoured under /app only: the API takes bearer tokens alone.

The same opaque secrets (a random value shown once, its hash stored) make the e-mailed
sign-in links and invitations.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import NamedTuple

from litestar.datastructures import Cookie

COOKIE = "samlast_session"
PAGES = "/app"
SECRET_BYTES = 32


class Secret(NamedTuple):
    value: str  # handed out once (a cookie, a link), never stored
    hash: bytes


def new_secret() -> Secret:
    value = secrets.token_urlsafe(SECRET_BYTES)
    return Secret(value, hash_secret(value))


def hash_secret(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def is_plausible(value: str) -> bool:
    """Shape only: garbage is turned away without a database lookup."""
    return 32 <= len(value) <= 64 and all(c.isalnum() or c in "-_" for c in value)


def session_cookie(value: str, *, secure: bool, max_age: int) -> Cookie:
    return Cookie(
        key=COOKIE,
        value=value,
        path=PAGES,
        httponly=True,
        secure=secure,
        samesite="lax",
        max_age=max_age,
    )
