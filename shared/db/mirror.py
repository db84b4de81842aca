"""Trading between deployments, the offers (docs/federation.md): the feed we serve a peer
(our producers' offers shared with it), and the mirror of a peer's feed here (its
producers as organisations, its offers as offers, listed in the networks that chose it)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg

from shared.db.pool import Conn

# --- the feed we serve (origin side) ----------------------------------------------------

# The offers on sale on or after $2 of the producers that share with peer $1, each with
# the product of its first listing by network id; never an offer that is itself a mirror
# of another peer's. Past the limit, the offers of the latest days are left out.
SELECT_FEED_OFFERS = """
SELECT * FROM (
    SELECT DISTINCT ON (o.id)
           o.id, o.producer_id, pr.name AS producer, o.pack_units,
           greatest(o.packs_available - o.packs_reserved, 0) AS packs,
           o.price_per_pack_ore, o.valid_from, o.valid_until, o.pickup_lat, o.pickup_lon,
           o.pickup_address, o.note, l.network_id, n.currency,
           p.name AS product, p.unit, p.category
    FROM peer_share s
    JOIN organisation pr ON pr.id = s.producer_id
    JOIN offer o ON o.producer_id = s.producer_id
    JOIN offer_listing l ON l.offer_id = o.id AND l.withdrawn_at IS NULL
    JOIN product p ON p.id = l.product_id
    JOIN network n ON n.id = l.network_id
    WHERE s.peer_id = $1 AND o.withdrawn_at IS NULL AND o.valid_until >= $2
      AND NOT EXISTS (SELECT 1 FROM remote_offer r WHERE r.offer_id = o.id)
    ORDER BY o.id, l.network_id
) offers
ORDER BY valid_from, id
LIMIT $3"""


async def select_feed_offers(
    conn: Conn, peer_id: UUID, on_or_after: dt.date, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_FEED_OFFERS, peer_id, on_or_after, limit)


# --- the networks' chosen peers ---------------------------------------------------------

# Every peer, whether the network chose it, and what the poller last found of it.
SELECT_NETWORK_PEERS = """
SELECT p.id AS peer_id, p.name, p.base_url, np.peer_id IS NOT NULL AS chosen,
       coalesce(np.listed, 0) AS listed, coalesce(np.skipped, '[]') AS skipped,
       f.fetched_at, f.ok_at, coalesce(f.error, '') AS error,
       coalesce(f.error_values, '{}') AS error_values
FROM peer p
LEFT JOIN network_peer np ON np.peer_id = p.id AND np.network_id = $1
LEFT JOIN peer_feed f ON f.peer_id = p.id
ORDER BY p.name, p.id"""

INSERT_NETWORK_PEER = """
INSERT INTO network_peer (network_id, peer_id) VALUES ($1, $2)
ON CONFLICT DO NOTHING RETURNING peer_id"""

DELETE_NETWORK_PEER = """
DELETE FROM network_peer WHERE network_id = $1 AND peer_id = $2 RETURNING peer_id"""

# A network that chooses a peer anew needs the whole feed: no conditional request next.
FORGET_FEED_ETAG = "UPDATE peer_feed SET etag = '', fetched_at = NULL WHERE peer_id = $1"

# The peer's mirror offers stop being listed in the network (it no longer chose it).
WITHDRAW_PEER_LISTINGS = """
UPDATE offer_listing l SET withdrawn_at = now()
FROM remote_offer r
WHERE r.offer_id = l.offer_id AND r.peer_id = $2 AND l.network_id = $1
  AND l.withdrawn_at IS NULL
RETURNING l.offer_id"""


async def select_network_peers(conn: Conn, network_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_NETWORK_PEERS, network_id)


async def choose_peer(conn: Conn, network_id: UUID, peer_id: UUID) -> bool:
    """True when the choice is new (the feed is then read whole next time)."""
    added = await conn.fetchval(INSERT_NETWORK_PEER, network_id, peer_id) is not None
    if added:
        await conn.execute(FORGET_FEED_ETAG, peer_id)
    return added


async def unchoose_peer(conn: Conn, network_id: UUID, peer_id: UUID) -> bool:
    """True when the network had chosen the peer; its mirror listings there are withdrawn."""
    removed = await conn.fetchval(DELETE_NETWORK_PEER, network_id, peer_id) is not None
    await conn.execute(WITHDRAW_PEER_LISTINGS, network_id, peer_id)
    return removed


# --- the poller (buyer side) ------------------------------------------------------------

# Peers some network chose whose feed is due ($1: read at most this long ago), the least
# recently read first, at most $2 of them.
SELECT_DUE_PEERS = """
SELECT p.id, p.name, p.base_url, coalesce(f.etag, '') AS etag,
       p.handover_address, p.handover_lat, p.handover_lon
