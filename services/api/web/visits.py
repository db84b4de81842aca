"""A route's stops as a coordinator reads them: one row per place (consecutive stops at
one place together), with the goods loaded and unloaded there. Pure, no I/O.

A stop of the direct plans names its shipment (producer, co-op, temperature); a stop of
the hub plan names only whom it meets, so its goods are that organisation's shipments
of the temperature classes whose weight the van's load changed by.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from uuid import UUID

import msgspec

from services.api.demand.amounts import Measure
from services.api.products.schemas import ProductOut
from services.api.runs.schemas import RouteOut, RunResult, ShipmentOut, StopOut


class Goods(msgspec.Struct, frozen=True, kw_only=True):
    product: str
    measure: Measure
    units: int
    party: str  # whom it is for (loaded) or whom it is from (unloaded)


class Visit(msgspec.Struct, kw_only=True):
    """Consecutive stops of a route at one place, as one row."""

    place: str  # who is met there; empty at the depot or the hub
    depot: bool
    hub: bool
    arrival: StopOut
    departure: StopOut
    loaded: list[Goods]
    unloaded: list[Goods]


ShipmentKey = tuple[UUID, UUID, str]  # producer, co-op, temperature


class GoodsIndex:
    """What each (producer, co-op, temperature) shipment holds, product by product."""

    def __init__(
        self,
        result: RunResult,
        products: Mapping[UUID, ProductOut],
        producer_of: Mapping[UUID, UUID],
    ) -> None:
        units: dict[ShipmentKey, dict[UUID, int]] = defaultdict(lambda: defaultdict(int))
        self.grams: dict[ShipmentKey, int] = defaultdict(int)
        for a in result.allocations:
            product = products.get(a.product_id)
            producer = producer_of.get(a.offer_id)
            if product is None or producer is None:
                continue
            key = (producer, a.coop_id, product.temperature)
            units[key][a.product_id] += a.units
            self.grams[key] += a.units * product.grams_per_unit
        self.units = units
        self.products = products

    def goods(
        self, keys: Iterable[ShipmentKey], names: Mapping[UUID, str], loaded: bool
    ) -> list[Goods]:
        found: dict[tuple[UUID, UUID], int] = defaultdict(int)
        for key in keys:
            producer, coop, _ = key
            for product_id, units in self.units.get(key, {}).items():
                found[(product_id, coop if loaded else producer)] += units
        lines = [
            Goods(
                product=self.products[product_id].name,
                measure=Measure.of_product(self.products[product_id]),
                units=units,
                party=names.get(party, ""),
            )
            for (product_id, party), units in found.items()
        ]
        return sorted(lines, key=lambda g: (g.party, g.product))


def _combinations(items: list[ShipmentKey], size: int) -> Iterable[list[ShipmentKey]]:
    if size == 0:
        yield []
        return
    for n, item in enumerate(items):
        for rest in _combinations(items[n + 1 :], size - 1):
            yield [item, *rest]


def visits(
    route: RouteOut,
    shipments: Mapping[UUID, ShipmentOut],
    index: GoodsIndex,
    names: Mapping[UUID, str],
) -> list[Visit]:
    """The route's stops as places: consecutive stops at one place make one row, with
    the goods loaded and unloaded there."""
    moved = [_moved(route, n, shipments, index) for n in range(len(route.stops))]
    at_coops = [
        key
        for n, stop in enumerate(route.stops)
        if stop.kind == "delivery" and stop.organisation_id
        for key in moved[n]
    ]
    at_farms = [
        key
        for n, stop in enumerate(route.stops)
        if stop.kind == "pickup" and stop.organisation_id
        for key in moved[n]
    ]
    rows: list[Visit] = []
    previous: tuple[object, ...] | None = None
    for n, stop in enumerate(route.stops):
        here = (stop.organisation_id, round(stop.lat, 5), round(stop.lon, 5))
        keys = moved[n]
        if stop.organisation_id is None and stop.kind == "pickup":
            keys = at_coops  # at the hub: what the route then delivers
        elif stop.organisation_id is None and stop.kind == "delivery":
            keys = at_farms  # at the hub: what the route has collected
        if here != previous:
            rows.append(
                Visit(
                    place=names.get(stop.organisation_id, "") if stop.organisation_id else "",
                    depot=False,
                    hub=False,
                    arrival=stop,
                    departure=stop,
                    loaded=[],
                    unloaded=[],
                )
            )
            previous = here
        visit = rows[-1]
        visit.departure = stop
        if stop.kind in ("start", "end"):
            visit.depot = True
        elif stop.organisation_id is None:
            visit.hub = True
        if stop.kind == "pickup":
            visit.loaded = _merge(visit.loaded, index.goods(keys, names, loaded=True))
        elif stop.kind == "delivery":
            visit.unloaded = _merge(visit.unloaded, index.goods(keys, names, loaded=False))
    return rows


def _moved(
    route: RouteOut, n: int, shipments: Mapping[UUID, ShipmentOut], index: GoodsIndex
) -> list[ShipmentKey]:
    """The shipments the ``n``th stop loads or unloads."""
    stop = route.stops[n]
    if stop.shipment_id is not None and stop.shipment_id in shipments:
        s = shipments[stop.shipment_id]
        return [(s.producer_id, s.coop_id, s.temperature)]
    if stop.organisation_id is None or stop.kind not in ("pickup", "delivery"):
        return []
    change = abs(stop.load_grams - (route.stops[n - 1].load_grams if n else 0))
    side = 0 if stop.kind == "pickup" else 1
    keys = sorted(
        (key for key in index.units if key[side] == stop.organisation_id),
        key=lambda k: (str(k[0]), str(k[1]), k[2]),
    )
    by_temperature: dict[str, list[ShipmentKey]] = defaultdict(list)
    for key in keys:
        by_temperature[key[2]].append(key)
    classes = [(UUID(int=0), UUID(int=0), temperature) for temperature in sorted(by_temperature)]
    grams = {c: sum(index.grams[k] for k in by_temperature[c[2]]) for c in classes}
    chosen = {c[2] for c in _matching_classes(classes, grams, change)}
    return [key for key in keys if key[2] in chosen]


def _matching_classes(
    classes: list[ShipmentKey], grams: Mapping[ShipmentKey, int], change: int
) -> list[ShipmentKey]:
    for size in range(1, len(classes) + 1):
        for chosen in _combinations(classes, size):
            if sum(grams[c] for c in chosen) == change:
                return chosen
    return classes


def _merge(before: list[Goods], more: list[Goods]) -> list[Goods]:
    total: dict[tuple[str, str, Measure], int] = defaultdict(int)
    for g in [*before, *more]:
        total[(g.party, g.product, g.measure)] += g.units
    return [
        Goods(product=product, measure=measure, units=units, party=party)
        for (party, product, measure), units in sorted(total.items())
    ]
