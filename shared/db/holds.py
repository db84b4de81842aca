"""Holds on packs between deployments (docs/federation.md, "Holds").

The selling side (``federation_hold``): a peer's hold adds to ``offer.packs_reserved``
through the very conditional UPDATE our own runs reserve with (``runs.RESERVE_PACKS``),
in the hold's transaction, under the CHECK ``offer_no_oversell``: a peer's hold and our
runs can never sell the same pack twice, whatever the timing. The buying side
(``run_remote_hold``): one row per purchase of a mirrored offer, its state as the origin
last answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg
import msgspec

from shared.contracts.messages import HoldStep, MessageKind
from shared.db.pool import Conn
from shared.db.products import PER_UNIT_MILLI
from shared.db.reasons import Reason

HOLD_COLUMNS = "id, peer_id, offer_id, packs, state, expires_at, created_at, updated_at"

# --- the selling side -------------------------------------------------------------------

SELECT_HOLD = f"SELECT {HOLD_COLUMNS} FROM federation_hold WHERE id = $1 FOR UPDATE"

# The offer, if the peer may hold packs of it: its producer shares with the peer, it is
# on sale (not withdrawn, valid today or later), and it is ours, not a mirror of a third
# deployment's (the feed never offers those).
SELECT_HOLDABLE_OFFER = """
SELECT o.id FROM offer o
JOIN peer_share s ON s.producer_id = o.producer_id AND s.peer_id = $2
WHERE o.id = $1 AND o.withdrawn_at IS NULL AND o.valid_until >= current_date
    AND NOT EXISTS (SELECT 1 FROM remote_offer r WHERE r.offer_id = o.id)"""

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


# --- the buying side --------------------------------------------------------------------

REMOTE_HOLD_COLUMNS = (
    "run_id, offer_id, peer_id, hold_id, packs, state, reason, reason_code, reason_values, "
    "updated_at"
)


# A stored run's purchases of mirrored offers, each a hold to ask of the offer's peer.
INSERT_RUN_HOLDS = f"""
INSERT INTO run_remote_hold (run_id, offer_id, peer_id, packs)
SELECT p.run_id, p.offer_id, r.peer_id, p.packs
FROM run_purchase p JOIN remote_offer r ON r.offer_id = p.offer_id
WHERE p.run_id = $1
ORDER BY p.offer_id
RETURNING {REMOTE_HOLD_COLUMNS}"""

# One message per hold of the run in the given states, for one step of it; written once
# per hold and step (the dedupe key), in the caller's transaction.
INSERT_HOLD_MESSAGES = f"""
INSERT INTO outbox_message (kind, dedupe_key, run_id, event, payload)
SELECT '{MessageKind.FEDERATION_HOLD}', 'hold:' || h.hold_id || ':' || $2 || $5, h.run_id,
    'federation.' || $2,
    jsonb_build_object('step', $2::text, 'hold_id', h.hold_id, 'run_id', h.run_id,
        'peer_id', h.peer_id, 'offer_id', h.offer_id, 'remote_offer_id', r.remote_offer_id,
        'packs', h.packs, 'ttl_s', $4::int)