FROM peer p LEFT JOIN peer_feed f ON f.peer_id = p.id
WHERE EXISTS (SELECT 1 FROM network_peer np WHERE np.peer_id = p.id)
  AND (f.fetched_at IS NULL OR f.fetched_at < now() - make_interval(secs => $1))
ORDER BY f.fetched_at NULLS FIRST, p.id
LIMIT $2"""

# The networks that chose the peer, with their catalogues (what an item is listed as).
SELECT_PEER_NETWORKS = """
SELECT n.id, n.currency,
       coalesce(jsonb_agg(jsonb_build_object('id', p.id, 'name', p.name, 'unit', p.unit))
                FILTER (WHERE p.id IS NOT NULL), '[]') AS products
FROM network_peer np
JOIN network n ON n.id = np.network_id
LEFT JOIN product p ON p.network_id = n.id
WHERE np.peer_id = $1
GROUP BY n.id ORDER BY n.id"""

UPSERT_FEED = """
INSERT INTO peer_feed (peer_id, etag, fetched_at, ok_at, error, error_values)
VALUES ($1, $2, now(), CASE WHEN $3 = '' THEN now() END, $3, $4)
ON CONFLICT (peer_id) DO UPDATE SET
    etag = CASE WHEN $3 = '' THEN $2 ELSE peer_feed.etag END,
    fetched_at = now(),
    ok_at = CASE WHEN $3 = '' THEN now() ELSE peer_feed.ok_at END,
    error = $3,
    error_values = $4"""

LOCK_PEER_MIRROR = "SELECT pg_advisory_xact_lock(hashtextextended('peer-mirror:' || $1, 0))"

SELECT_REMOTE_PRODUCERS = """
SELECT remote_id, organisation_id FROM remote_producer WHERE peer_id = $1"""

INSERT_MIRROR_ORGANISATION = """
INSERT INTO organisation (kind, name, address, lat, lon) VALUES ('producer', $1, $2, $3, $4)
RETURNING id"""

UPDATE_MIRROR_ORGANISATION = """
UPDATE organisation SET name = $2, address = $3, lat = $4, lon = $5, updated_at = now()
WHERE id = $1 AND (name, address, lat, lon) IS DISTINCT FROM ($2, $3, $4, $5)"""

INSERT_REMOTE_PRODUCER = """
INSERT INTO remote_producer (organisation_id, peer_id, remote_id) VALUES ($1, $2, $3)"""

SELECT_REMOTE_OFFERS = """
SELECT r.remote_offer_id, o.id, o.producer_id, o.pack_units, o.packs_reserved,
       o.withdrawn_at
FROM remote_offer r JOIN offer o ON o.id = r.offer_id WHERE r.peer_id = $1"""

INSERT_MIRROR_OFFER = """
INSERT INTO offer (producer_id, pack_units, packs_available, price_per_pack_ore, valid_from,
    valid_until, pickup_lat, pickup_lon, pickup_address, note)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING id"""

INSERT_REMOTE_OFFER = """
INSERT INTO remote_offer (offer_id, peer_id, remote_offer_id) VALUES ($1, $2, $3)"""

# The packs free there, never below those a run here reserved (the CHECK backs it).
UPDATE_MIRROR_OFFER = """
UPDATE offer SET producer_id = $2, pack_units = CASE WHEN packs_reserved = 0 THEN $3
                                                    ELSE pack_units END,
    packs_available = greatest($4, packs_reserved), price_per_pack_ore = $5,
    valid_from = $6, valid_until = $7, pickup_lat = $8, pickup_lon = $9,
    pickup_address = $10, note = $11, withdrawn_at = NULL,
    version = version + 1, updated_at = now()
