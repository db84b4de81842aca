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
from litestar import Controller, Request, Response, get
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from services.api.federation.peering.controller import SIGNED, peer_of
from services.api.federation.peering.signed import PEERS, PeerSignatureMiddleware
from services.matcher.engine.federation.catalog import CatalogOffer, Place, Seller, catalog
from services.matcher.engine.settlement.vat import (
    SWEDISH_RATES,
    NoRateError,
    VatRule,
    merged,
    rate_on,
    vat_class_of,
)
from shared.contracts.catalogue import CATEGORY_VAT_CLASS
from shared.db import invoices as invoices_db
from shared.db import mirror as mirror_db
from shared.db.pool import Conn
from shared.federation import jsonld
from shared.settings import Settings

MAX_FEED_OFFERS = 1000  # about 2 kB each: 2 MB, under the 5 MB SAMLAST_DFC_MAX_BYTES default
JSON_LD = "application/ld+json"


async def feed_document(conn: Conn, peer_id: UUID, public_url: str) -> bytes:
    """The catalog of what is shared with the peer, as bytes (always the same for the
    same offers: it is hashed for the ETag)."""
    public_url = public_url.rstrip("/")
    today = dt.datetime.now(dt.UTC).date()
    rows = await mirror_db.select_feed_offers(conn, peer_id, today, MAX_FEED_OFFERS)
    rules = await _vat_rules(conn, {row["network_id"] for row in rows})
    by_producer: dict[UUID, list[asyncpg.Record]] = defaultdict(list)
    for row in rows:
        by_producer[row["producer_id"]].append(row)
    graph: list[dict[str, Any]] = []
    for producer_id in sorted(by_producer, key=str):
        offers = by_producer[producer_id]
        document = catalog(
            Seller(iri=f"{public_url}/v1/organisations/{producer_id}", name=offers[0]["producer"]),
            [_offer(row, rules[row["network_id"]], today) for row in offers],
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


def _offer(row: asyncpg.Record, rules: tuple[VatRule, ...], today: dt.date) -> CatalogOffer:
    try:
        vat = rate_on(
            rules, vat_class_of(row["category"], CATEGORY_VAT_CLASS), max(today, row["valid_from"])
        )
    except NoRateError:
        vat = None
    return CatalogOffer(
        offer_id=row["id"],
        product=row["product"],
        unit=row["unit"],
        category=row["category"],
        note=row["note"],
        pack_units=row["pack_units"],
        packs=row["packs"],
        price_per_pack_ore=row["price_per_pack_ore"],
        vat_rate_bp=vat,
        currency=row["currency"],
        valid_from=row["valid_from"],
        valid_until=row["valid_until"],
        pickup=Place(lat=row["pickup_lat"], lon=row["pickup_lon"], address=row["pickup_address"]),
    )


async def _vat_rules(conn: Conn, networks: set[UUID]) -> dict[UUID, tuple[VatRule, ...]]:
    rules = {}
    for network in networks:
        own = [
            VatRule(
                vat_class=row["vat_class"],
                effective_from=row["effective_from"],
                rate_bp=row["rate_bp"],
            )
            for row in await invoices_db.select_vat_rates(conn, network)
        ]
        rules[network] = tuple(merged(SWEDISH_RATES, own))
    return rules


class FeedController(Controller):
    """The offer feed: only a peer's verified signature reaches it."""

    path = "/federation/v1"
    tags = ["federation"]
    guards = [PEERS]
    middleware = [PeerSignatureMiddleware]
    security = [{"HttpSignature": []}]

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
            304: ResponseSpec(
                data_container=None,
                description="Not modified: `If-None-Match` names the current ETag",
            )
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