FROM run_remote_hold h JOIN remote_offer r ON r.offer_id = h.offer_id
WHERE h.run_id = $1 AND h.state = any($3::text[]) AND ($6::uuid IS NULL OR h.hold_id = $6)
ORDER BY h.hold_id
ON CONFLICT (kind, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
RETURNING id"""

# A run's holds, with whether the run still buys the offer (a hold refused for the last
# time, or of a peer left out, leaves its purchase out of the run).
SELECT_RUN_HOLDS = f"""
SELECT h.{REMOTE_HOLD_COLUMNS.replace(", ", ", h.")}, p.name AS peer_name, o.name AS producer,
    r.remote_offer_id, coalesce(listed.name, '') AS product, listed.unit, listed.per_unit_milli,
    f.pack_units,
    EXISTS (SELECT 1 FROM run_purchase b WHERE b.run_id = h.run_id AND b.offer_id = h.offer_id)
        AS bought
FROM run_remote_hold h
JOIN peer p ON p.id = h.peer_id
JOIN offer f ON f.id = h.offer_id
JOIN organisation o ON o.id = f.producer_id
JOIN remote_offer r ON r.offer_id = h.offer_id
JOIN match_run m ON m.id = h.run_id
LEFT JOIN LATERAL (
    SELECT p.name, p.unit, {PER_UNIT_MILLI} AS per_unit_milli
    FROM offer_listing l JOIN product p ON p.id = l.product_id
    WHERE l.offer_id = h.offer_id AND l.network_id = m.network_id ORDER BY p.name LIMIT 1
) listed ON true
WHERE h.run_id = $1 ORDER BY o.name, product, h.offer_id"""

SELECT_REMOTE_HOLD = f"""
SELECT {REMOTE_HOLD_COLUMNS} FROM run_remote_hold WHERE hold_id = $1 FOR UPDATE"""

SET_REMOTE_HOLD = f"""
UPDATE run_remote_hold SET state = $2, reason = $3, reason_code = $5, reason_values = $6,
    updated_at = now()
WHERE hold_id = $1 AND state = any($4::text[])
RETURNING {REMOTE_HOLD_COLUMNS}"""

# The holds of runs that no longer stand (rejected, superseded, cancelled) are released.
RELEASE_ENDED_HOLDS = """
UPDATE run_remote_hold h SET state = 'released', updated_at = now()
FROM match_run r
WHERE r.id = h.run_id AND ($1::uuid IS NULL OR r.cycle_id = $1) AND ($2::uuid IS NULL OR r.id = $2)
    AND r.state IN ('rejected', 'superseded', 'cancelled')
    AND h.state IN ('pending', 'held', 'confirmed', 'unreachable')
RETURNING h.run_id"""

# How many runs of the cycle had a hold refused: the re-allocations made so far, plus one.
COUNT_REFUSED_RUNS = """
SELECT count(DISTINCT h.run_id) FROM run_remote_hold h JOIN match_run r ON r.id = h.run_id
WHERE r.cycle_id = $1 AND h.state IN ('refused', 'unreachable')"""

# Every offer of a peer mirrored here: a peer that can't be reached is left out whole.
SELECT_PEER_OFFERS = "SELECT offer_id FROM remote_offer WHERE peer_id = $1 ORDER BY offer_id"

# The holds that keep a run from being published: every one not confirmed whose
# purchase the run still makes.
SELECT_UNCONFIRMED = f"""
SELECT h.{REMOTE_HOLD_COLUMNS.replace(", ", ", h.")} FROM run_remote_hold h
JOIN run_purchase p ON p.run_id = h.run_id AND p.offer_id = h.offer_id
WHERE h.run_id = $1 AND h.state <> 'confirmed' ORDER BY h.hold_id"""

# A purchase whose hold was refused for the last time leaves the run: its allocations
# become unfilled lines ("excluded", the origin's reason in the detail), its local
# reservation goes back.
UNFILL_REFUSED = """
WITH gone AS (
    DELETE FROM allocation a WHERE a.run_id = $1 AND a.offer_id = $2
    RETURNING a.demand_line_id, a.units
), short AS (
    INSERT INTO unfilled_demand (run_id, demand_line_id, units_short, reason, detail)
    SELECT $1, g.demand_line_id, sum(g.units)::int, 'excluded',
        jsonb_build_object('hold_refused', $3::text)
    FROM gone g GROUP BY g.demand_line_id
    ON CONFLICT (run_id, demand_line_id) DO UPDATE
        SET units_short = unfilled_demand.units_short + excluded.units_short,
            detail = unfilled_demand.detail || excluded.detail
    RETURNING 1
), bought AS (
    DELETE FROM run_purchase p WHERE p.run_id = $1 AND p.offer_id = $2 RETURNING p.packs
)
UPDATE offer o SET packs_reserved = o.packs_reserved - b.packs
FROM bought b WHERE o.id = $2
RETURNING (SELECT count(*) FROM short)"""


async def insert_run_holds(conn: Conn, run_id: UUID) -> list[asyncpg.Record]:
    """A pending hold for each purchase of a mirrored offer the stored run makes."""
    return await conn.fetch(INSERT_RUN_HOLDS, run_id)


async def insert_hold_messages(
    conn: Conn,
    run_id: UUID,
    step: HoldStep,
    states: Sequence[str],
    ttl_s: int = 0,
    *,
    hold_id: UUID | None = None,
    again: str = "",
) -> list[UUID]:
    """A ``step`` message for each hold of the run in ``states`` (or for the one hold
    named); their ids (queue them after commit; the outbox's sweep takes up any that are
    not). ``again`` tells a second message of the same step from the first."""
    rows = await conn.fetch(INSERT_HOLD_MESSAGES, run_id, step, list(states), ttl_s, again, hold_id)
    return [row["id"] for row in rows]


async def select_run_holds(conn: Conn, run_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_RUN_HOLDS, run_id)


async def select_remote_hold(conn: Conn, hold_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_REMOTE_HOLD, hold_id)


async def set_remote_hold(
    conn: Conn, hold_id: UUID, state: str, reason: Reason, from_states: Sequence[str]
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        SET_REMOTE_HOLD,
        hold_id,
        state,
        reason.message[:1000],
        list(from_states),
        reason.code,
        msgspec.to_builtins(reason.values),
    )


async def release_ended_holds(
    conn: Conn, *, cycle_id: UUID | None = None, run_id: UUID | None = None
) -> list[UUID]:
    """The holds of the cycle's (or the run's) runs that ended (rejected, superseded,
    cancelled) are released, each with a release message to its peer, in the caller's
    transaction; the messages' ids (queue them after commit, or the outbox's sweep
    takes them up within a minute or so)."""
    rows = await conn.fetch(RELEASE_ENDED_HOLDS, cycle_id, run_id)
    ids: list[UUID] = []
    for ended in sorted({row["run_id"] for row in rows}):
        ids += await insert_hold_messages(conn, ended, HoldStep.RELEASE, ["released"])
    return ids


async def count_refused_runs(conn: Conn, cycle_id: UUID) -> int:
    count: int = await conn.fetchval(COUNT_REFUSED_RUNS, cycle_id)
    return count


async def select_unconfirmed(conn: Conn, run_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_UNCONFIRMED, run_id)


async def unfill_refused(conn: Conn, run_id: UUID, offer_id: UUID, reason: str) -> None:
    await conn.execute(UNFILL_REFUSED, run_id, offer_id, reason[:500])


async def select_peer_offers(conn: Conn, peer_id: UUID) -> list[UUID]:
    return [row["offer_id"] for row in await conn.fetch(SELECT_PEER_OFFERS, peer_id)]
