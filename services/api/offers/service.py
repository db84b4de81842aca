"""Offers: producers post, edit and withdraw them; members of a listing network see them."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from services.api.auth.actor import Actor
from services.api.core.audit import record
from services.api.core.bulk import RowError, refuse
from services.api.core.conditional import expected_version
from services.api.core.types import Location
from services.api.offers.schemas import (
    ListingOut,
    OfferIn,
    OfferOut,
    OfferPage,
    OfferPatch,
    WindowOut,
)
from services.api.offers.upload import read_offers
from services.api.organisations.service import require_location
from services.api.places.precision import shown_location
from shared.db import mirror as mirror_db
from shared.db import offers as offers_db
from shared.db import products as products_db
from shared.db.offers import ListingRow, OfferRow, WindowRow
from shared.db.pool import Conn
from shared.db.rows import as_struct
from shared.errors import (
    ConflictError,
    ForeignReferenceError,
    InvalidParameterError,
    NotFoundError,
    PreconditionFailedError,
    TenantDeniedError,
    UnprocessableError,
)


class OfferFilters(msgspec.Struct, kw_only=True, frozen=True):
    network_id: UUID | None = None
    product_id: UUID | None = None
    producer_id: UUID | None = None
    valid_on: dt.date | None = None
    include_withdrawn: bool = False


class OfferService:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def create(self, actor: Actor, data: OfferIn) -> OfferOut:
        await require_location(self.conn, actor, "offering")
        errors = await self._check_listings(actor, [data])
        if errors:
            raise UnprocessableError(errors[0].message, field=errors[0].field)
        ids = await self._insert(actor, [data])
        return await self.get(actor, ids[0])

    async def create_from_upload(self, actor: Actor, body: bytes, content_type: str) -> list[UUID]:
        """Offers from a CSV or a JSON array: all of them, or none and every row's problem."""
        offers = await read_offers(self.conn, body, content_type, actor.network_ids)
        return await self.create_many(actor, offers)

    async def create_many(self, actor: Actor, offers: list[OfferIn]) -> list[UUID]:
        """All offers or none; every row with a problem is reported."""
        await require_location(self.conn, actor, "offering")
        refuse(await self._check_listings(actor, offers))
        return await self._insert(actor, offers)

    async def create_imported(
        self, actor: Actor, producer_id: UUID, offers: list[OfferIn]
    ) -> list[UUID]:
        """Offers read from a DFC catalog for ``producer_id``, by the producer or a
        coordinator of the network listed in (the federation service checked which, and
        audits the import as one write, in its transaction)."""
        refuse(await self._check_listings(actor, offers))
        return await self._insert(actor, offers, producer_id, audited=False)

    async def get(self, actor: Actor, offer_id: UUID) -> OfferOut:
        return _as_seen_by(actor, await self._visible(actor, offer_id))

    async def list_offers(
        self, actor: Actor, filters: OfferFilters, cursor: str | None, limit: int
    ) -> OfferPage:
        if filters.network_id is not None and not actor.member_of(filters.network_id):
            raise TenantDeniedError("no such network", field="network_id")
        rows = await offers_db.select_offers(
            self.conn,
            visible_networks=None if actor.is_admin else list(actor.network_ids),
            own_producer=actor.organisation_id,
            network_id=filters.network_id,
            product_id=filters.product_id,
            producer_id=filters.producer_id,
            valid_on=filters.valid_on,
            include_withdrawn=filters.include_withdrawn,
            after=decode_cursor(cursor) if cursor else None,
            limit=limit + 1,
        )
        items = [_as_seen_by(actor, row) for row in rows[:limit]]
        more = len(rows) > limit
        return OfferPage(
            items=items, next_cursor=encode_cursor(items[-1]) if more and items else None
        )

    async def update(
        self, actor: Actor, offer_id: UUID, data: OfferPatch, if_match: str | None
    ) -> OfferOut:
        current = offer_out(await self._own(actor, offer_id))
        version = expected_version(if_match)
        if current.withdrawn_at is not None:
            raise ConflictError("the offer is withdrawn: it can no longer be edited")
        if any(listing.network_id not in actor.network_ids for listing in current.listings):
            # whoever may act for the producer now (a coordinator of its other networks)
            # never edits what another network buys
            raise ConflictError(
                "the offer is listed in a network you are no longer a member of: "
                "withdraw it and post it again"
            )
        merged = _patched(current, data)
        if merged.valid_from > merged.valid_until:
            raise UnprocessableError("`valid_from` is after `valid_until`", field="valid_from")
        if merged.packs_available < current.packs_reserved:
            raise ConflictError(
                "`packs_available` can't go below the {packs} pack(s) "
                "already reserved by match runs",
                values={"packs": current.packs_reserved},
                field="packs_available",
            )
        async with self.conn.transaction():
            try:
                updated = await offers_db.update_offer(
                    self.conn, offer_id, version, _columns(merged)
                )
            except asyncpg.CheckViolationError:  # a run reserved packs meanwhile
                raise ConflictError("`packs_available` is below the packs now reserved") from None
            if not updated:
                raise PreconditionFailedError("the offer changed since you read it; re-read it")
            if isinstance(data.pickup_windows, list):
                await offers_db.replace_windows(
                    self.conn,
                    offer_id,
                    [
                        WindowRow(offer_id=offer_id, opens_at=w.opens, closes_at=w.closes)
                        for w in data.pickup_windows
                    ],
                )
            await record(self.conn, actor, "offer.update", "offer", offer_id)
        return await self.get(actor, offer_id)

    async def withdraw(self, actor: Actor, offer_id: UUID, if_match: str | None) -> None:
        current = await self._own(actor, offer_id)
        version = expected_version(if_match)
        if current["withdrawn_at"] is not None:
            return  # withdrawing twice is harmless
        async with self.conn.transaction():
            if not await offers_db.withdraw_offer(self.conn, offer_id, version):
                raise PreconditionFailedError("the offer changed since you read it; re-read it")
            await record(self.conn, actor, "offer.withdraw", "offer", offer_id)

    async def _insert(
        self,
        actor: Actor,
        offers: list[OfferIn],
        producer: UUID | None = None,
        *,
        audited: bool = True,
    ) -> list[UUID]:
        ids = [uuid.uuid4() for _ in offers]
        producer = producer or actor.organisation_id
        async with self.conn.transaction():
            await offers_db.insert_offers(
                self.conn,
                [
                    OfferRow(id=offer_id, **_columns(offer, producer))
                    for offer_id, offer in zip(ids, offers, strict=True)
                ],
            )
            await offers_db.insert_listings(
                self.conn,
                [
                    ListingRow(
                        offer_id=offer_id,
                        network_id=listing.network_id,
                        product_id=listing.product_id,
                    )
                    for offer_id, offer in zip(ids, offers, strict=True)
                    for listing in offer.listings
                ],
            )
            await offers_db.insert_windows(
                self.conn,
                [
                    WindowRow(offer_id=offer_id, opens_at=window.opens, closes_at=window.closes)
                    for offer_id, offer in zip(ids, offers, strict=True)
                    for window in offer.pickup_windows
                ],
            )
            if not audited:
                return ids
            action = "offer.create" if len(ids) == 1 else "offer.bulk_create"
            await record(
                self.conn,
                actor,
                action,
                "offer",
                ids[0],
                detail={"count": len(ids)} if len(ids) > 1 else None,
            )
        return ids

    async def _check_listings(self, actor: Actor, offers: list[OfferIn]) -> list[RowError]:
        """Each listing of a product of its network, in a network of the producer's.

        A network the producer is not in answers 422 like one that doesn't exist,
        audited, for one offer or a whole upload alike.
        """
        for number, offer in enumerate(offers, start=1):
            for index, listing in enumerate(offer.listings):
                if listing.network_id not in actor.network_ids:
                    field = f"listings[{index}].network_id"
                    where: dict[str, Any] = {"row": number} if len(offers) > 1 else {}
                    raise ForeignReferenceError("no such network", field=field, **where)
        product_ids = list({listing.product_id for offer in offers for listing in offer.listings})
        product_network = await products_db.select_networks_of(self.conn, product_ids)
        errors = []
        for number, offer in enumerate(offers, start=1):
            for index, listing in enumerate(offer.listings):
                if product_network.get(listing.product_id) != listing.network_id:
                    errors.append(
                        RowError(
                            row=number,
                            field=f"listings[{index}].product_id",
                            message="not a product of that network",
                        )
                    )
        return errors

    async def _visible(self, actor: Actor, offer_id: UUID) -> asyncpg.Record:
        row = await offers_db.select_offer(self.conn, offer_id)
        if row is None:
            raise NotFoundError("no such offer")
        listed_in = {listing["network_id"] for listing in row["listings"]}
        if not (
            actor.is_admin
            or row["producer_id"] == actor.organisation_id
            or any(actor.member_of(UUID(str(n))) for n in listed_in)
        ):
            raise TenantDeniedError("no such offer")
        return row

    async def _own(self, actor: Actor, offer_id: UUID) -> asyncpg.Record:
        row = await self._visible(actor, offer_id)
        # --- federation mirrors (docs/federation.md): changed only at their origin ---
        peer = await mirror_db.select_offer_peer(self.conn, offer_id)
        if peer is not None:
            raise ConflictError(
                "this offer mirrors an offer of the peer deployment {peer}: it is changed "
                "there, and follows that deployment's feed here",
                values={"peer": peer},
            )
        if row["producer_id"] != actor.organisation_id:
            raise TenantDeniedError("no such offer")
        return row


