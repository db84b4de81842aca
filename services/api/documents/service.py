"""The printable documents of a run, each for whom it is: a producer its own pick list, a
co-op its own delivery note, the network's coordinators all of them and the route
sheets. Tenancy is the run service's (``RunService.documents``): another network's run,
or a run not yet published for a member, answers 404.

The figures are those of ``services.api.runs.documents`` (the JSON and CSV exports), so
a printed note says to the öre what the API says."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from services.api.auth.actor import Actor
from services.api.documents.model import (
    Goods,
    Heading,
    NoteDocument,
    PackedOffer,
    Party,
    PickList,
    Portion,
    SheetDocument,
    SheetStop,
    ShortLine,
    Transport,
    split_packs,
)
from services.api.runs.documents import DeliveryNote, delivery_notes, pick_lists
from services.api.runs.service import RunService
from shared.db import documents as documents_db
from shared.db import routes as routes_db
from shared.db.pool import Conn
from shared.errors import NotFoundError

SAME_PLACE_DEGREES = 1e-4  # about ten metres: a van starting "at the hub"


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
        return sorted(
            (
                PickList(
                    heading=heading,
                    producer=parties.get(producer) or Party(id=producer, name=""),
                    split_by="hub" if plan == "hub" else "producer",
                    offers=_packed([row for row in rows if row["producer_id"] == producer]),
                    lines=[line for line in lines if line.producer_id == producer],
                    coops={key: parties[key] for key in coops if key in parties},
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
        start, at_hub = _start(route, hub)
        lines = await routes_db.select_document_lines(self.conn, run_id)
        shipments = await routes_db.select_shipments(self.conn, run_id)
        met = {row["organisation_id"] for row in rows if row["organisation_id"] is not None}
        contacts = await documents_db.select_contacts(self.conn, list(met))
        goods = _Goods(lines, shipments)
        stops = [
            _stop(row, rows[n - 1] if n else None, heading, contacts, goods)
            for n, row in enumerate(rows)
        ]
        stops = _merged(stops)
        _hub_goods(stops)
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


class _Goods:
    """What each shipment carries, product by product; and for the hub plan, whose
    stops name no shipment, what each producer sends and each co-op gets, told apart by
    temperature class where the stop's change of load says which class it is."""

    def __init__(self, lines: Iterable[asyncpg.Record], shipments: Iterable[asyncpg.Record]):
        units: dict[tuple[Any, ...], int] = defaultdict(int)
        for row in lines:
            key = (row["producer_id"], row["coop_id"], row["temperature"])
            units[(*key, row["producer"], row["coop"], row["product"], row["unit"])] += row["units"]
        self.by_shipment: dict[tuple[Any, ...], list[Goods]] = defaultdict(list)
        for (producer_id, coop_id, temperature, *names), n in sorted(
            units.items(), key=lambda item: item[0][3:]
        ):
            producer, coop, product, unit = names
            self.by_shipment[(producer_id, coop_id, temperature)].append(
                Goods(producer=producer, coop=coop, product=product, unit=unit, units=n)
            )
        self.grams: dict[UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for row in shipments:
            if row["unserved_reason"] is None:
                for who in (row["producer_id"], row["coop_id"]):
                    self.grams[who][row["temperature"]] += row["weight_grams"]

    def of_shipment(self, producer: UUID, coop: UUID, temperature: str) -> list[Goods]:
        return list(self.by_shipment.get((producer, coop, temperature), []))

    def of_party(self, who: UUID, moved_grams: int) -> list[Goods]:
        """Everything ``who`` sends or gets, of the temperature class whose weight is
        what the van loaded or unloaded there (all classes if that doesn't tell)."""
        weights = self.grams.get(who, {})
        classes = [t for t, grams in weights.items() if grams == moved_grams]
        chosen = set(classes) if len(classes) == 1 else set(weights) or None
        return [
            goods
            for (producer, coop, temperature), items in sorted(
                self.by_shipment.items(), key=lambda item: str(item[0])
            )
            if who in (producer, coop) and (chosen is None or temperature in chosen)
            for goods in items
        ]


def _stop(
    row: asyncpg.Record,
    before: asyncpg.Record | None,
    heading: Heading,
    contacts: dict[UUID, asyncpg.Record],
    goods: _Goods,
) -> SheetStop:
    kind = row["kind"]
    who = row["organisation_id"]
    moved = abs(row["load_grams"] - (before["load_grams"] if before else 0))
    items: list[Goods] = []
    if kind in ("start", "end"):
        role = kind
    elif who is None:
        role = "hub"  # its goods are filled in from the route's other stops
    elif row["weight_grams"] is not None:  # a direct plan: the stop's own shipment
        role = "producer" if kind == "pickup" else "coop"
        items = goods.of_shipment(row["producer_id"], row["coop_id"], row["temperature"])
    else:
        role = "producer" if kind == "pickup" else "coop"
        items = goods.of_party(who, moved)
    contact = contacts.get(who) if who is not None else None
    address = contact["address"] if contact else heading.hub_address if role == "hub" else ""
    return SheetStop(
        seq=row["seq"],
        kind=kind,
        role=role,
        arrival_at=row["arrival_at"],
        departure_at=row["departure_at"],
        name=contact["name"] if contact else "",
        address=address,
        phone=contact["contact_phone"] if contact else "",
        goods=sorted(items, key=lambda g: (g.coop, g.producer, g.product)),
        load_grams=row["load_grams"],
    )


def _merged(stops: list[SheetStop]) -> list[SheetStop]:
    """Consecutive stops of one kind at one farm, co-op or the hub as one stop: the
    driver stops there once, for all of it (a farm sending to ten co-ops is one pickup)."""
    merged: list[SheetStop] = []
    for stop in stops:
        last = merged[-1] if merged else None
        if (
            last is not None
            and stop.kind in ("pickup", "delivery")
            and (last.kind, last.role, last.name, last.address)
            == (stop.kind, stop.role, stop.name, stop.address)
        ):
            merged[-1] = msgspec.structs.replace(
                last,
                departure_at=stop.departure_at,
                goods=sorted(
                    [*last.goods, *stop.goods], key=lambda g: (g.coop, g.producer, g.product)
                ),
                load_grams=stop.load_grams,
            )
        else:
            merged.append(stop)
    return merged


def _hub_goods(stops: list[SheetStop]) -> None:
    """At the hub the van unloads what it collected since it left, or loads what it
    then delivers: the goods of the route's farm or co-op stops on that side of it."""
    for index, stop in enumerate(stops):
        if stop.role != "hub":
            continue
        if stop.kind == "delivery":  # unload what was collected before
            side = [s for s in stops[:index] if s.role == "producer"]
        else:  # load what is delivered after
            side = [s for s in stops[index + 1 :] if s.role == "coop"]
        items = sorted(
            {(g.coop, g.producer, g.product, g.unit, g.units) for s in side for g in s.goods}
        )
        stops[index] = msgspec.structs.replace(
            stop,
            goods=[
                Goods(coop=c, producer=p, product=name, unit=unit, units=n)
                for c, p, name, unit, n in items
            ],
        )


def _start(route: asyncpg.Record, hub: asyncpg.Record) -> tuple[str, bool]:
    """Where the van starts, as coordinates (vehicles have no street address), and
    whether that is the hub."""
    if route["start_lat"] is None:
        return "", False
    at_hub = hub["hub_lat"] is not None and (
        abs(route["start_lat"] - hub["hub_lat"]) < SAME_PLACE_DEGREES
        and abs(route["start_lon"] - hub["hub_lon"]) < SAME_PLACE_DEGREES
    )
    return f"{route['start_lat']:.5f}, {route['start_lon']:.5f}", at_hub
