"""Orders between deployments (docs/federation.md, "Orders").

The selling side (``federation_order``): an order a peer sent for one of our producers,
each line taking one of that peer's confirmed holds (``federation_hold``), whose packs
are reserved already. Its id is the peer's, so a resend finds the order written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from shared.db.pool import Conn
from shared.db.products import PER_UNIT_MILLI
from shared.db.reasons import NO_REASON, Reason

ORDER_COLUMNS = "id, peer_id, producer_id, network, delivery_date, state, created_at"

SELECT_ORDER = f"SELECT {ORDER_COLUMNS} FROM federation_order WHERE id = $1"

SELECT_ORDER_LINES = """
SELECT hold_id, offer_id, packs FROM federation_order_line WHERE order_id = $1
ORDER BY hold_id"""

# The holds named, locked, with their offer's producer and whether a line takes them.
SELECT_ORDER_HOLDS = """
SELECT h.id, h.peer_id, h.offer_id, h.packs, h.state, o.producer_id,
    EXISTS (SELECT 1 FROM federation_order_line l WHERE l.hold_id = h.id) AS ordered
FROM federation_hold h JOIN offer o ON o.id = h.offer_id
WHERE h.id = any($1::uuid[])
ORDER BY h.id
FOR UPDATE OF h"""

INSERT_ORDER = f"""
INSERT INTO federation_order (id, peer_id, producer_id, network, delivery_date, document)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (id) DO NOTHING
RETURNING {ORDER_COLUMNS}"""

INSERT_ORDER_LINE = """
INSERT INTO federation_order_line (order_id, hold_id, offer_id, packs) VALUES ($1, $2, $3, $4)"""

# A producer's orders from peers for a delivery day, one row per line, for its pick list.
SELECT_PRODUCER_ORDER_LINES = """
SELECT f.id AS order_id, p.name AS peer_name, f.network, f.delivery_date, f.state,
    coalesce((SELECT min(pr.name) FROM offer_listing ol
        JOIN product pr ON pr.id = ol.product_id AND pr.network_id = ol.network_id
        WHERE ol.offer_id = o.id), '') AS product, o.pack_units, l.packs
FROM federation_order f
JOIN peer p ON p.id = f.peer_id
JOIN federation_order_line l ON l.order_id = f.id
JOIN offer o ON o.id = l.offer_id
WHERE f.producer_id = $1 AND ($2::date IS NULL OR f.delivery_date = $2)
ORDER BY f.delivery_date, p.name, f.network, product"""


async def select_order(conn: Conn, order_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_ORDER, order_id)


async def select_order_lines(conn: Conn, order_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_ORDER_LINES, order_id)


async def select_order_holds(conn: Conn, hold_ids: list[UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_ORDER_HOLDS, hold_ids)


async def insert_order(
    conn: Conn,
    order_id: UUID,
    peer_id: UUID,
    producer_id: UUID,
    network: str,
    delivery_date: dt.date,
    document: dict[str, Any],
    lines: list[tuple[UUID, UUID, int]],
) -> asyncpg.Record | None:
    """The order and its lines ``(hold id, offer id, packs)``; None if its id was written
    meanwhile (the caller answers with that one)."""
    row = await conn.fetchrow(
        INSERT_ORDER, order_id, peer_id, producer_id, network, delivery_date, document
    )
    if row is not None:
        await conn.executemany(
            INSERT_ORDER_LINE, [(order_id, hold, offer, packs) for hold, offer, packs in lines]
        )
    return row


async def select_producer_order_lines(
    conn: Conn, producer_id: UUID, delivery_date: dt.date | None
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_PRODUCER_ORDER_LINES, producer_id, delivery_date)


# --- the buying side --------------------------------------------------------------------

REMOTE_ORDER_COLUMNS = (
    "id, run_id, peer_id, producer_id, state, reason, reason_code, reason_values, updated_at"
)

# A published run's orders to peers: one per remote producer it buys from, each taking
# that producer's confirmed holds.
INSERT_RUN_ORDERS = f"""
INSERT INTO run_remote_order (run_id, peer_id, producer_id)
SELECT DISTINCT h.run_id, h.peer_id, o.producer_id
FROM run_remote_hold h
JOIN run_purchase p ON p.run_id = h.run_id AND p.offer_id = h.offer_id
JOIN offer o ON o.id = h.offer_id
WHERE h.run_id = $1 AND h.state = 'confirmed'
ON CONFLICT (run_id, producer_id) DO NOTHING
RETURNING {REMOTE_ORDER_COLUMNS}"""

# The lines of a run's order to a remote producer: its confirmed holds, with the
# origin's ids (the mirror's) and what the DFC order says of each.
SELECT_RUN_ORDER_LINES = """
SELECT h.hold_id, h.packs, r.remote_offer_id, rp.remote_id AS remote_producer_id,
    org.name AS producer, p.pack_units, p.price_per_pack_ore, pr.name AS product, pr.unit
