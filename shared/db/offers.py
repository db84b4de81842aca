"""Producers' offers, where they are listed, and when they can be picked up."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple
from uuid import UUID

import asyncpg

from shared.db.pool import Conn, copy_rows

OFFER_SELECT = """
SELECT o.id, o.producer_id, o.pack_units, o.packs_available, o.packs_reserved,
       o.price_per_pack_ore, o.valid_from, o.valid_until, o.pickup_lat, o.pickup_lon,
       o.pickup_address, o.note, o.withdrawn_at, o.version, o.created_at, o.updated_at,
       (SELECT pr.place_precision FROM organisation pr WHERE pr.id = o.producer_id)
           AS producer_precision,
       (SELECT pr.municipality FROM organisation pr WHERE pr.id = o.producer_id)
           AS producer_municipality,
       coalesce((SELECT jsonb_agg(jsonb_build_object('network_id', l.network_id,
                        'product_id', l.product_id) ORDER BY l.network_id)
                 FROM offer_listing l WHERE l.offer_id = o.id AND l.withdrawn_at IS NULL),
                '[]') AS listings,
       coalesce((SELECT jsonb_agg(jsonb_build_object('opens', w.opens_at::text,
                        'closes', w.closes_at::text) ORDER BY w.opens_at)
                 FROM offer_pickup_window w WHERE w.offer_id = o.id), '[]') AS pickup_windows
FROM offer o"""

SELECT_OFFER = OFFER_SELECT + " WHERE o.id = $1"

# Visible = own offers, or listed in one of the actor's networks ($1 NULL: admin, all).
# Listings withdrawn (their producer left the network) count nowhere.
SELECT_OFFERS = (
    OFFER_SELECT
    + """
WHERE ($1::uuid[] IS NULL OR o.producer_id = $2 OR EXISTS (
        SELECT 1 FROM offer_listing l WHERE l.offer_id = o.id AND l.network_id = any($1)
          AND l.withdrawn_at IS NULL))
  AND ($3::uuid IS NULL OR EXISTS (
        SELECT 1 FROM offer_listing l WHERE l.offer_id = o.id AND l.network_id = $3
          AND l.withdrawn_at IS NULL))
  AND ($4::uuid IS NULL OR EXISTS (
        SELECT 1 FROM offer_listing l WHERE l.offer_id = o.id AND l.product_id = $4
          AND l.withdrawn_at IS NULL))
  AND ($5::uuid IS NULL OR o.producer_id = $5)
  AND ($6::date IS NULL OR $6 BETWEEN o.valid_from AND o.valid_until)
  AND ($7 OR o.withdrawn_at IS NULL)
  AND ($8::timestamptz IS NULL OR (o.created_at, o.id) > ($8, $9::uuid))
ORDER BY o.created_at, o.id
LIMIT $10"""
)

UPDATE_OFFER = """
UPDATE offer SET packs_available = $3, price_per_pack_ore = $4, valid_from = $5,
    valid_until = $6, pickup_lat = $7, pickup_lon = $8, pickup_address = $9, note = $10,
    version = version + 1, updated_at = now()
WHERE id = $1 AND ($2::int IS NULL OR version = $2) AND withdrawn_at IS NULL
RETURNING id"""

WITHDRAW_OFFER = """
UPDATE offer SET withdrawn_at = now(), version = version + 1, updated_at = now()
WHERE id = $1 AND ($2::int IS NULL OR version = $2) AND withdrawn_at IS NULL
RETURNING id"""

DELETE_WINDOWS = "DELETE FROM offer_pickup_window WHERE offer_id = $1"

# A producer leaves a network: its listings there are withdrawn (kept for the runs that
# bought from them); the ids of the offers they belonged to.
WITHDRAW_PRODUCER_LISTINGS = """
UPDATE offer_listing l SET withdrawn_at = now()
FROM offer o
WHERE l.network_id = $1 AND l.withdrawn_at IS NULL AND o.id = l.offer_id AND o.producer_id = $2
RETURNING l.offer_id"""

# Offers whose listings changed get a new version (an edit's If-Match was made on the
# old listings); one now listed nowhere is withdrawn, as its producer would withdraw it.
DELIST_OFFERS = """
UPDATE offer o SET version = o.version + 1, updated_at = now(),
    withdrawn_at = coalesce(o.withdrawn_at, CASE WHEN NOT EXISTS (
        SELECT 1 FROM offer_listing l WHERE l.offer_id = o.id AND l.withdrawn_at IS NULL)
        THEN now() END)
WHERE o.id = any($1::uuid[])"""


class OfferRow(NamedTuple):
    """A row of ``offer`` as COPY writes it: the fields are the columns, by name."""

    id: UUID
    producer_id: UUID
    pack_units: int
    packs_available: int
    price_per_pack_ore: int
    valid_from: dt.date
    valid_until: dt.date
    pickup_lat: float
    pickup_lon: float
    pickup_address: str
    note: str


class ListingRow(NamedTuple):
    offer_id: UUID
    network_id: UUID
    product_id: UUID


class WindowRow(NamedTuple):
    offer_id: UUID
    opens_at: dt.time
    closes_at: dt.time


# An offer's values, without its id; ``update_offer`` sets them from the third on.
OFFER_COLUMNS = OfferRow._fields[1:]


async def select_offer(conn: Conn, offer_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_OFFER, offer_id)


async def select_offers(
    conn: Conn,
    *,
    visible_networks: list[UUID] | None,
    own_producer: UUID | None,
    network_id: UUID | None,
    product_id: UUID | None,
    producer_id: UUID | None,
    valid_on: dt.date | None,
    include_withdrawn: bool,
    after: tuple[dt.datetime, UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    after_at, after_id = after if after else (None, None)
    return await conn.fetch(
        SELECT_OFFERS,
        visible_networks,
        own_producer,
        network_id,
        product_id,
        producer_id,
        valid_on,
        include_withdrawn,
        after_at,
        after_id,
        limit,
    )


async def insert_offers(conn: Conn, rows: list[OfferRow]) -> None:
    """Bulk insert with COPY; ids are generated client-side."""
    await copy_rows(conn, "offer", rows)


async def insert_listings(conn: Conn, rows: list[ListingRow]) -> None:
    await copy_rows(conn, "offer_listing", rows)


async def insert_windows(conn: Conn, rows: list[WindowRow]) -> None:
    await copy_rows(conn, "offer_pickup_window", rows)


async def update_offer(
    conn: Conn, offer_id: UUID, version: int | None, values: dict[str, Any]
) -> bool:
    columns = OFFER_COLUMNS[2:]  # producer and pack size never change
    updated = await conn.fetchval(UPDATE_OFFER, offer_id, version, *(values[c] for c in columns))
    return updated is not None


async def replace_windows(conn: Conn, offer_id: UUID, windows: list[WindowRow]) -> None:
    await conn.execute(DELETE_WINDOWS, offer_id)
    await insert_windows(conn, windows)


async def withdraw_offer(conn: Conn, offer_id: UUID, version: int | None) -> bool:
    return await conn.fetchval(WITHDRAW_OFFER, offer_id, version) is not None


async def withdraw_producer_listings(conn: Conn, network_id: UUID, producer_id: UUID) -> list[UUID]:
    """Withdraw the producer's listings in the network; the offers that had them."""
    return [
        row["offer_id"]
        for row in await conn.fetch(WITHDRAW_PRODUCER_LISTINGS, network_id, producer_id)
    ]


async def delist_offers(conn: Conn, offer_ids: list[UUID]) -> None:
    await conn.execute(DELIST_OFFERS, offer_ids)
