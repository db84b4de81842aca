"""Mirror rows of a peer's offer on the buying deployment, as docs/federation.md ("The
poller") says the feed's poller writes them: an organisation for the remote producer
(with ``remote_producer``), an offer for the remote offer (with ``remote_offer``), listed
in the network as its product of the same name, the mirror organisation a member
(producer) of that network, the network's choice of the peer (``network_peer``) and a
good read of the peer's feed just now (``peer_feed``). Tests of holds put the mirror here
directly, without a feed to poll."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from shared.contracts.messages import MessageState
from shared.db.pool import Pool
from shared.queue import connect_queue, outbox_queue_name
from shared.settings import Settings


@dataclass(frozen=True)
class Mirror:
    organisation_id: UUID
    offer_id: UUID


async def mirror_offer(
    pool: Pool,
    *,
    peer_id: UUID,
    network_id: UUID,
    product_id: UUID,
    remote_producer_id: UUID,
    remote_offer_id: UUID,
    producer_name: str = "Ekeby Gård (Gävleborg)",
    pack_units: int = 10,
    packs_available: int = 12,
    price_per_pack_ore: int = 12500,
    pickup: tuple[float, float] = (59.9126, 17.5203),
) -> Mirror:
    """The mirror of one remote offer (and of its producer, once per peer and producer)."""
    today = dt.date.today()
    async with pool.acquire() as conn, conn.transaction():
        organisation_id = await conn.fetchval(
            "SELECT organisation_id FROM remote_producer WHERE peer_id = $1 AND remote_id = $2",
            peer_id,
            remote_producer_id,
        )
        if organisation_id is None:
            organisation_id = await conn.fetchval(
                "INSERT INTO organisation (kind, name, address, lat, lon) "
                "VALUES ('producer', $1, $2, $3, $4) RETURNING id",
                producer_name,
                "Ekeby 1",
                *pickup,
            )
            await conn.execute(
                "INSERT INTO remote_producer (organisation_id, peer_id, remote_id) "
                "VALUES ($1, $2, $3)",
                organisation_id,
                peer_id,
                remote_producer_id,
            )
        await conn.execute(
            "INSERT INTO membership (network_id, organisation_id) VALUES ($1, $2) "
            "ON CONFLICT DO NOTHING",
            network_id,
            organisation_id,
        )
        await conn.execute(
            "INSERT INTO network_peer (network_id, peer_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            network_id,
            peer_id,
        )
        await conn.execute(  # read well just now: the peer is not left out of runs
            "INSERT INTO peer_feed (peer_id, fetched_at, ok_at) VALUES ($1, now(), now()) "
            "ON CONFLICT (peer_id) DO UPDATE SET fetched_at = now(), ok_at = now(), error = ''",
            peer_id,
        )
        offer_id = await conn.fetchval(
            "INSERT INTO offer (producer_id, pack_units, packs_available, price_per_pack_ore, "
            "valid_from, valid_until, pickup_lat, pickup_lon, pickup_address) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'Ekeby 1') RETURNING id",
            organisation_id,
            pack_units,
            packs_available,
            price_per_pack_ore,
            today,
            today + dt.timedelta(days=30),
            *pickup,
        )
        await conn.execute(
            "INSERT INTO remote_offer (offer_id, peer_id, remote_offer_id) VALUES ($1, $2, $3)",
            offer_id,
            peer_id,
            remote_offer_id,
        )
        await conn.execute(
            "INSERT INTO offer_listing (offer_id, network_id, product_id) VALUES ($1, $2, $3)",
            offer_id,
            network_id,
            product_id,
        )
    return Mirror(organisation_id=organisation_id, offer_id=offer_id)


async def forget_peer(pool: Pool, settings: Settings, peer_id: UUID) -> None:
    """Remove a peer a test made, with the messages still queued for it: a peer belongs
    to the whole deployment, and a message to it that can't be sent (no signing key in
    tests) is retried, so later tests' burst workers would wait for its next attempt."""
    async with pool.acquire() as conn:
        stuck = await conn.fetch(
            f"UPDATE outbox_message SET state = '{MessageState.FAILED}' "
            f"WHERE state = '{MessageState.PENDING}' AND payload->>'peer_id' = $1 "
            "RETURNING id, attempts",
            str(peer_id),
        )
        await conn.execute("DELETE FROM peer WHERE id = $1", peer_id)
    queue = await connect_queue(settings)
    try:
        for row in stuck:
            for attempt in range(row["attempts"] + 1):
                job = f"outbox:{row['id']}:{attempt}"
                await queue.zrem(outbox_queue_name(settings.redis.queue_name), job)
                await queue.delete(f"arq:job:{job}")
    finally:
        await queue.aclose()
