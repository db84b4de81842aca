"""Federation peering: our signing keys, peers and their keys, shares, and seen nonces."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from shared.db.pool import Conn

# --- this deployment's keys ------------------------------------------------------------

INSERT_OWN_KEY = """
INSERT INTO federation_key (key_id, public_key, private_key_sealed) VALUES ($1, $2, $3)
RETURNING key_id, public_key, created_at, retired_at"""

SELECT_OWN_KEYS = """
SELECT key_id, public_key, created_at, retired_at FROM federation_key
WHERE retired_at IS NULL OR $1 ORDER BY created_at, key_id"""

# The newest unretired key signs: a new key signs as soon as it is made.
SELECT_SIGNING_KEY = """
SELECT key_id, private_key_sealed FROM federation_key
WHERE retired_at IS NULL ORDER BY created_at DESC, key_id DESC LIMIT 1"""

RETIRE_OWN_KEY = """
UPDATE federation_key SET retired_at = now() WHERE key_id = $1 AND retired_at IS NULL
RETURNING key_id"""

# Shaped like the other sealed secrets' rows (``secrets_at_rest``): never kept in plain.
SELECT_SEALED_KEYS = """
SELECT key_id, NULL::text AS private_key_plain, private_key_sealed FROM federation_key
ORDER BY key_id FOR UPDATE"""

SET_SEALED_KEY = "UPDATE federation_key SET private_key_sealed = $2 WHERE key_id = $1"


async def insert_own_key(conn: Conn, key_id: str, public: bytes, sealed: bytes) -> asyncpg.Record:
    row = await conn.fetchrow(INSERT_OWN_KEY, key_id, public, sealed)
    assert row is not None  # INSERT … RETURNING returns the row
    return row


async def select_own_keys(conn: Conn, *, with_retired: bool = False) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_OWN_KEYS, with_retired)


async def select_signing_key(conn: Conn) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_SIGNING_KEY)


async def retire_own_key(conn: Conn, key_id: str) -> bool:
    return await conn.fetchval(RETIRE_OWN_KEY, key_id) is not None


async def select_sealed_keys(conn: Conn) -> list[asyncpg.Record]:
    """Every private key, sealed, locked while it is sealed again (rotate-secrets)."""
    return await conn.fetch(SELECT_SEALED_KEYS)


async def set_sealed_keys(conn: Conn, sealed: list[tuple[str, bytes]]) -> None:
    await conn.executemany(SET_SEALED_KEY, sealed)


# --- peers -----------------------------------------------------------------------------

PEER_COLUMNS = (
    "p.id, p.name, p.base_url, p.created_at, p.updated_at, "
    "p.handover_address, p.handover_lat, p.handover_lon"
)

INSERT_PEER = "INSERT INTO peer (name, base_url) VALUES ($1, $2) RETURNING id"

SELECT_PEERS = f"SELECT {PEER_COLUMNS} FROM peer p ORDER BY p.name, p.id"

SELECT_PEER = f"SELECT {PEER_COLUMNS} FROM peer p WHERE p.id = $1"

UPDATE_PEER = """
UPDATE peer SET name = coalesce($2, name), base_url = coalesce($3, base_url), updated_at = now()
WHERE id = $1 RETURNING id"""

DELETE_PEER = "DELETE FROM peer WHERE id = $1 RETURNING id"

# A peer's hand-over point (none: NULLs). When it changes, the next read of the peer's
# feed is a full one (no If-None-Match), and is due at once, so its mirrors move there.
SET_HANDOVER = """
WITH changed AS (
    UPDATE peer SET handover_address = $2, handover_lat = $3, handover_lon = $4
    WHERE id = $1 AND (handover_address, handover_lat, handover_lon)
          IS DISTINCT FROM ($2::text, $3::double precision, $4::double precision)
    RETURNING id
)
UPDATE peer_feed SET etag = '', fetched_at = NULL WHERE peer_id IN (SELECT id FROM changed)"""

INSERT_PEER_KEY = "INSERT INTO peer_key (key_id, peer_id, public_key) VALUES ($1, $2, $3)"

DELETE_PEER_KEYS = "DELETE FROM peer_key WHERE peer_id = $1"

SELECT_PEER_KEYS = """
SELECT peer_id, key_id, public_key, added_at FROM peer_key
WHERE peer_id = any($1::uuid[]) ORDER BY added_at, key_id"""

SELECT_KEY_OWNER = """
SELECT k.public_key, p.id AS peer_id, p.name AS peer_name, p.base_url
FROM peer_key k JOIN peer p ON p.id = k.peer_id WHERE k.key_id = $1"""


async def insert_peer(conn: Conn, name: str, base_url: str) -> UUID:
    peer_id: UUID = await conn.fetchval(INSERT_PEER, name, base_url)
    return peer_id


async def select_peers(conn: Conn) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_PEERS)


async def select_peer(conn: Conn, peer_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_PEER, peer_id)


async def update_peer(conn: Conn, peer_id: UUID, name: str | None, base_url: str | None) -> bool:
    return await conn.fetchval(UPDATE_PEER, peer_id, name, base_url) is not None


async def set_handover(
    conn: Conn, peer_id: UUID, address: str, where: tuple[float, float] | None
) -> None:
    lat, lon = where if where is not None else (None, None)
    await conn.execute(SET_HANDOVER, peer_id, address, lat, lon)


async def delete_peer(conn: Conn, peer_id: UUID) -> bool:
    return await conn.fetchval(DELETE_PEER, peer_id) is not None


async def replace_peer_keys(conn: Conn, peer_id: UUID, keys: list[tuple[str, bytes]]) -> None:
    """The peer's keys become exactly ``keys`` (call inside a transaction)."""
    await conn.execute(DELETE_PEER_KEYS, peer_id)
    await conn.executemany(INSERT_PEER_KEY, [(key_id, peer_id, key) for key_id, key in keys])


