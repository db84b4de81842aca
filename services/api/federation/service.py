"""DFC export and import (docs/federation.md): a producer's offers as a DFC catalog, a
DFC catalog (a document or a URL) as a producer's offers, a published run's purchases
as DFC orders. The mapping is the engine's (``engine/federation``), the JSON-LD
processing ``shared.federation.jsonld``'s; here are the rules of who may do what.

Who: a producer's catalog is read by whoever shares a network with it, showing the
offers listed in the networks they share (the producer itself and the admin: all of
them), the pickup places at the producer's chosen precision as the offer list does.
Importing is for the producer itself and the coordinators of the network imported into;
orders are read as pick lists are (a producer its own, once published).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, NamedTuple
from uuid import UUID

import asyncpg
import msgspec

from services.api.auth.actor import Actor, Role
from services.api.core.audit import record
from services.api.core.strict_body import decode_json
from services.api.core.types import Location
from services.api.federation.catalog_offers import catalog_offer, offer_vat, vat_rate, vat_rules
from services.api.federation.fetch import CatalogFetcher, CatalogFetchError
from services.api.federation.schemas import DfcImportIn, DfcImportOut, SkippedItem
from services.api.offers.schemas import OfferIn
from services.api.offers.service import OfferService
from services.api.places.precision import shown_location
from services.api.runs.service import RunService
from services.matcher.engine.federation.catalog import CatalogOffer, Place, Seller, catalog
from services.matcher.engine.federation.orders import Buyer, Purchase, SupplierOrder, orders
from services.matcher.engine.federation.reading import (
    CatalogueProduct,
    ImportedOffer,
    ImportRules,
    read_catalog,
)
from services.matcher.engine.settlement.vat import (
    VatRule,
)
from shared.db import cycles as cycles_db
from shared.db import federation as federation_db
from shared.db import networks as networks_db
from shared.db import organisations as organisations_db
from shared.db import products as products_db
from shared.db.federation import SourceRow
from shared.db.pool import Conn, Pool
from shared.errors import (
    ConflictError,
    ForeignReferenceError,
    LocationRequiredError,
    NotFoundError,
    TenantDeniedError,
    Term,
    UnprocessableError,
)
from shared.federation import jsonld

MAX_PROBLEMS = 1000


class ImportTarget(NamedTuple):
    producer: asyncpg.Record
    network_id: UUID
    valid_from: dt.date | None
    valid_until: dt.date | None


async def import_dfc(
    pool: Pool,
    fetcher: CatalogFetcher,
    public_url: str,
    actor: Actor,
    producer_id: UUID,
    data: DfcImportIn,
) -> DfcImportOut:
    """The import as the API runs it: the checks on one connection, then the fetch and
    the JSON-LD read (seconds, bounded) holding none, then the store on another, so a
    slow catalog server can't keep the pool's connections from everyone else."""
    async with pool.acquire() as conn:
        service = FederationService(conn, OfferService(conn), None, fetcher, public_url)
        target = await service.import_target(actor, producer_id, data)
    nodes = await read_catalog_document(fetcher, data)
    async with pool.acquire() as conn:
        service = FederationService(conn, OfferService(conn), None, fetcher, public_url)
        return await service.import_nodes(actor, producer_id, data, target, nodes)


async def read_catalog_document(fetcher: CatalogFetcher, data: DfcImportIn) -> Any:
    """The catalog's nodes: sent, or fetched from its URL, then read as JSON-LD with the
    process's bound on reads at once (pyld is pure Python: each read is CPU)."""
    field = "url" if data.url else "catalog"
    document: Any = data.catalog
    if data.url is not None:
        try:
            body = await fetcher.fetch(data.url)
        except CatalogFetchError as exc:
            raise UnprocessableError(exc.message, values=exc.values, field="url") from None
        try:
            document = decode_json(body)
        except (msgspec.DecodeError, UnicodeDecodeError):
            raise UnprocessableError("what the URL serves is not JSON", field="url") from None
    try:
        async with fetcher.reads:
            return await asyncio.to_thread(jsonld.read, document)
    except jsonld.JsonLdRefusedError as exc:
        raise UnprocessableError(str(exc), field=field) from None


