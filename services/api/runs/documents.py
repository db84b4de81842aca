"""What each party takes away from a run: producers' pick lists, co-ops' delivery notes,
drivers' route sheets. Built from the stored run; JSON and CSV here, the printable HTML
and PDF in ``services.api.documents``."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
import msgspec
from litestar import Response

from services.api.demand.amounts import Measure
from services.matcher.engine.settlement.invoices import Bought, line_amounts
from shared.db import routes as routes_db
from shared.db.pool import Conn


class PickLine(msgspec.Struct, kw_only=True):
    producer_id: UUID
    producer: str
    coop_id: UUID
    coop: str
    product: str
    unit: str
    temperature: str
    units: int
    pickup_at: dt.datetime | None  # when the van comes for it, in the network's time zone
    vehicle: str | None
    # one catalogue unit in thousandths of ``unit``: 500 for cheese in 500 g units
    per_unit_milli: int = 1000

    @property
    def measure(self) -> Measure:
        return Measure(self.unit, self.per_unit_milli)


class NoteLine(msgspec.Struct, kw_only=True):
    producer: str
    product: str
    unit: str
    units: int
    amount_ore: int  # the co-op's part of the packs bought, in whole öre
    arrives_at: dt.datetime | None  # in the network's time zone
    vehicle: str | None
    # what the amount comes from: the offer's packs, and the co-op's line it fills
    offer_id: UUID
    demand_line_id: UUID
    pack_units: int
    price_per_pack_ore: int
    per_unit_milli: int = 1000  # one catalogue unit in thousandths of ``unit``

    @property
    def measure(self) -> Measure:
        return Measure(self.unit, self.per_unit_milli)


class DeliveryNote(msgspec.Struct, kw_only=True):
    coop_id: UUID
    coop: str
    address: str
    lines: list[NoteLine]
    goods_ore: int
    transport_share_ore: int


class SheetStop(msgspec.Struct, kw_only=True):
    seq: int
    kind: str
    arrival_at: dt.datetime
    departure_at: dt.datetime
    place: str  # who is met there, or the start, the end, the hub
    address: str
    work: str  # what to pick up or drop
    load_kg: float  # on board when leaving


class RouteSheet(msgspec.Struct, kw_only=True):
    run_id: UUID
    plan: str
    route_no: int
    vehicle: str
    stops: list[SheetStop]


class _Stops:
    """When and by which van each producer is visited and each co-op served."""

    def __init__(self, rows: Sequence[asyncpg.Record]) -> None:
        self.by_shipment: dict[tuple[Any, ...], asyncpg.Record] = {}
        self.by_organisation: dict[tuple[Any, ...], asyncpg.Record] = {}
        self.zone = ZoneInfo(rows[0]["timezone"]) if rows else dt.UTC
        for row in rows:
            key = (row["producer_id"], row["coop_id"], row["temperature"], row["kind"])
            self.by_shipment.setdefault(key, row)
            self.by_organisation.setdefault((row["organisation_id"], row["kind"]), row)

    def find(
        self, producer: UUID, coop: UUID, temperature: str, kind: str, who: UUID
    ) -> tuple[dt.datetime | None, str | None]:
        row = self.by_shipment.get((producer, coop, temperature, kind))
        row = row or self.by_organisation.get((who, kind))  # the hub plan: one visit each
        return (row["arrival_at"].astimezone(self.zone), row["vehicle"]) if row else (None, None)


async def pick_lists(conn: Conn, run_id: UUID, plan: str) -> list[PickLine]:
    stops = _Stops(await routes_db.select_plan_stops(conn, run_id, plan))
    totals: dict[tuple[Any, ...], int] = defaultdict(int)
    names: dict[tuple[Any, ...], asyncpg.Record] = {}
    for row in await routes_db.select_document_lines(conn, run_id):
        key = (row["producer_id"], row["coop_id"], row["product_id"])
        totals[key] += row["units"]
        names[key] = row
    lines = []
    for key, units in totals.items():
        row = names[key]
        at, van = stops.find(
            row["producer_id"], row["coop_id"], row["temperature"], "pickup", row["producer_id"]
        )
        lines.append(
            PickLine(
                producer_id=row["producer_id"],
                producer=row["producer"],
                coop_id=row["coop_id"],
                coop=row["coop"],
                product=row["product"],
                unit=row["unit"],
                temperature=row["temperature"],
                units=units,
                pickup_at=at,
                vehicle=van,
                per_unit_milli=row["per_unit_milli"],
            )
        )
    return sorted(lines, key=lambda line: (line.producer, line.coop, line.product))


async def delivery_notes(conn: Conn, run_id: UUID, plan: str) -> list[DeliveryNote]:
    stops = _Stops(await routes_db.select_plan_stops(conn, run_id, plan))
    shares = await routes_db.select_coop_shares(conn, run_id)
    rows = await routes_db.select_document_lines(conn, run_id)
    amounts = _amounts(rows)
    notes: dict[UUID, DeliveryNote] = {}
    for row in rows:
        note = notes.setdefault(
            row["coop_id"],
            DeliveryNote(
                coop_id=row["coop_id"],
                coop=row["coop"],
                address=row["coop_address"],
                lines=[],
                goods_ore=0,
                transport_share_ore=shares.get(row["coop_id"], 0),
            ),
        )
        at, van = stops.find(
            row["producer_id"], row["coop_id"], row["temperature"], "delivery", row["coop_id"]
        )
        amount = amounts[(row["offer_id"], row["demand_line_id"])]
        note.lines.append(
            NoteLine(
                producer=row["producer"],
                product=row["product"],
                unit=row["unit"],
                units=row["units"],
                amount_ore=amount,
                arrives_at=at,
                vehicle=van,
                offer_id=row["offer_id"],
                demand_line_id=row["demand_line_id"],
                pack_units=row["pack_units"],
                price_per_pack_ore=row["price_per_pack_ore"],
                per_unit_milli=row["per_unit_milli"],
            )
        )
        note.goods_ore += amount
    return sorted(notes.values(), key=lambda note: note.coop)


def _amounts(rows: Iterable[asyncpg.Record]) -> dict[tuple[UUID, UUID], int]:
    """Each offer's packs times price, split over its lines by units, adding up exactly:
    the split the invoices use (``engine.settlement.invoices.line_amounts``)."""
    return line_amounts(
        Bought(
            offer_id=row["offer_id"],
            demand_line_id=row["demand_line_id"],
            units=row["units"],
            packs=row["packs"],
            price_per_pack_ore=row["price_per_pack_ore"],
        )
        for row in rows
    )


async def route_sheet(conn: Conn, run_id: UUID, route_id: UUID) -> RouteSheet | None:
    rows = await routes_db.select_plan_stops(conn, run_id, None, route_id)
    if not rows:
        return None
    names = {}
    for line in await routes_db.select_document_lines(conn, run_id):
        names[line["producer_id"]] = line["producer"]
        names[line["coop_id"]] = line["coop"]
    zone = ZoneInfo(rows[0]["timezone"])
    stops = []
    for row in rows:
        if row["kind"] in ("start", "end"):
            place, work = ("Start" if row["kind"] == "start" else "End"), ""
        elif row["organisation_id"] is None:
            place, work = "Hub", "load for the co-ops" if row["kind"] == "pickup" else "unload"
        else:
            place = row["organisation"]
            work = _work(row, names)
        stops.append(
            SheetStop(
                seq=row["seq"],
                kind=row["kind"],
                arrival_at=row["arrival_at"].astimezone(zone),
                departure_at=row["departure_at"].astimezone(zone),
                place=place,
                address=row["address"] or "",
                work=work,
                load_kg=row["load_grams"] / 1000,
            )
        )
    return RouteSheet(
        run_id=run_id,
        plan=rows[0]["plan"],
        route_no=rows[0]["route_no"],
        vehicle=rows[0]["vehicle"] or "producer's own van",
        stops=stops,
    )


def _work(row: asyncpg.Record, names: dict[UUID, str]) -> str:
    if row["weight_grams"] is None:  # a hub leg: everything for or from the hub
        return "pick up for the hub" if row["kind"] == "pickup" else "drop from the hub"
    kg = row["weight_grams"] / 1000
    if row["kind"] == "pickup":
        return f"pick up {kg:.1f} kg {row['temperature']} for {names.get(row['coop_id'], '?')}"
    return f"drop {kg:.1f} kg {row['temperature']} from {names.get(row['producer_id'], '?')}"


def to_csv(
    rows: Sequence[msgspec.Struct],
    *,
    delimiter: str = ",",
    header: Sequence[str] | None = None,
) -> str:
    """A CSV of the structs' fields (headed by their names, or ``header``); a cell a
    spreadsheet would run as a formula is kept as text with a leading apostrophe
    (OWASP's advice on CSV injection). Swedish spreadsheets read ``delimiter=";"``."""
    out = io.StringIO()
    if not rows:
        return ""
    fields = rows[0].__struct_fields__
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header or fields)
    for row in rows:
        writer.writerow(_cell(getattr(row, name)) for name in fields)
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    text = str(value)
    formula = isinstance(value, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r")
    return "'" + text if formula else text


class NoteRow(NoteLine, kw_only=True):
    """A delivery note's line with its co-op, for the flat CSV."""

    coop: str
    transport_share_ore: int


def note_rows(notes: list[DeliveryNote]) -> list[NoteRow]:
    """The delivery notes flat, a row per line, for CSV."""
    return [
        NoteRow(
            coop=note.coop,
            **msgspec.structs.asdict(line),
            transport_share_ore=note.transport_share_ore,
        )
        for note in notes
        for line in note.lines
    ]


def csv_response(text: str, filename: str, *, bom: bool = False) -> Response[str]:
    """The CSV as a download; with ``bom``, UTF-8's byte order mark first, by which
    Excel knows the file is UTF-8 (without it, å, ä and ö come out garbled)."""
    return Response(
        "\ufeff" + text if bom else text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
