"""A route's stops as its driver reads them: who is met where, and what is loaded or
unloaded there, for whom; consecutive stops at one place as one stop. Pure: rows in,
``SheetStop`` values out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from services.api.documents.model import Goods, Heading, SheetStop

SAME_PLACE_DEGREES = 1e-4  # about ten metres: a van starting "at the hub"


class GoodsIndex:
    """What each shipment carries, product by product; and for the hub plan, whose
    stops name no shipment, what each producer sends and each co-op gets, told apart by
    temperature class where the stop's change of load says which class it is."""

    def __init__(self, lines: Iterable[asyncpg.Record], shipments: Iterable[asyncpg.Record]):
        units: dict[tuple[Any, ...], int] = defaultdict(int)
        for row in lines:
            key = (row["producer_id"], row["coop_id"], row["temperature"])
            names = (row["producer"], row["coop"], row["product"])
            units[(*key, *names, row["unit"], row["per_unit_milli"])] += row["units"]
        self.by_shipment: dict[tuple[Any, ...], list[Goods]] = defaultdict(list)
        for (producer_id, coop_id, temperature, *what), n in sorted(
            units.items(), key=lambda item: item[0][3:]
        ):
            producer, coop, product, unit, size = what
            self.by_shipment[(producer_id, coop_id, temperature)].append(
                Goods(
                    producer=producer,
                    coop=coop,
                    product=product,
                    unit=unit,
                    units=n,
                    per_unit_milli=size,
                )
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


def sheet_stop(
    row: asyncpg.Record,
    before: asyncpg.Record | None,
    heading: Heading,
    contacts: dict[UUID, asyncpg.Record],
    goods: GoodsIndex,
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


def merged(stops: list[SheetStop]) -> list[SheetStop]:
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


def fill_hub_goods(stops: list[SheetStop]) -> None:
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
            {
                (g.coop, g.producer, g.product, g.unit, g.units, g.per_unit_milli)
                for s in side
                for g in s.goods
            }
        )
        stops[index] = msgspec.structs.replace(
            stop,
            goods=[
                Goods(coop=c, producer=p, product=name, unit=unit, units=n, per_unit_milli=size)
                for c, p, name, unit, n, size in items
            ],
        )


def start_of(route: asyncpg.Record, hub: asyncpg.Record) -> tuple[str, bool]:
    """Where the van starts, as coordinates (vehicles have no street address), and
    whether that is the hub."""
    if route["start_lat"] is None:
        return "", False
    at_hub = hub["hub_lat"] is not None and (
        abs(route["start_lat"] - hub["hub_lat"]) < SAME_PLACE_DEGREES
        and abs(route["start_lon"] - hub["hub_lon"]) < SAME_PLACE_DEGREES
    )
    return f"{route['start_lat']:.5f}, {route['start_lon']:.5f}", at_hub
