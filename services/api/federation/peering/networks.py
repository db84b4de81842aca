"""Which peers' shared offers a network lists: its coordinators choose (docs/federation.md).

Choosing a peer makes the worker's poller read that peer's feed and list its offers in
the network as the network's products of the same name; unchoosing withdraws those
listings at once. Each peer is shown with what the poller last found: when its feed was
last read well, the last failure, how many offers it lists here and which items it
skipped and why.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, delete, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath

from services.api.auth.actor import Actor
from services.api.auth.guards import MANAGERS
from services.api.core.audit import record
from services.api.deps import CurrentActor, Db
from shared.db import mirror as mirror_db
from shared.db import networks as networks_db
from shared.db import peers as peers_db
from shared.db.pool import Conn
from shared.errors import NotFoundError, TenantDeniedError
from shared.settings import Settings


class SkippedItemOut(msgspec.Struct, kw_only=True):
    item: str  # the peer's catalog item (@id)
    name: str
    reason: str  # English
    message: str = ""  # the reason's msgid and values, for pages in any language
    values: dict[str, str] = msgspec.field(default_factory=dict)


class NetworkPeerOut(msgspec.Struct, kw_only=True):
    """A peer as a network's coordinators see it: chosen or not, and its feed's state."""

    peer_id: UUID
    name: str
    base_url: str
    chosen: bool
    reachable: bool  # read well within SAMLAST_FEDERATION_STALE_S and not failed since
    fetched_at: dt.datetime | None  # the poller's last read
    ok_at: dt.datetime | None  # its last good read
    error: str  # the last read's failure (English); "" after a good one
    error_message: str  # that failure's msgid and values, for pages in any language
    error_values: dict[str, str]
    listed: int  # the peer's offers listed in this network
    skipped: list[SkippedItemOut]  # items of its feed not listed here, and why


def reachable(row: Any, stale_s: int, now: dt.datetime | None = None) -> bool:
    now = now or dt.datetime.now(dt.UTC)
    ok_at = row["ok_at"]
    return ok_at is not None and not row["error"] and ok_at >= now - dt.timedelta(seconds=stale_s)


async def network_peers(
    conn: Conn, actor: Actor, network_id: UUID, stale_s: int
) -> list[NetworkPeerOut]:
    await _coordinated(conn, actor, network_id)
    return [_out(row, stale_s) for row in await mirror_db.select_network_peers(conn, network_id)]


async def choose(
    conn: Conn, actor: Actor, network_id: UUID, peer_id: UUID, stale_s: int
) -> NetworkPeerOut:
    await _set_choice(conn, actor, network_id, peer_id, chosen=True)
    return await _one(conn, network_id, peer_id, stale_s)


async def unchoose(conn: Conn, actor: Actor, network_id: UUID, peer_id: UUID) -> None:
    await _set_choice(conn, actor, network_id, peer_id, chosen=False)


async def _set_choice(
    conn: Conn, actor: Actor, network_id: UUID, peer_id: UUID, *, chosen: bool
) -> None:
    """The network lists the peer's shared offers or stops; audited, changed or not."""
    await _coordinated(conn, actor, network_id)
    if await peers_db.select_peer(conn, peer_id) is None:
        raise NotFoundError("no such peer")
    async with conn.transaction():
        if chosen:
            changed = await mirror_db.choose_peer(conn, network_id, peer_id)
        else:
            changed = await mirror_db.unchoose_peer(conn, network_id, peer_id)
        await record(
            conn,
            actor,
            "network_peer.add" if chosen else "network_peer.remove",
            "peer",
            peer_id,
            network_id=network_id,
            detail={"changed": changed},
        )


async def _one(conn: Conn, network_id: UUID, peer_id: UUID, stale_s: int) -> NetworkPeerOut:
    rows = await mirror_db.select_network_peers(conn, network_id)
    return next(_out(row, stale_s) for row in rows if row["peer_id"] == peer_id)


async def _coordinated(conn: Conn, actor: Actor, network_id: UUID) -> None:
    if not actor.coordinates(network_id):
        raise TenantDeniedError("no such network")
    if await networks_db.select_network(conn, network_id) is None:
        raise NotFoundError("no such network")


def _out(row: Any, stale_s: int) -> NetworkPeerOut:
    return NetworkPeerOut(
        peer_id=row["peer_id"],
        name=row["name"],
        base_url=row["base_url"],
        chosen=row["chosen"],
        reachable=reachable(row, stale_s),
        fetched_at=row["fetched_at"],
        ok_at=row["ok_at"],
        error=mirror_db.filled(row["error"], row["error_values"]),
        error_message=row["error"],
        error_values=row["error_values"],
        listed=row["listed"],
        skipped=msgspec.convert(row["skipped"], list[SkippedItemOut]),
    )


class NetworkPeerController(Controller):
    path = "/v1/networks/{network_id:uuid}/peers"
    tags = ["federation"]
    guards = [MANAGERS]

    @get(summary="Every peer, whether this network lists its shared offers, and its feed")
    async def list_network_peers(
        self,
        network_id: FromPath[UUID],
        actor: CurrentActor,
        conn: Db,
        settings: NamedDependency[Settings],
    ) -> list[NetworkPeerOut]:
        return await network_peers(conn, actor, network_id, settings.federation.stale_s)

    @put("/{peer_id:uuid}", summary="List the peer's shared offers in this network")
    async def choose_peer(
        self,
        network_id: FromPath[UUID],
        peer_id: FromPath[UUID],
        actor: CurrentActor,
        conn: Db,
        settings: NamedDependency[Settings],
    ) -> NetworkPeerOut:
        return await choose(conn, actor, network_id, peer_id, settings.federation.stale_s)

    @delete("/{peer_id:uuid}", summary="Stop listing the peer's offers in this network")
    async def unchoose_peer(
        self, network_id: FromPath[UUID], peer_id: FromPath[UUID], actor: CurrentActor, conn: Db
    ) -> None:
        await unchoose(conn, actor, network_id, peer_id)
