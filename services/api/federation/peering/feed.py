"""The offer feed a peer polls (docs/federation.md, "Trading between deployments").

``GET /federation/v1/catalog``, signed by the peer: a DFC catalog (the engine's mapping,
``engine/federation/catalog.py``) of the offers on sale today or later of the producers
that share their offers with that peer (``peer_share``), each producer an enterprise of
its own; an item's ``sku`` is our offer's id and its ``stockLimitation`` the packs still
free here. Pickup places are exact: the producer chose to sell to that peer, whose runs
route from them. At most ``MAX_FEED_OFFERS`` offers, the earliest days first. The body is
deterministic, so its hash is a strong ``ETag``; ``If-None-Match`` naming it answers 304.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
from litestar import Request, Response, get
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from services.api.federation.catalog_offers import catalog_offer, exact_pickup, offer_vat, vat_rules
from services.api.federation.peering.controller import SIGNED, peer_of
from services.api.federation.peering.signed import PeerSignedController
from services.api.federation.schemas import JSON_LD, dfc_document
from services.matcher.engine.federation.catalog import Seller, catalog
from shared.db import mirror as mirror_db
from shared.db.pool import Conn
from shared.federation import jsonld
from shared.settings import Settings

MAX_FEED_OFFERS = 1000  # about 2 kB each: 2 MB, under the 5 MB SAMLAST_DFC_MAX_BYTES default


async def feed_document(conn: Conn, peer_id: UUID, public_url: str) -> bytes:
    """The catalog of what is shared with the peer, as bytes (always the same for the
    same offers: it is hashed for the ETag)."""
    public_url = public_url.rstrip("/")
    today = dt.datetime.now(dt.UTC).date()
    rows = await mirror_db.select_feed_offers(conn, peer_id, today, MAX_FEED_OFFERS)
    rules = await vat_rules(conn, {row["network_id"] for row in rows})
    by_producer: dict[UUID, list[asyncpg.Record]] = defaultdict(list)
    for row in rows:
        by_producer[row["producer_id"]].append(row)
    graph: list[dict[str, Any]] = []
    for producer_id in sorted(by_producer, key=str):
        offers = by_producer[producer_id]
        document = catalog(
            Seller(iri=f"{public_url}/v1/organisations/{producer_id}", name=offers[0]["producer"]),
            [
                catalog_offer(
                    row, offer_vat(row, rules[row["network_id"]], today), exact_pickup(row)
                )
                for row in offers
            ],
            base=f"{public_url}/federation/v1/catalog/{producer_id}",
            context=jsonld.CONTEXT_URL,
        )
        graph += document["@graph"]
    return msgspec.json.encode({"@context": jsonld.CONTEXT_URL, "@graph": graph})


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names this ETag (weak comparison, RFC 9110 13.1.2)."""
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match[:2000].split(",")]
    return "*" in tags or etag in tags


class FeedController(PeerSignedController):
    """The offer feed: only a peer's verified signature reaches it."""

    path = "/federation/v1"

    @get(
        "/catalog",
        media_type=JSON_LD,
        summary="The offers shared with you, as a DFC catalog (conditional: ETag)",
        description=(
            "The offers on sale today or later of the producers that share with you, as a "
            "DFC catalog (one `dfc-b:Enterprise` per producer; `sku` = our offer id, "
            f"`stockLimitation` = packs free), at most {MAX_FEED_OFFERS} offers, the "
            "earliest days first. Send the last `ETag` as `If-None-Match`: 304 while "
            "nothing changed. " + SIGNED
        ),
        response_headers=[
            ResponseHeader(name="ETag", description="strong", documentation_only=True)
        ],
        responses={
            # the ETag header, documented on the handler, is lost with the 200 spec: named here
            **dfc_document("The catalog; its strong `ETag` in the header of that name"),
            304: ResponseSpec(
                data_container=None,
                description="Not modified: `If-None-Match` names the current ETag",
            ),
        },
    )
    async def feed(
        self,
        request: Request[Any, Any, Any],
        conn: NamedDependency[Conn],
        settings: NamedDependency[Settings],
    ) -> Response[bytes]:
        body = await feed_document(conn, peer_of(request).peer_id, settings.mail.public_url)
        etag = strong_etag(body)
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if matches(request.headers.get("if-none-match"), etag):
            return Response(b"", status_code=304, headers=headers, media_type=JSON_LD)
        return Response(body, headers=headers, media_type=JSON_LD)
