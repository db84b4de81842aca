"""The printable documents of a run, each for whom it is: a producer its own pick list, a
co-op its own delivery note, the network's coordinators all of them and the route
sheets. Tenancy is the run service's (``RunService.documents``): another network's run,
or a run not yet published for a member, answers 404.

The figures are those of ``services.api.runs.documents`` (the JSON and CSV exports), so
a printed note says to the öre what the API says."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from services.api.auth.actor import Actor
from services.api.documents import stops as stops_of
from services.api.documents.model import (
    Heading,
    NoteDocument,
    PackedOffer,
    Party,
    PeerOrderLine,
    PickList,
    Portion,
    SheetDocument,
    ShortLine,
    Transport,
    split_packs,
)
from services.api.runs.documents import DeliveryNote, delivery_notes, pick_lists
from services.api.runs.service import RunService
from shared.db import documents as documents_db
from shared.db import orders_federation as peer_orders_db
from shared.db import routes as routes_db
from shared.db.pool import Conn
from shared.errors import NotFoundError


class DocumentService:
    def __init__(self, conn: Conn, runs: RunService) -> None:
        self.conn = conn
        self.runs = runs

    async def pick_lists(
        self, actor: Actor, run_id: UUID, producer_id: UUID | None = None
    ) -> list[PickList]:
        """The pick lists ``actor`` may see: its own as a producer, all as a coordinator
        (or only ``producer_id``'s)."""
        plan, own = await self.runs.documents(actor, run_id)
        only = own or producer_id
        heading, _ = await self._heading(run_id, plan)
        lines = [
            line
            for line in await pick_lists(self.conn, run_id, plan)
            if only is None or line.producer_id == only
        ]
        rows = [
            row
            for row in await routes_db.select_document_lines(self.conn, run_id)
            if only is None or row["producer_id"] == only
        ]
        producers = sorted({line.producer_id for line in lines}, key=str)
        if own is not None and not producers:
            producers = [own]  # nothing to pack: its list says so
        coops = {line.coop_id for line in lines}
        contacts = await documents_db.select_contacts(self.conn, [*producers, *coops])
        parties = {key: _party(row) for key, row in contacts.items()}
        peer_orders = {
            producer: [
                _peer_line(row)
                for row in await peer_orders_db.select_producer_order_lines(
                    self.conn, producer, heading.delivery_date
                )
            ]
            for producer in producers
        }
        return sorted(
            (
                PickList(
                    heading=heading,
                    producer=parties.get(producer) or Party(id=producer, name=""),
                    split_by="hub" if plan == "hub" else "producer",
                    offers=_packed([row for row in rows if row["producer_id"] == producer]),
                    lines=[line for line in lines if line.producer_id == producer],
                    coops={key: parties[key] for key in coops if key in parties},
                    peer_orders=peer_orders[producer],
                )
                for producer in producers
            ),
            key=lambda pick: pick.producer.name,
        )

    async def delivery_notes(
        self, actor: Actor, run_id: UUID, coop_id: UUID | None = None
    ) -> list[NoteDocument]:
        """The delivery notes ``actor`` may see: its own as a co-op, all as a coordinator
        (or only ``coop_id``'s). A co-op that ordered and got nothing still gets one,
        saying what did not come and why."""
        plan, own = await self.runs.documents(actor, run_id)
        only = own or coop_id
        heading, _ = await self._heading(run_id, plan)
        notes = {note.coop_id: note for note in await delivery_notes(self.conn, run_id, plan)}
        short: dict[UUID, list[ShortLine]] = defaultdict(list)
        for row in await documents_db.select_short_lines(self.conn, run_id):
            short[row["coop_id"]].append(_short(row))
        transport = await documents_db.select_coop_transport(self.conn, run_id)
        coops = [c for c in {*notes, *short} if only is None or c == only]
        if own is not None and not coops:
            coops = [own]  # nothing for it: its note says so
        contacts = await documents_db.select_contacts(self.conn, coops)
        documents = []
        for coop in coops:
            note = notes.get(coop)
            party = _party(contacts[coop]) if coop in contacts else Party(id=coop, name="")
            documents.append(_note(heading, party, note, short[coop], transport.get(coop)))
        return sorted(documents, key=lambda document: document.coop.name)

    async def route_sheet(self, actor: Actor, run_id: UUID, route_id: UUID) -> SheetDocument:
        """A route's sheet for its driver (coordinators print them); 404 for no such route."""
        await self.runs.proposed_plan(actor, run_id)  # 404 for others' runs, 409 before a result
        route = await documents_db.select_route_vehicle(self.conn, run_id, route_id)
        rows = await routes_db.select_plan_stops(self.conn, run_id, None, route_id)
        if route is None or not rows:
            raise NotFoundError("the run has no such route")
        heading, hub = await self._heading(run_id, route["plan"])
        start, at_hub = stops_of.start_of(route, hub)
        lines = await routes_db.select_document_lines(self.conn, run_id)
        shipments = await routes_db.select_shipments(self.conn, run_id)
        met = {row["organisation_id"] for row in rows if row["organisation_id"] is not None}
        contacts = await documents_db.select_contacts(self.conn, list(met))
        goods = stops_of.GoodsIndex(lines, shipments)
        stops = [
            stops_of.sheet_stop(row, rows[n - 1] if n else None, heading, contacts, goods)
            for n, row in enumerate(rows)
        ]
        stops = stops_of.merged(stops)
        stops_of.fill_hub_goods(stops)
        return SheetDocument(
            heading=heading,
            route_id=route_id,
            route_no=route["route_no"],
            vehicle=route["vehicle"] or "",
            producer=route["producer"] or "",
            start=start,
            starts_at_hub=at_hub,
            distance_m=route["distance_m"],
            duration_s=route["duration_s"],
            stops=stops,
        )

    async def _heading(self, run_id: UUID, plan: str) -> tuple[Heading, asyncpg.Record]:
        row = await documents_db.select_heading(self.conn, run_id)
        if row is None:
            raise NotFoundError("no such run")
        return Heading(
            run_id=run_id,
            run_version=row["run_version"],
            network=row["network"],
            delivery_date=row["delivery_date"],
            zone=row["timezone"],
            plan=plan,
            hub_address=row["hub_address"] if row["hub_lat"] is not None else "",
        ), row


def _peer_line(row: asyncpg.Record) -> PeerOrderLine:
    return PeerOrderLine(
        peer=row["peer_name"],
        network=row["network"],
        delivery_date=row["delivery_date"],
        product=row["product"],
        packs=row["packs"],
        pack_units=row["pack_units"],
        state=row["state"],
    )


def _party(row: asyncpg.Record) -> Party:
    return Party(id=row["id"], name=row["name"], address=row["address"], phone=row["contact_phone"])


def _packed(rows: Sequence[asyncpg.Record]) -> list[PackedOffer]:
    """Each offer's packs, and each co-op's units of them, pack by pack."""
    by_offer: dict[UUID, list[asyncpg.Record]] = defaultdict(list)
    for row in rows:
        by_offer[row["offer_id"]].append(row)
    offers = []
    for items in by_offer.values():
        units: dict[str, int] = defaultdict(int)
        for row in items:
            units[row["coop"]] += row["units"]
        portions = sorted(
            (Portion(coop=coop, units=n) for coop, n in units.items()),
            key=lambda p: (-p.units, p.coop),
        )
        first = items[0]
        offers.append(
            PackedOffer(
                product=first["product"],
                unit=first["unit"],
                pack_units=first["pack_units"],
                packs=first["packs"],
                price_per_pack_ore=first["price_per_pack_ore"],
                coops=portions,
                split=split_packs(first["pack_units"], portions),
                per_unit_milli=first["per_unit_milli"],
            )
        )
    return sorted(offers, key=lambda offer: (offer.product, offer.pack_units))


def _short(row: asyncpg.Record) -> ShortLine:
    detail: dict[str, Any] = row["detail"] or {}
    return ShortLine(
        product=row["product"],
        unit=row["unit"],
        ordered=row["firm_quantity"],
        tolerance=row["tolerance"],
        delivered=row["units_delivered"],
        short=row["units_short"],
        reason=row["reason"],
        max_unit_price_ore=row["max_unit_price_ore"],
        pro_rata_permille=detail.get("pro_rata_permille"),
        units_to_next_pack=detail.get("units_to_next_pack"),
        cheapest_unit_price_ore=detail.get("cheapest_unit_price_ore"),
        per_unit_milli=row["per_unit_milli"],
    )


def _note(
    heading: Heading,
    coop: Party,
    note: DeliveryNote | None,
    short: list[ShortLine],
    transport: asyncpg.Record | None,
) -> NoteDocument:
    share = note.transport_share_ore if note else 0
    return NoteDocument(
        heading=heading,
        coop=coop,
        lines=note.lines if note else [],
        short=short,
        transport=Transport(
            share_ore=share,
            alone_ore=transport["standalone_ore"] if transport else share,
            routes=transport["routes"] if transport else 0,
        ),
        goods_ore=note.goods_ore if note else 0,
    )
