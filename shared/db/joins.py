"""Joining a network by its link: the link, and the requests made through it."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg

from shared.db.pool import Conn

SELECT_LINK = """
SELECT network_id, lookup, secret, secret_sealed, created_at FROM join_link WHERE network_id = $1"""

SELECT_LINK_BY_LOOKUP = """
SELECT l.network_id, l.lookup, l.secret_hash, n.name AS network, n.hub_lat, n.hub_lon
FROM join_link l JOIN network n ON n.id = l.network_id
WHERE l.lookup = $1"""

# A new link replaces the network's old one, which stops working at once. Its secret is
# kept as a hash (to check) and sealed (to show the coordinators again), never plain.
UPSERT_LINK = """
INSERT INTO join_link (network_id, lookup, secret_hash, secret_sealed, created_by)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (network_id) DO UPDATE
SET lookup = excluded.lookup, secret = NULL, secret_hash = excluded.secret_hash,
    secret_sealed = excluded.secret_sealed, created_by = excluded.created_by, created_at = now()"""

# Every link's secret, plain (of old) or sealed, locked while it is sealed again.
SELECT_SECRETS = """
SELECT network_id, secret, secret_sealed FROM join_link ORDER BY network_id FOR UPDATE"""

SET_SEALED = "UPDATE join_link SET secret_sealed = $2, secret = NULL WHERE network_id = $1"

DELETE_LINK = "DELETE FROM join_link WHERE network_id = $1 RETURNING network_id"

INSERT_REQUEST = """
INSERT INTO join_request (network_id, secret_hash, kind, organisation_name, person_name, email,
    phone, language, address, lat, lon, windows, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
RETURNING id"""

REQUEST_COLUMNS = """j.id, j.network_id, j.kind, j.organisation_name, j.person_name, j.email,
    j.phone, j.language, j.address, j.lat, j.lon, j.windows, j.created_at, j.expires_at,
    j.confirmed_at, j.organisation_id, j.person_id, j.decision, j.decided_at,
    n.name AS network"""

SELECT_REQUEST_BY_SECRET = f"""
SELECT {REQUEST_COLUMNS} FROM join_request j JOIN network n ON n.id = j.network_id
WHERE j.secret_hash = $1"""

SELECT_REQUEST = f"""
SELECT {REQUEST_COLUMNS} FROM join_request j JOIN network n ON n.id = j.network_id
WHERE j.id = $1"""

# Taken once, and only while the link is valid: a second click finds it confirmed.
CONFIRM_REQUEST = """
UPDATE join_request SET confirmed_at = now(), organisation_id = $2, person_id = $3
WHERE id = $1 AND confirmed_at IS NULL AND expires_at > now()
RETURNING id"""

# Confirmed and waiting for the network's coordinators, oldest first.
SELECT_WAITING = f"""
SELECT {REQUEST_COLUMNS} FROM join_request j JOIN network n ON n.id = j.network_id
WHERE j.network_id = $1 AND j.confirmed_at IS NOT NULL AND j.decision IS NULL
    AND j.organisation_id IS NOT NULL
ORDER BY j.confirmed_at, j.id"""

# The requests an organisation waits on (its own page says so).
SELECT_WAITING_OF = f"""
SELECT {REQUEST_COLUMNS} FROM join_request j JOIN network n ON n.id = j.network_id
WHERE j.organisation_id = $1 AND j.confirmed_at IS NOT NULL AND j.decision IS NULL
ORDER BY j.confirmed_at, j.id"""

# One decision per request, by whoever decides first.
DECIDE = """
UPDATE join_request SET decision = $2, decided_at = now(), decided_by = $3
WHERE id = $1 AND confirmed_at IS NOT NULL AND decision IS NULL
RETURNING id"""

# A refused organisation never traded (it was in no network): it goes, with its people's
# memberships of it and their sessions acting for it.
DELETE_UNTRADED_ORGANISATION = """
DELETE FROM organisation o
WHERE o.id = $1
    AND NOT EXISTS (SELECT 1 FROM membership m WHERE m.organisation_id = o.id)
    AND NOT EXISTS (SELECT 1 FROM offer f WHERE f.producer_id = o.id)
    AND NOT EXISTS (SELECT 1 FROM demand_round r WHERE r.coop_id = o.id)
RETURNING id"""

# Unconfirmed requests a day past their link hold a stranger's address and name for
# nothing: the housekeeping job deletes them.
DELETE_EXPIRED = """
DELETE FROM join_request
WHERE confirmed_at IS NULL AND expires_at < now() - interval '1 day'"""


async def select_link(conn: Conn, network_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_LINK, network_id)


async def select_link_by_lookup(conn: Conn, lookup: str) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_LINK_BY_LOOKUP, lookup)


async def upsert_link(
    conn: Conn,
    network_id: UUID,
    lookup: str,
    secret_hash: bytes,
    secret_sealed: bytes,
    created_by: UUID | None,
) -> None:
    await conn.execute(UPSERT_LINK, network_id, lookup, secret_hash, secret_sealed, created_by)


async def select_secrets(conn: Conn) -> list[asyncpg.Record]:
    """Every join link's secret, plain (of old) or sealed, locked for this transaction."""
    return await conn.fetch(SELECT_SECRETS)


async def set_sealed(conn: Conn, sealed: list[tuple[UUID, bytes]]) -> None:
    """Store each link's sealed secret and empty its plain-text column."""
    await conn.executemany(SET_SEALED, sealed)


async def delete_link(conn: Conn, network_id: UUID) -> bool:
    return await conn.fetchval(DELETE_LINK, network_id) is not None


async def insert_request(
    conn: Conn,
    network_id: UUID,
    secret_hash: bytes,
    values: dict[str, Any],
    expires_at: dt.datetime,
) -> UUID:
    request_id: UUID = await conn.fetchval(
        INSERT_REQUEST,
        network_id,
        secret_hash,
        values["kind"],
        values["organisation_name"],
        values["person_name"],
        values["email"],
        values["phone"],
        values["language"],
        values["address"],
        values["lat"],
        values["lon"],
        values["windows"],
        expires_at,
    )
    return request_id


async def select_request_by_secret(conn: Conn, secret_hash: bytes) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_REQUEST_BY_SECRET, secret_hash)


async def select_request(conn: Conn, request_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_REQUEST, request_id)


async def confirm_request(
    conn: Conn, request_id: UUID, organisation_id: UUID, person_id: UUID
) -> bool:
    found = await conn.fetchval(CONFIRM_REQUEST, request_id, organisation_id, person_id)
    return found is not None


async def select_waiting(conn: Conn, network_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_WAITING, network_id)


async def select_waiting_of(conn: Conn, organisation_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_WAITING_OF, organisation_id)


async def decide(conn: Conn, request_id: UUID, decision: str, decided_by: UUID | None) -> bool:
    return await conn.fetchval(DECIDE, request_id, decision, decided_by) is not None


async def delete_untraded_organisation(conn: Conn, organisation_id: UUID) -> bool:
    return await conn.fetchval(DELETE_UNTRADED_ORGANISATION, organisation_id) is not None


async def delete_expired(conn: Conn) -> int:
    """Unconfirmed requests long past their link; their count."""
    status: str = await conn.execute(DELETE_EXPIRED)
    return int(status.split()[-1])