def _patched(current: OfferOut, patch: OfferPatch) -> OfferOut:
    changes = {
        name: value
        for name, value in msgspec.structs.asdict(patch).items()
        if value is not msgspec.UNSET and name != "pickup_windows"
    }
    return msgspec.structs.replace(current, **changes)


def _columns(offer: OfferIn | OfferOut, producer: UUID | None = None) -> dict[str, Any]:
    # an offer is written as its producer reads it, with its exact place
    assert offer.pickup is not None
    return {
        "producer_id": producer if isinstance(offer, OfferIn) else offer.producer_id,
        "pack_units": offer.pack_units,
        "packs_available": offer.packs_available,
        "price_per_pack_ore": offer.price_per_pack_ore,
        "valid_from": offer.valid_from,
        "valid_until": offer.valid_until,
        "pickup_lat": offer.pickup.lat,
        "pickup_lon": offer.pickup.lon,
        "pickup_address": offer.pickup.address,
        "note": offer.note,
    }


def _as_seen_by(actor: Actor, row: asyncpg.Record) -> OfferOut:
    """The offer with its pickup place as the actor may see it: exact for its producer,
    the admin and the coordinators of a network it is listed in; for other members at
    the precision the producer chose for its place (``places/precision.py``)."""
    offer = offer_out(row)
    if (
        actor.is_admin
        or actor.organisation_id == offer.producer_id
        or any(actor.coordinates(listing.network_id) for listing in offer.listings)
    ):
        return offer
    pickup = shown_location(
        offer.pickup, row["producer_precision"] or "approximate", row["producer_municipality"]
    )
    return msgspec.structs.replace(offer, pickup=pickup)


def offer_out(row: asyncpg.Record) -> OfferOut:
    return as_struct(
        row,
        OfferOut,
        listings=[msgspec.convert(item, ListingOut, strict=False) for item in row["listings"]],
        pickup=Location(
            lat=row["pickup_lat"], lon=row["pickup_lon"], address=row["pickup_address"]
        ),
        pickup_windows=[msgspec.convert(w, WindowOut, strict=False) for w in row["pickup_windows"]],
    )


def encode_cursor(offer: OfferOut) -> str:
    raw = f"{offer.created_at.isoformat()}|{offer.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, offer_id = raw.split("|")
        return dt.datetime.fromisoformat(created_at), UUID(offer_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidParameterError(
            "`cursor` is not one this API gave out", field="cursor"
        ) from None
