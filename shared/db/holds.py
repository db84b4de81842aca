"""Holds on packs between deployments (docs/federation.md, "Holds").

The selling side (``federation_hold``): a peer's hold adds to ``offer.packs_reserved``
through the very conditional UPDATE our own runs reserve with (``runs.RESERVE_PACKS``),
in the hold's transaction, under the CHECK ``offer_no_oversell``: a peer's hold and our
runs can never sell the same pack twice, whatever the timing. The buying side
(``run_remote_hold``): one row per purchase of a mirrored offer, its state as the origin
last answered.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from shared.db.pool import Conn

HOLD_COLUMNS = "id, peer_id, offer_id, packs, state, expires_at, created_at, updated_at"

# --- the selling side -------------------------------------------------------------------

SELECT_HOLD = f"SELECT {HOLD_COLUMNS} FROM federation_hold WHERE id = $1 FOR UPDATE"

# The offer, if the peer may hold packs of it: its producer shares with the peer, and it
# is on sale (not withdrawn, valid today or later).
SELECT_HOLDABLE_OFFER = """
SELECT o.id FROM offer o
JOIN peer_share s ON s.producer_id = o.producer_id AND s.peer_id = $2
WHERE o.id = $1 AND o.withdrawn_at IS NULL AND o.valid_until >= current_date"""

# Written after the packs are reserved, in the same transaction; a hold with this id
# written meanwhile by a request at the same moment makes it return nothing (the caller
# rolls back, giving the packs back, and answers with that hold).
INSERT_HOLD = f"""
INSERT INTO federation_hold (id, peer_id, offer_id, packs, state, expires_at)
VALUES ($1, $2, $3, $4, 'held', now() + make_interval(secs => $5))
ON CONFLICT (id) DO NOTHING
RETURNING {HOLD_COLUMNS}"""

CONFIRM_HOLD = f"""
UPDATE federation_hold SET state = 'confirmed', updated_at = now()
WHERE id = $1 AND peer_id = $2 AND state = 'held' AND expires_at > now()
RETURNING {HOLD_COLUMNS}"""

# Held or confirmed packs go back to the offer, with the hold's state, at once.
RELEASE_HOLD = """
WITH released AS (
    UPDATE federation_hold SET state = 'released', updated_at = now()
    WHERE id = $1 AND peer_id = $2 AND state IN ('held', 'confirmed')
    RETURNING offer_id, packs
)
UPDATE offer o SET packs_reserved = o.packs_reserved - r.packs
FROM released r WHERE o.id = r.offer_id
RETURNING o.id"""

# Holds past their expiry (all of them, or the one named) expire; their packs go back.
EXPIRE_HOLDS = """
WITH expired AS (
    UPDATE federation_hold SET state = 'expired', updated_at = now()
    WHERE state = 'held' AND expires_at <= now() AND ($1::uuid IS NULL OR id = $1)
    RETURNING offer_id, packs
), freed AS (
    SELECT offer_id, sum(packs)::int AS packs FROM expired GROUP BY offer_id
)
UPDATE offer o SET packs_reserved = o.packs_reserved - f.packs
FROM freed f WHERE o.id = f.offer_id
RETURNING f.packs"""


async def select_hold(conn: Conn, hold_id: UUID) -> asyncpg.Record | None:
    """The hold, locked until the caller's transaction ends."""
    return await conn.fetchrow(SELECT_HOLD, hold_id)


async def holdable_offer(conn: Conn, offer_id: UUID, peer_id: UUID) -> bool:
    return await conn.fetchval(SELECT_HOLDABLE_OFFER, offer_id, peer_id) is not None


async def insert_hold(
    conn: Conn, hold_id: UUID, peer_id: UUID, offer_id: UUID, packs: int, ttl_s: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(INSERT_HOLD, hold_id, peer_id, offer_id, packs, ttl_s)


async def confirm_hold(conn: Conn, hold_id: UUID, peer_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(CONFIRM_HOLD, hold_id, peer_id)


async def release_hold(conn: Conn, hold_id: UUID, peer_id: UUID) -> bool:
    return await conn.fetchval(RELEASE_HOLD, hold_id, peer_id) is not None


async def expire_holds(conn: Conn, hold_id: UUID | None = None) -> int:
    """Expire held holds past their time (or the one named); the packs freed."""
    return sum(row["packs"] for row in await conn.fetch(EXPIRE_HOLDS, hold_id))