FROM run_remote_hold h
JOIN run_purchase p ON p.run_id = h.run_id AND p.offer_id = h.offer_id
JOIN remote_offer r ON r.offer_id = h.offer_id
JOIN offer o ON o.id = h.offer_id
JOIN remote_producer rp ON rp.organisation_id = o.producer_id
JOIN organisation org ON org.id = o.producer_id
JOIN match_run m ON m.id = h.run_id
JOIN offer_listing l ON l.offer_id = h.offer_id AND l.network_id = m.network_id
JOIN product pr ON pr.id = l.product_id
WHERE h.run_id = $1 AND o.producer_id = $2 AND h.state = 'confirmed'
ORDER BY h.hold_id"""

INSERT_ORDER_MESSAGE = """
INSERT INTO outbox_message (kind, dedupe_key, run_id, event, payload)
VALUES ($1, $2, $3, 'federation.order', $4)
ON CONFLICT (kind, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
RETURNING id"""

SET_REMOTE_ORDER = f"""
UPDATE run_remote_order SET state = $2, reason = $3, reason_code = $4, reason_values = $5,
    updated_at = now()
WHERE id = $1 RETURNING {REMOTE_ORDER_COLUMNS}"""

SELECT_REMOTE_ORDER = f"SELECT {REMOTE_ORDER_COLUMNS} FROM run_remote_order WHERE id = $1"

SELECT_RUN_ORDERS = """
SELECT ro.id, ro.state, ro.reason, ro.reason_code, ro.reason_values, ro.updated_at,
    p.name AS peer_name, o.name AS producer
FROM run_remote_order ro
JOIN peer p ON p.id = ro.peer_id
JOIN organisation o ON o.id = ro.producer_id
WHERE ro.run_id = $1 ORDER BY o.name, ro.id"""


async def insert_run_orders(conn: Conn, run_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(INSERT_RUN_ORDERS, run_id)


async def select_run_order_lines(
    conn: Conn, run_id: UUID, producer_id: UUID
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_RUN_ORDER_LINES, run_id, producer_id)


async def insert_order_message(
    conn: Conn, kind: str, order_id: UUID, run_id: UUID, payload: dict[str, Any]
) -> UUID | None:
    value: UUID | None = await conn.fetchval(
        INSERT_ORDER_MESSAGE, kind, f"order:{order_id}", run_id, payload
    )
    return value


async def set_remote_order(
    conn: Conn, order_id: UUID, state: str, reason: Reason = NO_REASON
) -> None:
    await conn.execute(
        SET_REMOTE_ORDER,
        order_id,
        state,
        reason.message[:1000],
        reason.code,
        msgspec.to_builtins(reason.values),
    )


async def select_remote_order(conn: Conn, order_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_REMOTE_ORDER, order_id)


async def select_run_orders(conn: Conn, run_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_RUN_ORDERS, run_id)


# --- the selling side's page and the producer's acceptance ------------------------------

# A producer's orders from peers (every producer's for the admin: $1 NULL), one row per
# line, the newest order first, with what each line's pack costs.
SELECT_PEER_ORDERS = f"""
SELECT f.id, f.state, f.network, f.delivery_date, f.created_at, peer.name AS peer_name,
    org.name AS producer, coalesce(listed.name, '') AS product, listed.unit,
    listed.per_unit_milli, o.pack_units, o.price_per_pack_ore, l.packs
FROM federation_order f
JOIN peer ON peer.id = f.peer_id
JOIN organisation org ON org.id = f.producer_id
JOIN federation_order_line l ON l.order_id = f.id
JOIN offer o ON o.id = l.offer_id
LEFT JOIN LATERAL (
    SELECT p.name, p.unit, {PER_UNIT_MILLI} AS per_unit_milli FROM offer_listing ol
    JOIN product p ON p.id = ol.product_id AND p.network_id = ol.network_id
    WHERE ol.offer_id = o.id ORDER BY p.name LIMIT 1
) listed ON true
WHERE $1::uuid IS NULL OR f.producer_id = $1
ORDER BY f.created_at DESC, f.id, product, l.hold_id
LIMIT 2000"""

# Accept a received order of the producer's ($2; any producer's for the admin: NULL).
ACCEPT_ORDER = f"""
UPDATE federation_order SET state = 'accepted', updated_at = now()
WHERE id = $1 AND ($2::uuid IS NULL OR producer_id = $2) AND state = 'received'
RETURNING {ORDER_COLUMNS}"""

INSERT_STATE_MESSAGE = """
INSERT INTO outbox_message (kind, dedupe_key, event, payload)
VALUES ('federation_order_state', $1, 'federation.order.state', $2)
ON CONFLICT (kind, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
RETURNING id"""

# The buying side: the state a peer's producer gave our order, from that peer only.
SET_REMOTE_ORDER_STATE = f"""
UPDATE run_remote_order SET state = $3, reason = '', reason_code = '', reason_values = '{{}}',
    updated_at = now()
WHERE id = $1 AND peer_id = $2 AND state <> 'refused'
RETURNING {REMOTE_ORDER_COLUMNS}"""


async def select_peer_orders(conn: Conn, producer_id: UUID | None) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_PEER_ORDERS, producer_id)


async def accept_order(
    conn: Conn, order_id: UUID, producer_id: UUID | None
) -> asyncpg.Record | None:
    return await conn.fetchrow(ACCEPT_ORDER, order_id, producer_id)


async def insert_state_message(
    conn: Conn, order_id: UUID, state: str, payload: dict[str, Any]
) -> UUID | None:
    value: UUID | None = await conn.fetchval(
        INSERT_STATE_MESSAGE, f"order-state:{order_id}:{state}", payload
    )
    return value


async def set_remote_order_state(
    conn: Conn, order_id: UUID, peer_id: UUID, state: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(SET_REMOTE_ORDER_STATE, order_id, peer_id, state)
