"""Peers (the deployment admin's) and what each producer shares with them (its own)."""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

import asyncpg

from services.api.auth.actor import Actor
from services.api.core.audit import record
from services.api.federation.peering.schemas import (
    HandoverOut,
    HelloOut,
    JwkOut,
    KeySetOut,
    PeerChoiceOut,
    PeerIn,
    PeerKeyOut,
    PeerOut,
    SharedProducerOut,
)
from services.api.federation.peering.signed import PeerActor
from shared.db import peers as peers_db
from shared.db.pool import Conn
from shared.db.rows import as_struct
from shared.errors import ConflictError, NotFoundError, TenantDeniedError
from shared.security.federation_keys import published_keys
from shared.security.http_signatures import ALGORITHM, b64url, from_b64url, public_jwk


async def _set_handover(conn: Conn, peer_id: UUID, data: PeerIn) -> None:
    point = data.handover
    if point is None:
        await peers_db.set_handover(conn, peer_id, "", None)
    else:
        await peers_db.set_handover(conn, peer_id, point.address.strip(), (point.lat, point.lon))


def _handover(row: asyncpg.Record) -> HandoverOut | None:
    if row["handover_lat"] is None:
        return None
    return HandoverOut(
        address=row["handover_address"], lat=row["handover_lat"], lon=row["handover_lon"]
    )


class PeerService:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    # --- the admin's peers ----------------------------------------------------------------

    async def all(self) -> list[PeerOut]:
        return await self._with_keys(await peers_db.select_peers(self.conn))

    async def get(self, peer_id: UUID) -> PeerOut:
        row = await peers_db.select_peer(self.conn, peer_id)
        if row is None:
            raise NotFoundError("no such peer")
        return (await self._with_keys([row]))[0]

    async def create(self, actor: Actor, data: PeerIn) -> PeerOut:
        """Peer with another deployment: its address and the keys its signatures name."""
        async with self.conn.transaction():
            try:
                peer_id = await peers_db.insert_peer(self.conn, data.name, data.base_url)
            except asyncpg.UniqueViolationError:
                raise ConflictError(
                    "a peer with this base_url exists already; update it instead",
                    field="base_url",
                ) from None
            await self._set_keys(peer_id, data)
            await _set_handover(self.conn, peer_id, data)
            await record(self.conn, actor, "peer.add", "peer", peer_id, detail=_detail(data))
        return await self.get(peer_id)

    async def replace(self, actor: Actor, peer_id: UUID, data: PeerIn) -> PeerOut:
        """New name, address or keys (their rotation): the keys become exactly these."""
        async with self.conn.transaction():
            try:
                found = await peers_db.update_peer(self.conn, peer_id, data.name, data.base_url)
            except asyncpg.UniqueViolationError:
                raise ConflictError("another peer has this base_url", field="base_url") from None
            if not found:
                raise NotFoundError("no such peer")
            await self._set_keys(peer_id, data)
            await _set_handover(self.conn, peer_id, data)
            await record(self.conn, actor, "peer.update", "peer", peer_id, detail=_detail(data))
        return await self.get(peer_id)

    async def delete(self, actor: Actor, peer_id: UUID) -> None:
        """Unpeer: its keys no longer verify, from the next request on."""
        async with self.conn.transaction():
            if not await peers_db.delete_peer(self.conn, peer_id):
                raise NotFoundError("no such peer")
            await record(self.conn, actor, "peer.remove", "peer", peer_id)

    async def _set_keys(self, peer_id: UUID, data: PeerIn) -> None:
        keys = [(key.key_id, from_b64url(key.public_key)) for key in data.keys]
        try:
            async with self.conn.transaction():  # a savepoint: the conflict is answered
                await peers_db.replace_peer_keys(self.conn, peer_id, keys)
        except asyncpg.UniqueViolationError:
            raise ConflictError(
                "a key_id in `keys` is another peer's key already: each key id names one key",
                field="keys",
            ) from None

    async def _with_keys(self, rows: list[asyncpg.Record]) -> list[PeerOut]:
        keys: dict[UUID, list[PeerKeyOut]] = defaultdict(list)
        for key in await peers_db.select_peer_keys(self.conn, [row["id"] for row in rows]):
            keys[key["peer_id"]].append(
                PeerKeyOut(
                    key_id=key["key_id"],
                    public_key=b64url(bytes(key["public_key"])),
                    added_at=key["added_at"],
                )
            )
        return [
            as_struct(row, PeerOut, keys=keys[row["id"]], handover=_handover(row)) for row in rows
        ]

    # --- a producer's shares --------------------------------------------------------------

    async def choices(self, actor: Actor, organisation_id: UUID) -> list[PeerChoiceOut]:
        await self._producer(actor, organisation_id)
        rows = await peers_db.select_peer_choices(self.conn, organisation_id)
        return [as_struct(row, PeerChoiceOut) for row in rows]

    async def share(self, actor: Actor, organisation_id: UUID, peer_id: UUID) -> PeerChoiceOut:
        """The producer's offers are shared with this peer (again: no change)."""
        await self._producer(actor, organisation_id)
        peer = await self.get(peer_id)
        async with self.conn.transaction():
            added = await peers_db.insert_share(self.conn, peer_id, organisation_id)
            await record(
                self.conn,
                actor,
                "peer_share.add",
                "organisation",
                organisation_id,
                detail={"peer_id": str(peer_id), "changed": added},
            )
        return PeerChoiceOut(peer_id=peer.id, name=peer.name, base_url=peer.base_url, shared=True)

    async def unshare(self, actor: Actor, organisation_id: UUID, peer_id: UUID) -> None:
        """The producer's offers are no longer shared with this peer."""
        await self._producer(actor, organisation_id)
        await self.get(peer_id)
        async with self.conn.transaction():
            removed = await peers_db.delete_share(self.conn, peer_id, organisation_id)
            await record(
                self.conn,
                actor,
                "peer_share.remove",
                "organisation",
                organisation_id,
                detail={"peer_id": str(peer_id), "changed": removed},
            )

    async def _producer(self, actor: Actor, organisation_id: UUID) -> None:
        """404 unless the organisation is the actor's own (or the actor is the admin), and
        unless it is a producer: only producers have offers, so only they have shares."""
        row = await peers_db.select_producer(self.conn, organisation_id)
        if row is None:
            raise NotFoundError("no such organisation")
        if not actor.is_admin and actor.organisation_id != organisation_id:
            raise TenantDeniedError("no such organisation")
        if row["kind"] != "producer":
            raise NotFoundError(
                "no such producer: only a producer's offers are shared with peers",
                field="organisation_id",
            )

    # --- what peers see -------------------------------------------------------------------

    async def key_set(self) -> KeySetOut:
        keys = await published_keys(self.conn)
        return KeySetOut(
            algorithm=ALGORITHM,
            keys=[JwkOut(**public_jwk(key.key_id, key.public_key)) for key in keys],  # type: ignore[arg-type]
        )

    async def hello(self, peer: PeerActor) -> HelloOut:
        """Who the signing peer is to us and whose offers we share with it: its own
        share only, whatever the request says."""
        rows = await peers_db.select_shared_producers(self.conn, peer.peer_id)
        return HelloOut(
            peer_id=peer.peer_id,
            name=peer.name,
            base_url=peer.base_url,
            key_id=peer.key_id,
            shared_producers=[as_struct(row, SharedProducerOut) for row in rows],
        )


def _detail(data: PeerIn) -> dict[str, object]:
    return {
        "name": data.name,
        "base_url": data.base_url,
        "key_ids": [k.key_id for k in data.keys],
        "handover": data.handover.address if data.handover else None,
    }