class FederationService:
    def __init__(
        self,
        conn: Conn,
        offers: OfferService,
        runs: RunService | None,
        fetcher: CatalogFetcher,
        public_url: str,
    ) -> None:
        self.conn = conn
        self.offers = offers
        self.runs = runs
        self.fetcher = fetcher
        self.public_url = public_url.rstrip("/")

    async def catalog(self, actor: Actor, producer_id: UUID, network_id: UUID | None) -> bytes:
        """The producer's offers on sale today or later that ``actor`` may see."""
        producer = await self._producer(producer_id)
        theirs = set(producer["network_ids"])
        if actor.is_admin or actor.organisation_id == producer_id:
            shared = None
        else:
            shared = theirs & actor.network_ids
            if not shared:
                raise TenantDeniedError("no such producer")
        if network_id is not None and network_id not in (theirs if shared is None else shared):
            raise TenantDeniedError("no such network", field="network_id")
        today = _today()
        rows = await federation_db.select_catalog_offers(
            self.conn,
            producer_id,
            on_or_after=today,
            networks=None if shared is None else sorted(shared),
            network_id=network_id,
        )
        rates = await vat_rules(self.conn, {row["network_id"] for row in rows})
        offers = [
            self._catalog_offer(actor, producer, row, rates[row["network_id"]], today)
            for row in sorted(rows, key=lambda r: (r["product"].casefold(), r["valid_from"]))
        ]
        document = catalog(
            Seller(iri=self._organisation_iri(producer_id), name=producer["name"]),
            offers,
            base=self.catalog_url(producer_id),
            context=jsonld.CONTEXT_URL,
        )
        return msgspec.json.encode(document)

    async def import_target(
        self, actor: Actor, producer_id: UUID, data: DfcImportIn
    ) -> ImportTarget:
        """Who imports for whom, where and for which days: checked before anything is
        fetched (a member can't make the server fetch for a producer it can't act for)."""
        producer = await self._importing_for(actor, producer_id)
        network_id, valid_from, valid_until = await self._target(actor, producer, data)
        return ImportTarget(producer, network_id, valid_from, valid_until)

    async def import_nodes(
        self,
        actor: Actor,
        producer_id: UUID,
        data: DfcImportIn,
        target: ImportTarget,
        nodes: Any,
    ) -> DfcImportOut:
        """The catalog's nodes, read, stored as offers: all or none."""
        producer, network_id = target.producer, target.network_id
        valid_from, valid_until = target.valid_from, target.valid_until
        network = await networks_db.select_network(self.conn, network_id)
        assert network is not None
        products = await products_db.select_products(self.conn, network_id)
        plan = read_catalog(
            nodes,
            ImportRules(
                catalogue=[
                    CatalogueProduct(id=row["id"], name=row["name"], unit=row["unit"])
                    for row in products
                ],
                products=dict(data.products),
                currency=network["currency"],
                packs_when_unlimited=data.packs_when_unlimited,
            ),
        )
        if not (plan.offers or plan.problems or plan.skipped):
            raise UnprocessableError(
                "the catalog has no items: no dfc-b:CatalogItem with a dfc-b:SuppliedProduct",
                field="url" if data.url else "catalog",
            )
        problems = [msgspec.structs.asdict(problem) for problem in plan.problems]
        ready: list[tuple[ImportedOffer, OfferIn]] = []
        for offer in plan.offers:
            try:
                ready.append(
                    (
                        offer,
                        _offer_in(
                            offer, network_id, producer, data.pickup, valid_from, valid_until
                        ),
                    )
                )
            except ValueError as exc:
                problems.append({"item": offer.source, "name": offer.name, "message": str(exc)})
        async with self.conn.transaction():
            created, updated = await self._store(
                actor, producer_id, network_id, ready, problems, data.url or ""
            )
        return DfcImportOut(
            created=len(created),
            updated=len(updated),
            ids=created + updated,
            skipped=[SkippedItem(item=s.item, name=s.name, reason=s.reason) for s in plan.skipped],
            dfc_version=jsonld.DFC_VERSION,
        )

    async def _store(
        self,
        actor: Actor,
        producer_id: UUID,
        network_id: UUID,
        ready: list[tuple[ImportedOffer, OfferIn]],
        problems: list[dict[str, Any]],
        source_url: str,
    ) -> tuple[list[UUID], list[UUID]]:
        """Post the new items' offers and update those an earlier import of the same item
        posted for the same days (its pack size kept), under the producer's import lock;
        all or none: any problem refuses the whole import."""
        await federation_db.lock_producer_imports(self.conn, producer_id)
        linked = [_iri(offer.source) for offer, _ in ready if not offer.source.startswith("_:")]
        earlier = {
            (row["item_iri"], row["valid_from"], row["valid_until"]): row
            for row in await federation_db.select_imported(
                self.conn, producer_id, network_id, linked
            )
        }
        new: list[tuple[ImportedOffer, OfferIn]] = []
        again: list[tuple[ImportedOffer, OfferIn, UUID]] = []
        for offer, offer_in in ready:
            row = earlier.get((_iri(offer.source), offer_in.valid_from, offer_in.valid_until))
            if row is None or offer.source.startswith("_:"):
                new.append((offer, offer_in))
            elif problem := _unchangeable(row, offer_in):
                problems.append({"item": offer.source, "name": offer.name, "message": problem})
            else:
                again.append((offer, offer_in, row["id"]))
        if problems:
            raise UnprocessableError(
                "{n} catalog item(s) can't be imported; nothing was stored",
                values={"n": len(problems)},
                errors=problems[:MAX_PROBLEMS],
                error_count=len(problems),
            )
        created = (
            await self.offers.create_imported(actor, producer_id, [o for _, o in new])
            if new
            else []
        )
        for offer, offer_in, offer_id in again:
            await self._update(offer_id, offer, offer_in)
        await federation_db.insert_sources(
            self.conn,
            [
                SourceRow(
                    offer_id=offer_id,
                    network_id=network_id,
                    item_iri=_iri(offer.source),
                    offer_iri=_iri(offer.offer_iri),
                    source_url=source_url,
                )
                for offer_id, (offer, _) in zip(created, new, strict=True)
                if not offer.source.startswith("_:")
            ],
        )
        updated = [offer_id for _, _, offer_id in again]
        await federation_db.touch_sources(
            self.conn, updated, [_iri(offer.offer_iri) for offer, _, _ in again], source_url
        )
        await record(
            self.conn,
            actor,
            "offer.dfc_import",
            "organisation",
            producer_id,
            network_id=network_id,
            detail={"created": len(created), "updated": len(updated), "url": source_url[:300]},
        )
        return created, updated

    async def _update(self, offer_id: UUID, offer: ImportedOffer, offer_in: OfferIn) -> None:
        assert offer_in.pickup is not None
        values = federation_db.ImportedValues(
            offer_id=offer_id,
            packs_available=offer_in.packs_available,
            price_per_pack_ore=offer_in.price_per_pack_ore,
            pickup_lat=offer_in.pickup.lat,
            pickup_lon=offer_in.pickup.lon,
            pickup_address=offer_in.pickup.address,
            note=offer_in.note,
        )
        try:
            if not await federation_db.update_imported(self.conn, values):
                raise ConflictError(
                    "the offer of {name} was withdrawn meanwhile", values={"name": repr(offer.name)}
                )
        except asyncpg.CheckViolationError:  # a run reserved packs meanwhile
            raise ConflictError(
                "the offer of {name} now has more packs reserved than the catalog's stock; "
                "nothing was stored",
                values={"name": repr(offer.name)},
            ) from None

    async def orders(self, actor: Actor, run_id: UUID) -> bytes:
        """A published run's purchases, one order per producer (a producer: its own)."""
        assert self.runs is not None, "orders are read by a service made with runs"
        _, own = await self.runs.documents(actor, run_id)
        heading = await federation_db.select_run_heading(self.conn, run_id)
        if heading is None:
            raise NotFoundError("no such run")
        if heading["state"] != "published":
            raise ConflictError(
                "the run is {state}: its purchases become orders once it is published",
                values={"state": Term(heading["state"])},
            )
        rates = (await vat_rules(self.conn, {heading["network_id"]}))[heading["network_id"]]
        day = heading["delivery_date"]
        by_producer: dict[UUID, list[asyncpg.Record]] = defaultdict(list)
        for row in await federation_db.select_run_purchases(self.conn, run_id):
            if own is None or row["producer_id"] == own:
                by_producer[row["producer_id"]].append(row)
        supplier_orders = [
            SupplierOrder(
                producer_id=producer,
                producer_iri=self._organisation_iri(producer),
                producer_name=rows[0]["producer"],
                purchases=[
                    Purchase(
                        # as the producer's own platform names it, when imported from it
                        offer_iri=row["source_offer_iri"]
                        or f"{self.catalog_url(producer)}#offer-{row['offer_id']}",
                        product=row["product"],
                        unit=row["unit"],
                        pack_units=row["pack_units"],
                        packs=row["packs"],
                        price_per_pack_ore=row["price_per_pack_ore"],
                        vat_rate_bp=vat_rate(rates, row["category"], day),
                    )
                    for row in rows
                ],
            )
            for producer, rows in by_producer.items()
        ]
        document = orders(
            Buyer(
                iri=f"{self.public_url}/v1/networks/{heading['network_id']}",
                name=heading["network"],
            ),
            supplier_orders,
            base=f"{self.public_url}/v1/runs/{run_id}/dfc/orders",
            ordered_on=heading["published_at"].date(),
            currency=heading["currency"],
            context=jsonld.CONTEXT_URL,
        )
        return msgspec.json.encode(document)

    def catalog_url(self, producer_id: UUID) -> str:
        return f"{self.public_url}/v1/producers/{producer_id}/dfc/catalog"

    def _organisation_iri(self, organisation_id: UUID) -> str:
        return f"{self.public_url}/v1/organisations/{organisation_id}"

    async def _producer(self, producer_id: UUID) -> asyncpg.Record:
        row = await organisations_db.select_organisation(self.conn, producer_id)
        if row is None or row["kind"] != "producer":
            raise NotFoundError("no such producer")
        return row

    async def _importing_for(self, actor: Actor, producer_id: UUID) -> asyncpg.Record:
        """The producer itself, or a coordinator of a network it belongs to; others 404."""
        if actor.role is Role.PRODUCER and actor.organisation_id != producer_id:
            raise TenantDeniedError("no such producer")
        producer = await self._producer(producer_id)
        if actor.role is Role.COORDINATOR and not any(
            actor.coordinates(network) for network in producer["network_ids"]
        ):
            raise TenantDeniedError("no such producer")
        if producer["lat"] is None:
            raise LocationRequiredError(
                "{name} has no location yet, so nothing can be picked up from it: set its "
                "place (address and position) before offering",
                values={"name": producer["name"]},
                field="location",
                organisation_id=str(producer_id),
            )
        return producer

    async def _target(
        self, actor: Actor, producer: asyncpg.Record, data: DfcImportIn
    ) -> tuple[UUID, dt.date | None, dt.date | None]:
        """The network to list in (one of the producer's that the actor may list in) and
        the offers' days: the request's, else an open cycle's delivery day."""
        valid_from, valid_until = data.valid_from, data.valid_until
        if data.cycle_id is not None:
            cycle = await cycles_db.select_cycle(self.conn, data.cycle_id)
            if cycle is None or not self._may_list_in(actor, producer, cycle["network_id"]):
                raise ForeignReferenceError("no such cycle", field="cycle_id")
            if cycle["state"] != "open":
                raise ConflictError(
                    "the cycle is {state}: import into an open cycle",
                    values={"state": Term(cycle["state"])},
                    field="cycle_id",
                )
            day = cycle["delivery_date"]
            return cycle["network_id"], valid_from or day, valid_until or day
        assert data.network_id is not None
        if not self._may_list_in(actor, producer, data.network_id):
            raise ForeignReferenceError("no such network", field="network_id")
        return data.network_id, valid_from, valid_until

    @staticmethod
    def _may_list_in(actor: Actor, producer: asyncpg.Record, network_id: UUID) -> bool:
        if network_id not in producer["network_ids"]:
            return False
        if actor.role is Role.COORDINATOR:
            return actor.coordinates(network_id)
        return network_id in actor.network_ids

    def _catalog_offer(
        self,
        actor: Actor,
        producer: asyncpg.Record,
        row: asyncpg.Record,
        rules: Sequence[VatRule],
        today: dt.date,
    ) -> CatalogOffer:
        exact = Location(
            lat=row["pickup_lat"], lon=row["pickup_lon"], address=row["pickup_address"]
        )
        if (
            actor.is_admin
            or actor.organisation_id == producer["id"]
            or actor.coordinates(row["network_id"])
        ):
            shown: Location | None = exact
        else:
            shown = shown_location(
                exact, producer["place_precision"] or "approximate", producer["municipality"]
            )
        vat = offer_vat(row, rules, today)
        place = Place(lat=shown.lat, lon=shown.lon, address=shown.address) if shown else None
        return catalog_offer(row, vat, place)


