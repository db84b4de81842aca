"""Peering routes: the admin's peers, a producer's shares, and the signed federation API."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from services.api.auth.actor import Role
from services.api.auth.guards import ADMINS, PUBLIC, requires
from services.api.deps import CurrentActor
from services.api.federation.peering.schemas import (
    HelloOut,
    KeySetOut,
    PeerChoiceOut,
    PeerIn,
    PeerOut,
    PingIn,
    PingOut,
)
from services.api.federation.peering.service import PeerService
from services.api.federation.peering.signed import PeerActor, PeerSignedController

Peers = NamedDependency[PeerService]
SHARERS = requires(Role.ADMIN, Role.PRODUCER)

SIGNED = (
    'Signed by a peer deployment with HTTP Message Signatures (RFC 9421, `alg="ed25519"`, '
    'tag `"samlast-federation"`) over `@method`, `@target-uri` and `content-digest` '
    "(RFC 9530, sha-256, empty bodies too), with `created`, `expires` (at most 300 s "
    "later), a fresh `nonce` and the `keyid` the peer was registered with. Unsigned, "
    "unknown key, tampered, stale or replayed: 401. See docs/federation-peering.md."
)


class PeerController(Controller):
    path = "/v1/peers"
    tags = ["federation"]
    guards = [ADMINS]

    @get(summary="The deployments this one is peered with")
    async def list_peers(self, peers: Peers) -> list[PeerOut]:
        return await peers.all()

    @post(summary="Peer with another deployment: its base URL and its public keys")
    async def add_peer(self, data: JSONBody[PeerIn], actor: CurrentActor, peers: Peers) -> PeerOut:
        return await peers.create(actor, data)

    @get("/{peer_id:uuid}", summary="One peer and its keys")
    async def get_peer(self, peer_id: FromPath[UUID], peers: Peers) -> PeerOut:
        return await peers.get(peer_id)

    @put(
        "/{peer_id:uuid}",
        summary="Replace a peer's name, base URL and keys (add its new key to rotate)",
    )
    async def replace_peer(
        self, peer_id: FromPath[UUID], data: JSONBody[PeerIn], actor: CurrentActor, peers: Peers
    ) -> PeerOut:
        return await peers.replace(actor, peer_id, data)

    @delete("/{peer_id:uuid}", summary="Unpeer: its signatures are refused from now on")
    async def remove_peer(self, peer_id: FromPath[UUID], actor: CurrentActor, peers: Peers) -> None:
        await peers.delete(actor, peer_id)


class ShareController(Controller):
    path = "/v1/organisations/{organisation_id:uuid}/peers"
    tags = ["federation"]
    guards = [SHARERS]

    @get(summary="Every peer, and whether this producer shares its offers with it")
    async def list_choices(
        self, organisation_id: FromPath[UUID], actor: CurrentActor, peers: Peers
    ) -> list[PeerChoiceOut]:
        return await peers.choices(actor, organisation_id)

    @put("/{peer_id:uuid}", summary="Share this producer's offers with the peer")
    async def share(
        self,
        organisation_id: FromPath[UUID],
        peer_id: FromPath[UUID],
        actor: CurrentActor,
        peers: Peers,
    ) -> PeerChoiceOut:
        return await peers.share(actor, organisation_id, peer_id)

    @delete("/{peer_id:uuid}", summary="Stop sharing this producer's offers with the peer")
    async def unshare(
        self,
        organisation_id: FromPath[UUID],
        peer_id: FromPath[UUID],
        actor: CurrentActor,
        peers: Peers,
    ) -> None:
        await peers.unshare(actor, organisation_id, peer_id)


@get(
    "/federation/v1/keys",
    opt=PUBLIC,
    tags=["federation"],
    security=[{}],
    summary="This deployment's public signing keys (a JWK set): peers verify with them",
)
async def federation_keys(peers: Peers) -> KeySetOut:
    return await peers.key_set()


class SignedController(PeerSignedController):
    """Routes only a peer's verified signature reaches."""

    path = "/federation/v1"

    @get(
        "/hello",
        summary="Who you are to us, and whose offers we share with you",
        description=SIGNED,
    )
    async def hello(self, request: Request[Any, Any, Any], peers: Peers) -> HelloOut:
        return await peers.hello(peer_of(request))

    @post("/ping", status_code=200, summary="Echo a signed JSON body", description=SIGNED)
    async def ping(self, request: Request[Any, Any, Any], data: JSONBody[PingIn]) -> PingOut:
        return PingOut(peer_id=peer_of(request).peer_id, message=data.message)


def peer_of(request: Request[Any, Any, Any]) -> PeerActor:
    peer = request.scope.get("user")
    assert isinstance(peer, PeerActor)  # the PEERS guard admitted only peers
    return peer
