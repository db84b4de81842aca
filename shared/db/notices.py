"""What notifications read: who to tell of an event, and which time-driven notices are due
(``shared/notifications`` writes the mail). Each cycle notice is claimed once, in the
transaction that writes its mail (``cycle_notice``)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from shared.contracts.cycles import CycleState
from shared.contracts.notifications import NotificationKind
from shared.db.pool import Conn

OPEN = CycleState.OPEN

# The people (with an address) of the network's member organisations of these kinds, or
# of only these organisations ($4), who have not turned this kind of notification off.
SELECT_RECIPIENTS = """
SELECT p.id AS person_id, p.email, p.name, p.language, o.id AS organisation_id,
       o.kind AS organisation_kind, o.name AS organisation
FROM membership m
JOIN organisation o ON o.id = m.organisation_id
JOIN person_organisation po ON po.organisation_id = o.id
JOIN person p ON p.id = po.person_id
WHERE m.network_id = $1 AND o.kind = ANY($2::text[]) AND p.email IS NOT NULL
    AND NOT ($3 = ANY(p.muted))
    AND ($4::uuid[] IS NULL OR o.id = ANY($4::uuid[]))
ORDER BY o.id, p.id"""

CYCLE_COLUMNS = """c.id, c.network_id, c.opens_at, c.closes_at, c.delivery_date, c.state,
    n.name AS network, n.timezone"""
SELECT_CYCLE = f"""
SELECT {CYCLE_COLUMNS} FROM cycle c JOIN network n ON n.id = c.network_id WHERE c.id = $1"""

# Open cycles whose opens_at has passed and that were not announced: claimed for this
# transaction (a second matcher waits on the first one's rows, then finds them taken).
CLAIM_OPENED = f"""
INSERT INTO cycle_notice (cycle_id, kind)
SELECT c.id, '{NotificationKind.CYCLE_OPENED}' FROM cycle c
WHERE c.state = '{OPEN}' AND c.opens_at <= now() AND c.closes_at > now()
    AND NOT EXISTS (SELECT 1 FROM cycle_notice s
                    WHERE s.cycle_id = c.id AND s.kind = '{NotificationKind.CYCLE_OPENED}')
ON CONFLICT DO NOTHING
RETURNING cycle_id"""

# Open cycles within their network's reminder hours of the deadline, not yet reminded.
CLAIM_DEADLINES = f"""
INSERT INTO cycle_notice (cycle_id, kind)
SELECT c.id, '{NotificationKind.DEADLINE_NEAR}' FROM cycle c JOIN network n ON n.id = c.network_id
WHERE c.state = '{OPEN}' AND c.opens_at <= now() AND c.closes_at > now()
    AND n.deadline_reminder_hours > 0
    AND c.closes_at - make_interval(hours => n.deadline_reminder_hours) <= now()
    AND NOT EXISTS (SELECT 1 FROM cycle_notice s
                    WHERE s.cycle_id = c.id AND s.kind = '{NotificationKind.DEADLINE_NEAR}')
ON CONFLICT DO NOTHING
RETURNING cycle_id"""

# Whether a member organisation (``o``) has yet to take part in the cycle (``c``): a co-op
# with no demand line in it, a producer with no offer listed in the network that is valid
# on the delivery day and has packs.
NOT_TAKING_PART = """(
    (o.kind = 'coop' AND NOT EXISTS (
        SELECT 1 FROM demand_round r JOIN demand_line d ON d.round_id = r.id
        WHERE r.cycle_id = c.id AND r.coop_id = o.id))
    OR (o.kind = 'producer' AND NOT EXISTS (
        SELECT 1 FROM offer f
        JOIN offer_listing l ON l.offer_id = f.id AND l.network_id = c.network_id
        WHERE f.producer_id = o.id AND f.withdrawn_at IS NULL AND l.withdrawn_at IS NULL
            AND f.packs_available > 0
            AND c.delivery_date BETWEEN f.valid_from AND f.valid_until)))"""

SELECT_LATE = f"""
SELECT o.id FROM cycle c
JOIN membership m ON m.network_id = c.network_id
JOIN organisation o ON o.id = m.organisation_id
WHERE c.id = $1 AND {NOT_TAKING_PART}"""

# The network's co-ops and producers, each with whether it takes part in the cycle yet.
SELECT_PARTICIPATION = f"""
SELECT o.id AS organisation_id, o.name, o.kind, NOT {NOT_TAKING_PART} AS taking_part
FROM cycle c
JOIN membership m ON m.network_id = c.network_id
JOIN organisation o ON o.id = m.organisation_id
WHERE c.id = $1 AND o.kind IN ('coop', 'producer')
ORDER BY o.kind, o.name, o.id"""

COUNT_ORDERING = """
SELECT count(DISTINCT r.coop_id) FROM demand_round r JOIN demand_line d ON d.round_id = r.id
WHERE r.cycle_id = $1"""

SELECT_RUN = """
SELECT r.id, r.run_version, r.cycle_id, r.network_id, r.state, r.summary, r.routing, r.error,
       c.closes_at, c.delivery_date, n.name AS network, n.timezone
FROM match_run r JOIN cycle c ON c.id = r.cycle_id JOIN network n ON n.id = r.network_id
WHERE r.id = $1"""

# The producers of these offers, of those listed in the network (an id from elsewhere
# names nobody).
SELECT_OFFER_PRODUCERS = """
SELECT DISTINCT f.producer_id FROM offer f
JOIN offer_listing l ON l.offer_id = f.id AND l.network_id = $1
WHERE f.id = ANY($2::uuid[])"""


async def select_recipients(
    conn: Conn,
    network_id: UUID,
    kinds: Sequence[str],
    notification: NotificationKind,
    only: Sequence[UUID] | None = None,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        SELECT_RECIPIENTS,
        network_id,
        list(kinds),
        str(notification),
        None if only is None else list(only),
    )


async def select_cycle(conn: Conn, cycle_id: UUID) -> asyncpg.Record | None:
    """The cycle with its network's name and time zone."""
    return await conn.fetchrow(SELECT_CYCLE, cycle_id)


async def claim_opened(conn: Conn) -> list[UUID]:
    return [row["cycle_id"] for row in await conn.fetch(CLAIM_OPENED)]


async def claim_deadlines(conn: Conn) -> list[UUID]:
    return [row["cycle_id"] for row in await conn.fetch(CLAIM_DEADLINES)]


async def select_late(conn: Conn, cycle_id: UUID) -> list[UUID]:
    return [row["id"] for row in await conn.fetch(SELECT_LATE, cycle_id)]


async def select_participation(conn: Conn, cycle_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_PARTICIPATION, cycle_id)


async def count_ordering(conn: Conn, cycle_id: UUID) -> int:
    count: int = await conn.fetchval(COUNT_ORDERING, cycle_id)
    return count


async def select_run(conn: Conn, run_id: UUID) -> asyncpg.Record | None:
    """The run with its cycle's dates and its network's name and time zone."""
    return await conn.fetchrow(SELECT_RUN, run_id)


async def select_offer_producers(
    conn: Conn, network_id: UUID, offer_ids: Sequence[UUID]
) -> list[UUID]:
    rows = await conn.fetch(SELECT_OFFER_PRODUCERS, network_id, list(offer_ids))
    return [row["producer_id"] for row in rows]