def _offer_in(
    offer: ImportedOffer,
    network_id: UUID,
    producer: asyncpg.Record,
    pickup: Location | None,
    valid_from: dt.date | None,
    valid_until: dt.date | None,
) -> OfferIn:
    """The offer as ``POST /v1/offers`` takes it, checked as that checks it."""
    first = valid_from or offer.valid_from
    last = valid_until or offer.valid_until
    if first is None or last is None:
        raise ValueError(
            "the catalog gives no days for it: send `valid_from` and `valid_until`, or `cycle_id`"
        )
    place = offer.pickup or (
        Place(lat=pickup.lat, lon=pickup.lon, address=pickup.address)
        if pickup
        else Place(lat=producer["lat"], lon=producer["lon"], address=producer["address"])
    )
    try:
        return msgspec.convert(
            {
                "listings": [{"network_id": network_id, "product_id": offer.product_id}],
                "pack_units": offer.pack_units,
                "packs_available": offer.packs_available,
                "price_per_pack_ore": offer.price_per_pack_ore,
                "valid_from": first,
                "valid_until": last,
                "pickup": {"lat": place.lat, "lon": place.lon, "address": place.address[:500]},
                "note": offer.note,
            },
            OfferIn,
            from_attributes=False,
        )
    except msgspec.ValidationError as exc:
        raise ValueError(str(exc)) from None


def _iri(text: str) -> str:
    """An @id as stored: no NUL (a fetched catalog may carry one), at most 2000 characters."""
    return text.replace("\x00", "")[:2000]


def _unchangeable(row: asyncpg.Record, offer_in: OfferIn) -> str | None:
    """Why the offer an earlier import posted can't take the catalog's item now."""
    if row["pack_units"] != offer_in.pack_units:
        return (
            f"the pack size changed from {row['pack_units']} to {offer_in.pack_units} units "
            "since it was imported: a pack size is fixed once offered, so withdraw that "
            "offer and import again"
        )
    if offer_in.packs_available < row["packs_reserved"]:
        return (
            f"the stock of {offer_in.packs_available} packs is below the "
            f"{row['packs_reserved']} already reserved by match runs"
        )
    return None


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()