WHERE id = $1
  AND (producer_id, pack_units, packs_available, price_per_pack_ore, valid_from, valid_until,
       pickup_lat, pickup_lon, pickup_address, note, withdrawn_at)
      IS DISTINCT FROM ($2, CASE WHEN packs_reserved = 0 THEN $3 ELSE pack_units END,
                        greatest($4, packs_reserved), $5, $6, $7, $8, $9, $10, $11, NULL)"""

TOUCH_REMOTE_OFFERS = """
UPDATE remote_offer SET seen_at = now() WHERE peer_id = $1 AND offer_id = any($2::uuid[])"""

UPSERT_LISTING = """
INSERT INTO offer_listing (offer_id, network_id, product_id) VALUES ($1, $2, $3)
ON CONFLICT (offer_id, network_id) DO UPDATE SET product_id = $3, withdrawn_at = NULL
WHERE offer_listing.product_id IS DISTINCT FROM $3
   OR offer_listing.withdrawn_at IS NOT NULL"""

# The peer's mirror listings in the networks that chose it, except those kept ($2: the
# offer ids, $3: the network ids, pairwise).
WITHDRAW_OTHER_LISTINGS = """
UPDATE offer_listing l SET withdrawn_at = now()
FROM remote_offer r
WHERE r.offer_id = l.offer_id AND r.peer_id = $1 AND l.withdrawn_at IS NULL
  AND (l.offer_id, l.network_id) NOT IN (
      SELECT * FROM unnest($2::uuid[], $3::uuid[]))"""

INSERT_MEMBERSHIP = """
INSERT INTO membership (network_id, organisation_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"""

# An offer gone from the feed with no packs reserved here: withdrawn.
WITHDRAW_MIRROR_OFFER = """
UPDATE offer SET withdrawn_at = now(), version = version + 1, updated_at = now()
WHERE id = $1 AND withdrawn_at IS NULL"""

# An offer gone from the feed while a run here holds packs of it: kept for that run, with
# nothing more to buy.
EMPTY_MIRROR_OFFER = """
UPDATE offer SET packs_available = packs_reserved, version = version + 1, updated_at = now()
WHERE id = $1 AND packs_available <> packs_reserved"""

SET_NETWORK_PEER_STATE = """
UPDATE network_peer SET listed = $3, skipped = $4 WHERE network_id = $1 AND peer_id = $2"""


async def select_due_peers(conn: Conn, every_s: int, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_DUE_PEERS, every_s, limit)


async def select_peer_networks(conn: Conn, peer_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_PEER_NETWORKS, peer_id)


class Said:
    """A text the worker stores for pages to show: an English msgid and the values that
    fill it, so each page says it in its own language (``i18n.translate``)."""

    __slots__ = ("message", "values")

    def __init__(self, message: str, **values: str) -> None:
        self.message = message
        self.values = values

    def __bool__(self) -> bool:
        return bool(self.message)


def filled(message: str, values: dict[str, Any] | None) -> str:
    """A stored msgid filled in with its values: the English (the API's); the msgid as it
    is when the values do not fit it."""
    if not values:
        return message
    try:
        return message.format(**values)
    except (KeyError, IndexError, ValueError):
        return message


async def record_feed(conn: Conn, peer_id: UUID, etag: str, error: Said | None) -> None:
    """A read of the peer's feed: good (``error`` None: its ETag kept) or failed."""
    message, values = (error.message, error.values) if error else ("", {})
    await conn.execute(UPSERT_FEED, peer_id, etag[:200], message[:1000], values)


async def lock_peer_mirror(conn: Conn, peer_id: UUID) -> None:
    """One store of a peer's mirror at a time (held until the transaction ends)."""
    await conn.execute(LOCK_PEER_MIRROR, str(peer_id))


async def select_remote_producers(conn: Conn, peer_id: UUID) -> dict[UUID, UUID]:
    """The peer's producers mirrored here: their id there → the organisation here."""
    rows = await conn.fetch(SELECT_REMOTE_PRODUCERS, peer_id)
    return {row["remote_id"]: row["organisation_id"] for row in rows}


async def insert_mirror_producer(
    conn: Conn, peer_id: UUID, remote_id: UUID, values: tuple[str, str, float, float]
) -> UUID:
    organisation_id: UUID = await conn.fetchval(INSERT_MIRROR_ORGANISATION, *values)
    await conn.execute(INSERT_REMOTE_PRODUCER, organisation_id, peer_id, remote_id)
    return organisation_id


async def update_mirror_producer(
    conn: Conn, organisation_id: UUID, values: tuple[str, str, float, float]
) -> None:
    await conn.execute(UPDATE_MIRROR_ORGANISATION, organisation_id, *values)


async def select_remote_offers(conn: Conn, peer_id: UUID) -> dict[UUID, asyncpg.Record]:
    """The peer's offers mirrored here, by their id there."""
    rows = await conn.fetch(SELECT_REMOTE_OFFERS, peer_id)
    return {row["remote_offer_id"]: row for row in rows}


async def insert_mirror_offer(
    conn: Conn, peer_id: UUID, remote_offer_id: UUID, values: tuple[Any, ...]
) -> UUID:
    offer_id: UUID = await conn.fetchval(INSERT_MIRROR_OFFER, *values)
    await conn.execute(INSERT_REMOTE_OFFER, offer_id, peer_id, remote_offer_id)
    return offer_id


async def update_mirror_offer(conn: Conn, offer_id: UUID, values: tuple[Any, ...]) -> None:
    await conn.execute(UPDATE_MIRROR_OFFER, offer_id, *values)


async def touch_remote_offers(conn: Conn, peer_id: UUID, offer_ids: list[UUID]) -> None:
    await conn.execute(TOUCH_REMOTE_OFFERS, peer_id, offer_ids)


async def list_mirror_offers(
    conn: Conn, peer_id: UUID, listings: list[tuple[UUID, UUID, UUID]]
) -> None:
    """The peer's mirror offers are listed exactly as ``listings`` (offer, network,
    product) say; its other listings are withdrawn."""
    await conn.executemany(UPSERT_LISTING, listings)
    await conn.execute(
        WITHDRAW_OTHER_LISTINGS,
        peer_id,
        [offer for offer, _, _ in listings],
        [network for _, network, _ in listings],
    )


async def insert_memberships(conn: Conn, rows: list[tuple[UUID, UUID]]) -> None:
    """(network, organisation): the mirror producers become members where they list."""
    await conn.executemany(INSERT_MEMBERSHIP, rows)


async def withdraw_mirror_offer(conn: Conn, offer_id: UUID) -> None:
    await conn.execute(WITHDRAW_MIRROR_OFFER, offer_id)


async def empty_mirror_offer(conn: Conn, offer_id: UUID) -> None:
    await conn.execute(EMPTY_MIRROR_OFFER, offer_id)


async def set_network_peer_state(
    conn: Conn, peer_id: UUID, states: list[tuple[UUID, int, list[dict[str, str]]]]
) -> None:
    """(network, listed, skipped) of each network that chose the peer."""
    await conn.executemany(
        SET_NETWORK_PEER_STATE,
        [(network, peer_id, listed, skipped) for network, listed, skipped in states],
    )


# --- local rules on mirrors -------------------------------------------------------------

SELECT_OFFER_PEER = """
SELECT p.name FROM remote_offer r JOIN peer p ON p.id = r.peer_id WHERE r.offer_id = $1"""


SELECT_ORGANISATION_PEER = """
SELECT p.name FROM remote_producer r JOIN peer p ON p.id = r.peer_id
WHERE r.organisation_id = $1"""


async def select_organisation_peer(conn: Conn, organisation_id: UUID) -> str | None:
    """The name of the peer whose producer the organisation stands for; None for ours."""
    name: str | None = await conn.fetchval(SELECT_ORGANISATION_PEER, organisation_id)
    return name


async def select_offer_peer(conn: Conn, offer_id: UUID) -> str | None:
    """The name of the peer an offer mirrors an offer of; None for our own offers."""
    name: str | None = await conn.fetchval(SELECT_OFFER_PEER, offer_id)
    return name


# Peers whose mirror offers are listed in the network and that can't be counted on now:
# never read well, their last read failed, or their last good read is older than $2 s.
SELECT_UNREACHABLE_PEERS = """
SELECT p.id AS peer_id, p.name, f.ok_at, coalesce(f.error, '') AS error,
       coalesce(f.error_values, '{}') AS error_values,
       array_agg(r.offer_id ORDER BY r.offer_id) AS offer_ids
FROM remote_offer r
JOIN offer_listing l ON l.offer_id = r.offer_id AND l.network_id = $1 AND l.withdrawn_at IS NULL
JOIN peer p ON p.id = r.peer_id
LEFT JOIN peer_feed f ON f.peer_id = r.peer_id
WHERE f.ok_at IS NULL OR f.error <> '' OR f.ok_at < now() - make_interval(secs => $2)
GROUP BY p.id, p.name, f.ok_at, f.error, f.error_values
ORDER BY p.name, p.id"""

# The peers whose hand-over point the run's purchases are picked up at (the run page).
SELECT_RUN_HANDOVERS = """
SELECT DISTINCT p.id AS peer_id, p.name, p.handover_address, p.handover_lat, p.handover_lon
FROM run_purchase rp
JOIN remote_offer r ON r.offer_id = rp.offer_id
JOIN peer p ON p.id = r.peer_id
WHERE rp.run_id = $1 AND p.handover_lat IS NOT NULL
ORDER BY p.name, p.id"""

SET_PEERS_LEFT_OUT = "UPDATE match_run SET peers_left_out = $2 WHERE id = $1"

SELECT_PEERS_LEFT_OUT = "SELECT peers_left_out FROM match_run WHERE id = $1"


async def select_unreachable_peers(
    conn: Conn, network_id: UUID, stale_s: int
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_UNREACHABLE_PEERS, network_id, stale_s)


async def select_run_handovers(conn: Conn, run_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_RUN_HANDOVERS, run_id)


async def set_peers_left_out(conn: Conn, run_id: UUID, left_out: list[dict[str, Any]]) -> None:
    await conn.execute(SET_PEERS_LEFT_OUT, run_id, left_out)


async def select_peers_left_out(conn: Conn, run_id: UUID) -> list[dict[str, Any]]:
    value = await conn.fetchval(SELECT_PEERS_LEFT_OUT, run_id)
    return list(value or [])
