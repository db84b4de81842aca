"""People, the organisations they belong to (with a role in each), and invitations."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import asyncpg

from shared.db.pool import Conn

PERSON_COLUMNS = """p.id, p.email, p.name, p.language, p.phone, p.is_admin, p.muted,
    p.password_hash IS NOT NULL AS has_password, p.created_at"""

SELECT_PERSON = f"SELECT {PERSON_COLUMNS} FROM person p WHERE p.id = $1"
SELECT_PERSON_BY_EMAIL = f"SELECT {PERSON_COLUMNS} FROM person p WHERE lower(p.email) = lower($1)"
SELECT_PASSWORD_HASH = "SELECT password_hash FROM person WHERE id = $1"

INSERT_PERSON = """
INSERT INTO person (email, name, language, phone, is_admin) VALUES ($1, $2, $3, $4, $5)
RETURNING id"""

UPDATE_PERSON = """
UPDATE person SET name = $2, language = $3, phone = $4, muted = $5, updated_at = now()
WHERE id = $1"""

MAKE_ADMIN = "UPDATE person SET is_admin = true, updated_at = now() WHERE id = $1"

# Only ever adds: a one-click unsubscribe turns one kind off, and nothing else.
MUTE = """
UPDATE person SET muted = CASE WHEN $2 = ANY(muted) THEN muted ELSE array_append(muted, $2) END,
    updated_at = now()
WHERE id = $1 RETURNING id"""

SET_PASSWORD = "UPDATE person SET password_hash = $2, updated_at = now() WHERE id = $1"

# The organisations a person acts for, with the networks each belongs to.
SELECT_ORGANISATIONS = """
SELECT o.id, o.name, o.kind, po.role,
       coalesce(array_agg(m.network_id) FILTER (WHERE m.network_id IS NOT NULL), '{}')
           AS network_ids
FROM person_organisation po
JOIN organisation o ON o.id = po.organisation_id
LEFT JOIN membership m ON m.organisation_id = o.id
WHERE po.person_id = $1
GROUP BY o.id, po.role
ORDER BY o.name, o.id"""

UPSERT_MEMBER = """
INSERT INTO person_organisation (person_id, organisation_id, role) VALUES ($1, $2, $3)
ON CONFLICT (person_id, organisation_id) DO UPDATE
    SET role = CASE WHEN person_organisation.role = 'admin' THEN 'admin' ELSE excluded.role END"""

SELECT_PEOPLE = """
SELECT p.id, p.email, p.name, p.language, po.role, po.created_at AS joined_at,
       (SELECT max(s.last_seen_at) FROM web_session s WHERE s.person_id = p.id) AS last_seen_at
