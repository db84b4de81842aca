"""People for tests: a person of the organisation a token acts for, signed in.

The sign-in itself (links by mail, passwords) is tested through the pages in
``tests/browser`` and ``tests/integration/accounts``; tests of other pages start from a
session made here, straight in the database as the sign-in makes one.
"""

from __future__ import annotations

import datetime as dt
import secrets
from uuid import UUID

from services.api.auth.sessions import COOKIE, new_secret
from services.api.auth.tokens import hash_token
from shared.db import persons as persons_db
from shared.db import sessions as sessions_db
from shared.db import tokens as tokens_db
from shared.db.pool import Pool
from shared.security.passwords import hash_password

PASSWORD = "en lång fras att minnas"


async def person_for(
    pool: Pool, token: str, *, password: str | None = None, language: str = "sv"
) -> tuple[UUID, str]:
    """A new person (id, e-mail) of the token's organisation, an admin of it; a deployment
    admin for an admin token."""
    person_id, email, _ = await _new_person(pool, token, password, language)
    return person_id, email


async def _new_person(
    pool: Pool, token: str, password: str | None, language: str
) -> tuple[UUID, str, UUID | None]:
    """``person_for``, and the organisation the person is of (None: a deployment admin)."""
    email = f"person-{secrets.token_hex(6)}@example.org"
    async with pool.acquire() as conn:
        row = await tokens_db.select_token_actor(conn, hash_token(token))
        assert row is not None, "not a token"
        async with conn.transaction():
            person_id = await persons_db.insert_person(
                conn, email, "Test Person", language, is_admin=row["is_admin"]
            )
            if row["organisation_id"] is not None:
                await persons_db.upsert_member(conn, person_id, row["organisation_id"], "admin")
            if password is not None:
                await persons_db.set_password(conn, person_id, await hash_password(password))
    return person_id, email, row["organisation_id"]


async def session_for(pool: Pool, token: str) -> str:
    """A session cookie's value for a new person of the token's organisation."""
    person_id, _, organisation_id = await _new_person(pool, token, None, "sv")
    secret = new_secret()
    async with pool.acquire() as conn:
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        await sessions_db.insert_session(
            conn, secret.hash, person_id, organisation_id, expires, "tests", "127.0.0.1"
        )
    return secret.value


async def session_cookies(pool: Pool, token: str) -> dict[str, str]:
    return {COOKIE: await session_for(pool, token)}
