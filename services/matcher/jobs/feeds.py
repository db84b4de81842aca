"""The poller: each peer some network chose is read for its offer feed, and its offers
are mirrored here (docs/federation.md, "Trading between deployments").

Every ``SAMLAST_FEDERATION_POLL_S`` a peer's ``GET /federation/v1/catalog`` is asked,
signed, with ``If-None-Match`` the last ETag: 304 keeps the mirror as it is. A new feed
is read as JSON-LD and then as offers of each choosing network's catalogue
(``engine/federation/mirror.py``) holding no database connection (as ``import_dfc``
does), then stored in one transaction per peer: its producers as organisations (members
of the networks that list their offers), its offers as offers listed as those networks'
products, offers gone from the feed withdrawn (or, while a run here reserved packs of
one, kept for that run with nothing more to buy). Each read is recorded in
``peer_feed``: a failure leaves the mirror as it was, and after ``SAMLAST_FEDERATION
_STALE_S`` without a good read (or at once after a failed one) runs leave the peer's
offers out.

Bounds: at most ``MAX_PEERS_PER_TICK`` peers a tick, one at a time, each call ending
after ``SAMLAST_FEDERATION_TIMEOUT_S``, at most ``SAMLAST_DFC_MAX_BYTES`` of an answer,
at most ``jsonld.MAX_NODES`` nodes read.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from uuid import UUID

import httpx
import msgspec

from services.matcher.adapters.federation import PeerAnswer, SignedClient, signed_client
from services.matcher.engine.federation.catalog import Place
from services.matcher.engine.federation.mirror import (
    MirrorPlan,
    NetworkCatalogue,
    mirror_plan,
    skipped_item,
)
from services.matcher.engine.federation.reading import CatalogueProduct
from services.matcher.jobs.context import WorkerContext
from shared.db import mirror as mirror_db
from shared.db.mirror import Said
from shared.db.pool import Conn, Pool
from shared.federation import jsonld
from shared.settings import Settings

log = logging.getLogger(__name__)

FEED = "/federation/v1/catalog"
MAX_PEERS_PER_TICK = 10
TICK_BUDGET_S = 120  # no new peer is started after this; a started one ends in its timeout
ACCEPT = "application/ld+json, application/json"


async def poll_peer_feeds(ctx: WorkerContext) -> int:
    """The cron job: read the feeds that are due."""
    http: httpx.AsyncClient = ctx["http"]  # type: ignore[typeddict-item]
    return await poll_feeds(ctx["pool"], ctx["settings"], http)


async def poll_feeds(
    pool: Pool, settings: Settings, http: httpx.AsyncClient, *, every_s: int | None = None
) -> int:
    """Read each due peer's feed and mirror it; how many were read. ``every_s``: read
    those last read longer ago than this (the setting's interval by default)."""
    interval = settings.federation.poll_s if every_s is None else every_s
    async with pool.acquire() as conn:
        due = await mirror_db.select_due_peers(conn, interval, MAX_PEERS_PER_TICK)
    if not due:
        return 0
    client = await signed_client(
        pool, settings, http, max_answer_bytes=settings.federation.max_catalog_bytes
    )
    deadline = asyncio.get_running_loop().time() + TICK_BUDGET_S
    for peer in due:
        if asyncio.get_running_loop().time() > deadline:
            break  # the rest are still due: the next tick takes them
        if client is None:
            error = "this deployment has no signing key yet (samlast federation-key new)"
            async with pool.acquire() as conn:
                await mirror_db.record_feed(conn, peer["id"], "", Said(error))
            continue
        try:
            await poll_one(pool, client, peer)
        except Exception:  # one peer's trouble never stops the others'
            log.exception("reading the feed of peer %s failed", peer["id"])
            async with pool.acquire() as conn:
                await mirror_db.record_feed(
                    conn, peer["id"], "", Said("the feed could not be stored here (see the log)")
                )
    return len(due)


async def poll_one(pool: Pool, client: SignedClient, peer: Any) -> None:
    peer_id: UUID = peer["id"]
    async with pool.acquire() as conn:
        networks = [_catalogue(row) for row in await mirror_db.select_peer_networks(conn, peer_id)]
    headers = {"Accept": ACCEPT}
    if peer["etag"]:
        headers["If-None-Match"] = peer["etag"]
    answer = await client.request("GET", peer["base_url"], FEED, headers=headers)
    error = _failure(answer)
    if error is None and answer.status == 304:
        async with pool.acquire() as conn:
            await mirror_db.record_feed(conn, peer_id, peer["etag"], None)
        return
    plan: MirrorPlan | None = None
    if error is None:
        try:
            document = msgspec.json.decode(answer.body)
            nodes = await asyncio.to_thread(jsonld.read, document)
            plan = mirror_plan(nodes, networks)
        except (msgspec.DecodeError, UnicodeDecodeError):
            error = Said("the feed is not JSON")
        except jsonld.JsonLdRefusedError as exc:
            error = Said("the feed is not a catalog we can read: {why}", why=str(exc)[:500])
    async with pool.acquire() as conn:
        if plan is None:
            await mirror_db.record_feed(conn, peer_id, "", error or Said("no feed"))
            return
        async with conn.transaction():
            await store_mirror(conn, peer_id, plan, handover=_handover(peer))
            await mirror_db.record_feed(conn, peer_id, answer.etag, None)


def _failure(answer: PeerAnswer) -> Said | None:
    """Why a read failed, as a msgid and its values (pages say it in their language)."""
    if answer.error is not None:
        return Said(answer.error_message or answer.error, **answer.error_values)
    if answer.status in (200, 304):
        return None
    if answer.status == 401:
        return Said("the peer refused our signature (401): does it know our current key?")
    return Said("the peer answered {status}", status=str(answer.status))


def _handover(peer: Any) -> Place | None:
    """The peer's hand-over point, if its peering names one (PUT /v1/peers/{id})."""
    if peer["handover_lat"] is None:
        return None
    return Place(
        address=peer["handover_address"], lat=peer["handover_lat"], lon=peer["handover_lon"]
    )


def _catalogue(row: Any) -> NetworkCatalogue:
    return NetworkCatalogue(
        network_id=row["id"],
        currency=row["currency"],
        products=msgspec.convert(row["products"], list[CatalogueProduct]),
    )


async def store_mirror(
    conn: Conn, peer_id: UUID, plan: MirrorPlan, *, handover: Place | None = None
) -> None:
    """The peer's mirror becomes what ``plan`` says (call inside a transaction). With a
    ``handover`` point, the peer's goods are picked up there: its offers' pickup and its
    producers' place (what routing and the route sheet use) are that point."""
    await mirror_db.lock_peer_mirror(conn, peer_id)
    chosen = {row["id"] for row in await mirror_db.select_peer_networks(conn, peer_id)}
    organisations = await mirror_db.select_remote_producers(conn, peer_id)
    for producer in plan.producers.values():
        place = handover or producer.place
        values = (producer.name, place.address[:500], *_where(place))
        if producer.remote_id in organisations:
            await mirror_db.update_mirror_producer(conn, organisations[producer.remote_id], values)
        else:
            organisations[producer.remote_id] = await mirror_db.insert_mirror_producer(
                conn, peer_id, producer.remote_id, values
            )
    known = await mirror_db.select_remote_offers(conn, peer_id)
    listings: list[tuple[UUID, UUID, UUID]] = []
    members: set[tuple[UUID, UUID]] = set()
    seen: list[UUID] = []
    for offer in plan.offers:
        organisation = organisations[offer.remote_producer_id]
        pickup = handover or offer.pickup
        offer_values = (
            organisation,
            offer.pack_units,
            offer.packs_available,
            offer.price_per_pack_ore,
            offer.valid_from,
            offer.valid_until,
            *_where(pickup),
            pickup.address[:500],
            offer.note[:2000],
        )
        row = known.get(offer.remote_offer_id)
        if row is None:
            offer_id = await mirror_db.insert_mirror_offer(
                conn, peer_id, offer.remote_offer_id, offer_values
            )
        else:
            offer_id = row["id"]
            await mirror_db.update_mirror_offer(conn, offer_id, offer_values)
        seen.append(offer_id)
        for network, product in offer.listings.items():
            if network in chosen:
                listings.append((offer_id, network, product))
                members.add((network, organisation))
    await mirror_db.touch_remote_offers(conn, peer_id, seen)
    await mirror_db.list_mirror_offers(conn, peer_id, listings)
    await mirror_db.insert_memberships(conn, sorted(members))
    skipped = {
        network: [msgspec.structs.asdict(s) for s in items]
        for network, items in plan.skipped.items()
    }
    listed = {offer.remote_offer_id for offer in plan.offers}
    for remote_id, row in known.items():
        if remote_id in listed or row["withdrawn_at"] is not None:
            continue
        if row["packs_reserved"] > 0:
            await mirror_db.empty_mirror_offer(conn, row["id"])
            note = msgspec.structs.asdict(
                skipped_item(
                    str(remote_id),
                    "",
                    "gone from the peer's feed: kept for the {n} pack(s) a run here "
                    "reserved, nothing more to buy",
                    n=str(row["packs_reserved"]),
                )
            )
            for items in skipped.values():
                items.append(note)
        else:
            await mirror_db.withdraw_mirror_offer(conn, row["id"])
    counts = {network: 0 for network in chosen}
    for _, network, _ in listings:
        counts[network] += 1
    await mirror_db.set_network_peer_state(
        conn,
        peer_id,
        [(network, counts[network], skipped.get(network, [])) for network in sorted(chosen)],
    )


def _where(place: Place) -> tuple[float, float]:
    return place.lat, place.lon