FROM person_organisation po JOIN person p ON p.id = po.person_id
WHERE po.organisation_id = $1
ORDER BY p.name, p.id"""

DELETE_MEMBER = """
DELETE FROM person_organisation WHERE person_id = $1 AND organisation_id = $2 RETURNING role"""

COUNT_ADMINS = """
SELECT count(*) FROM person_organisation WHERE organisation_id = $1 AND role = 'admin'"""

# The people of an organisation to tell of an event, with their language and opt-outs.
SELECT_RECIPIENTS = """
SELECT p.id, p.email, p.name, p.language, p.muted, po.organisation_id
FROM person_organisation po JOIN person p ON p.id = po.person_id
WHERE po.organisation_id = ANY($1::uuid[]) AND p.email IS NOT NULL
ORDER BY po.organisation_id, p.id"""


async def select_person(conn: Conn, person_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_PERSON, person_id)


async def select_person_by_email(conn: Conn, email: str) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_PERSON_BY_EMAIL, email)


async def select_password_hash(conn: Conn, person_id: UUID) -> str | None:
    value: str | None = await conn.fetchval(SELECT_PASSWORD_HASH, person_id)
    return value


async def insert_person(
    conn: Conn, email: str, name: str, language: str, phone: str = "", *, is_admin: bool = False
) -> UUID:
    person_id: UUID = await conn.fetchval(INSERT_PERSON, email, name, language, phone, is_admin)
    return person_id


async def update_person(
    conn: Conn, person_id: UUID, name: str, language: str, phone: str, muted: list[str]
) -> None:
    await conn.execute(UPDATE_PERSON, person_id, name, language, phone, muted)


async def make_admin(conn: Conn, person_id: UUID) -> None:
    await conn.execute(MAKE_ADMIN, person_id)


async def mute(conn: Conn, person_id: UUID, kind: str) -> bool:
    """Turn ``kind`` of notification off for the person; False if there is no such person."""
    return await conn.fetchval(MUTE, person_id, kind) is not None


async def set_password(conn: Conn, person_id: UUID, password_hash: str | None) -> None:
    await conn.execute(SET_PASSWORD, person_id, password_hash)


async def select_organisations(conn: Conn, person_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_ORGANISATIONS, person_id)


async def upsert_member(conn: Conn, person_id: UUID, organisation_id: UUID, role: str) -> None:
    """Make the person a member of the organisation; an admin stays an admin."""
    await conn.execute(UPSERT_MEMBER, person_id, organisation_id, role)


async def select_people(conn: Conn, organisation_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_PEOPLE, organisation_id)


async def delete_member(conn: Conn, person_id: UUID, organisation_id: UUID) -> str | None:
    role: str | None = await conn.fetchval(DELETE_MEMBER, person_id, organisation_id)
    return role


async def count_admins(conn: Conn, organisation_id: UUID) -> int:
    count: int = await conn.fetchval(COUNT_ADMINS, organisation_id)
    return count


async def select_recipients(conn: Conn, organisation_ids: list[UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_RECIPIENTS, organisation_ids)


# -- invitations -------------------------------------------------------------------------

INVITATION_COLUMNS = """i.id, i.email, i.language, i.role, i.organisation_id,
    coalesce(o.name, i.organisation_name) AS organisation_name,
    coalesce(o.kind, i.organisation_kind) AS organisation_kind, i.network_id,
    n.name AS network_name, i.invited_by, ip.name AS invited_by_name, i.created_at,
    i.sent_at, i.times_sent, i.expires_at, i.accepted_at, i.withdrawn_at"""
INVITATION_FROM = """invitation i
LEFT JOIN organisation o ON o.id = i.organisation_id
LEFT JOIN network n ON n.id = i.network_id
LEFT JOIN person ip ON ip.id = i.invited_by"""

INSERT_INVITATION = """
INSERT INTO invitation (secret_hash, email, language, role, organisation_id, organisation_kind,
                        organisation_name, network_id, invited_by, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING id"""

SELECT_INVITATION = f"SELECT {INVITATION_COLUMNS} FROM {INVITATION_FROM} WHERE i.id = $1"
SELECT_INVITATION_BY_SECRET = (
    f"SELECT {INVITATION_COLUMNS} FROM {INVITATION_FROM} WHERE i.secret_hash = $1"
)

# What an organisation's admins or a network's coordinators see: newest first.
SELECT_INVITATIONS = f"""
SELECT {INVITATION_COLUMNS} FROM {INVITATION_FROM}
WHERE (i.organisation_id = $1 AND $1 IS NOT NULL) OR i.network_id = ANY($2::uuid[])
ORDER BY i.created_at DESC, i.id LIMIT 200"""

# Accepting is single use: only a pending, unexpired invitation is taken, once.
ACCEPT_INVITATION = """
UPDATE invitation SET accepted_at = now(), accepted_by = $2
WHERE id = $1 AND accepted_at IS NULL AND withdrawn_at IS NULL AND expires_at > now()
RETURNING id"""

WITHDRAW_INVITATION = """
UPDATE invitation SET withdrawn_at = now()
WHERE id = $1 AND accepted_at IS NULL AND withdrawn_at IS NULL RETURNING id"""

# Sending again makes a new link (the old one stops working) and a new week.
RESEND_INVITATION = """
UPDATE invitation SET secret_hash = $2, expires_at = $3, sent_at = now(),
    times_sent = times_sent + 1
WHERE id = $1 AND accepted_at IS NULL AND withdrawn_at IS NULL RETURNING id"""


async def insert_invitation(
    conn: Conn,
    secret_hash: bytes,
    email: str,
    language: str,
    role: str,
    *,
    organisation_id: UUID | None,
    organisation_kind: str | None,
    organisation_name: str | None,
    network_id: UUID | None,
    invited_by: UUID | None,
    expires_at: dt.datetime,
) -> UUID:
    invitation_id: UUID = await conn.fetchval(
        INSERT_INVITATION,
        secret_hash,
        email,
        language,
        role,
        organisation_id,
        organisation_kind,
        organisation_name,
        network_id,
        invited_by,
        expires_at,
    )
    return invitation_id


async def select_invitation(conn: Conn, invitation_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_INVITATION, invitation_id)


async def select_invitation_by_secret(conn: Conn, secret_hash: bytes) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_INVITATION_BY_SECRET, secret_hash)


async def select_invitations(
    conn: Conn, organisation_id: UUID | None, network_ids: list[UUID]
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_INVITATIONS, organisation_id, network_ids)


async def accept_invitation(conn: Conn, invitation_id: UUID, person_id: UUID) -> bool:
    return await conn.fetchval(ACCEPT_INVITATION, invitation_id, person_id) is not None


async def withdraw_invitation(conn: Conn, invitation_id: UUID) -> bool:
    return await conn.fetchval(WITHDRAW_INVITATION, invitation_id) is not None


async def resend_invitation(
    conn: Conn, invitation_id: UUID, secret_hash: bytes, expires_at: dt.datetime
) -> bool:
    found = await conn.fetchval(RESEND_INVITATION, invitation_id, secret_hash, expires_at)
    return found is not None