async def select_peer_keys(conn: Conn, peer_ids: list[UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_PEER_KEYS, peer_ids)


async def select_key_owner(conn: Conn, key_id: str) -> asyncpg.Record | None:
    """The public key named ``key_id`` and the peer it belongs to."""
    return await conn.fetchrow(SELECT_KEY_OWNER, key_id)


# --- shares ----------------------------------------------------------------------------

INSERT_SHARE = """
INSERT INTO peer_share (peer_id, producer_id) VALUES ($1, $2)
ON CONFLICT DO NOTHING RETURNING peer_id"""

DELETE_SHARE = "DELETE FROM peer_share WHERE peer_id = $1 AND producer_id = $2 RETURNING peer_id"

SELECT_SHARED_PRODUCERS = """
SELECT o.id, o.name, s.created_at AS shared_since
FROM peer_share s JOIN organisation o ON o.id = s.producer_id
WHERE s.peer_id = $1 ORDER BY o.name, o.id"""

SELECT_PEER_CHOICES = """
SELECT p.id AS peer_id, p.name, p.base_url, s.peer_id IS NOT NULL AS shared
FROM peer p LEFT JOIN peer_share s ON s.peer_id = p.id AND s.producer_id = $1
ORDER BY p.name, p.id"""

SELECT_PRODUCER = """
SELECT o.id, o.kind,
       coalesce(array_agg(m.network_id) FILTER (WHERE m.network_id IS NOT NULL), '{}')
           AS network_ids
FROM organisation o LEFT JOIN membership m ON m.organisation_id = o.id
WHERE o.id = $1 GROUP BY o.id"""


async def insert_share(conn: Conn, peer_id: UUID, producer_id: UUID) -> bool:
    """True when the share is new."""
    return await conn.fetchval(INSERT_SHARE, peer_id, producer_id) is not None


async def delete_share(conn: Conn, peer_id: UUID, producer_id: UUID) -> bool:
    return await conn.fetchval(DELETE_SHARE, peer_id, producer_id) is not None


async def select_shared_producers(conn: Conn, peer_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_SHARED_PRODUCERS, peer_id)


async def select_peer_choices(conn: Conn, producer_id: UUID) -> list[asyncpg.Record]:
    """Every peer, and whether ``producer_id`` shares its offers with it."""
    return await conn.fetch(SELECT_PEER_CHOICES, producer_id)


async def select_producer(conn: Conn, organisation_id: UUID) -> asyncpg.Record | None:
    """An organisation's kind and networks, to decide who may share its offers."""
    return await conn.fetchrow(SELECT_PRODUCER, organisation_id)


# --- nonces ----------------------------------------------------------------------------

INSERT_NONCE = """
INSERT INTO federation_nonce (key_id, nonce, expires_at) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING RETURNING nonce"""

DELETE_EXPIRED_NONCES = (
    "DELETE FROM federation_nonce WHERE expires_at < now() - $1 * interval '1 second'"
)


async def take_nonce(conn: Conn, key_id: str, nonce: str, expires_at: datetime) -> bool:
    """Remember a nonce; False when it was already taken (a replay)."""
    return await conn.fetchval(INSERT_NONCE, key_id, nonce, expires_at) is not None


async def delete_expired_nonces(conn: Conn, grace_s: int) -> int:
    """Forget nonces whose signatures expired more than ``grace_s`` ago."""
    status = await conn.execute(DELETE_EXPIRED_NONCES, grace_s)
    return int(status.split()[-1])
