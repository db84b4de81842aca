"""The pages' sessions and the one-time sign-in links. Only hashes of secrets are kept."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import asyncpg

from shared.db.pool import Conn

INSERT_SESSION = """
INSERT INTO web_session (secret_hash, person_id, organisation_id, expires_at, user_agent,
                         address)
VALUES ($1, $2, $3, $4, left($5, 300), left($6, 100))
RETURNING id"""

# Who a session acts as, in one round trip: live (not revoked, inside both expiries),
# the organisation still the person's, marked seen at most once a minute.
SELECT_SESSION_ACTOR = """
WITH live AS (
    SELECT s.* FROM web_session s
    WHERE s.secret_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
      AND s.last_seen_at > now() - make_interval(secs => $2)
), touched AS (
    UPDATE web_session SET last_seen_at = now()
    WHERE id = (SELECT id FROM live) AND last_seen_at < now() - interval '1 minute'
)
SELECT s.id AS session_id, p.id AS person_id, p.is_admin, p.language, p.name AS person_name,
       o.id AS organisation_id, o.kind, o.name AS organisation_name, po.role,
       coalesce(array_agg(m.network_id) FILTER (WHERE m.network_id IS NOT NULL), '{}')
           AS network_ids
FROM live s
JOIN person p ON p.id = s.person_id
LEFT JOIN person_organisation po
    ON po.person_id = s.person_id AND po.organisation_id = s.organisation_id
LEFT JOIN organisation o ON o.id = po.organisation_id
LEFT JOIN membership m ON m.organisation_id = o.id
GROUP BY s.id, p.id, o.id, po.role"""

SELECT_SESSIONS = """
SELECT id, created_at, last_seen_at, expires_at, user_agent, address
FROM web_session
WHERE person_id = $1 AND revoked_at IS NULL AND expires_at > now()
  AND last_seen_at > now() - make_interval(secs => $2)
ORDER BY last_seen_at DESC, id"""

REVOKE_SESSION = """
UPDATE web_session SET revoked_at = now()
WHERE id = $1 AND person_id = $2 AND revoked_at IS NULL RETURNING id"""

REVOKE_SESSIONS = """
UPDATE web_session SET revoked_at = now()
WHERE person_id = $1 AND revoked_at IS NULL AND id IS DISTINCT FROM $2"""

SWITCH_ORGANISATION = """
UPDATE web_session SET organisation_id = $3
WHERE id = $1 AND person_id = $2 AND revoked_at IS NULL RETURNING id"""

INSERT_LINK = """
INSERT INTO sign_in_link (secret_hash, person_id, purpose, expires_at)
VALUES ($1, $2, $3, $4) RETURNING id"""

SELECT_LINK = """
SELECT l.id, l.person_id, l.purpose, l.expires_at, l.used_at, p.email, p.name, p.language
FROM sign_in_link l JOIN person p ON p.id = l.person_id
WHERE l.secret_hash = $1"""

# Single use: the link is taken once, and only while it is valid.
USE_LINK = """
UPDATE sign_in_link SET used_at = now()
WHERE id = $1 AND used_at IS NULL AND expires_at > now() RETURNING person_id"""

DELETE_EXPIRED = """
WITH links AS (
    DELETE FROM sign_in_link WHERE expires_at < now() - interval '1 day' RETURNING 1
), sessions AS (
    DELETE FROM web_session
    WHERE expires_at < now() - interval '1 day'
       OR revoked_at < now() - interval '30 days'
    RETURNING 1
)
SELECT (SELECT count(*) FROM links) + (SELECT count(*) FROM sessions)"""


async def insert_session(
    conn: Conn,
    secret_hash: bytes,
    person_id: UUID,
    organisation_id: UUID | None,
    expires_at: dt.datetime,
    user_agent: str,
    address: str,
) -> UUID:
    session_id: UUID = await conn.fetchval(
        INSERT_SESSION, secret_hash, person_id, organisation_id, expires_at, user_agent, address
    )
    return session_id


async def select_session_actor(
    conn: Conn, secret_hash: bytes, idle_s: float
) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_SESSION_ACTOR, secret_hash, idle_s)


async def select_sessions(conn: Conn, person_id: UUID, idle_s: float) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_SESSIONS, person_id, idle_s)


async def revoke_session(conn: Conn, session_id: UUID, person_id: UUID) -> bool:
    return await conn.fetchval(REVOKE_SESSION, session_id, person_id) is not None


async def revoke_sessions(conn: Conn, person_id: UUID, keep: UUID | None = None) -> None:
    """End every session of the person but ``keep``."""
    await conn.execute(REVOKE_SESSIONS, person_id, keep)


async def switch_organisation(
    conn: Conn, session_id: UUID, person_id: UUID, organisation_id: UUID | None
) -> bool:
    found = await conn.fetchval(SWITCH_ORGANISATION, session_id, person_id, organisation_id)
    return found is not None


async def insert_link(
    conn: Conn, secret_hash: bytes, person_id: UUID, purpose: str, expires_at: dt.datetime
) -> UUID:
    link_id: UUID = await conn.fetchval(INSERT_LINK, secret_hash, person_id, purpose, expires_at)
    return link_id


async def select_link(conn: Conn, secret_hash: bytes) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_LINK, secret_hash)


async def use_link(conn: Conn, link_id: UUID) -> UUID | None:
    person_id: UUID | None = await conn.fetchval(USE_LINK, link_id)
    return person_id


async def delete_expired(conn: Conn) -> int:
    """Links and sessions long past use; their count."""
    count: int = await conn.fetchval(DELETE_EXPIRED)
    return count
