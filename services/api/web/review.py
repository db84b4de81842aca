"""What the run review works out from a run's stored result and routes: pure, no I/O.

Quantities are added only within one unit (kg with kg, never kg with litres), each
product's units counted at their size (500 g units of cheese with whole kg of carrots);
money is whole öre; each co-op's goods are its part of the packs bought, split by units
with the largest remainder, as its delivery note has them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from uuid import UUID

import msgspec

from services.api.demand.amounts import Measure
from services.api.products.schemas import ProductOut
from services.api.runs.schemas import (
    RouteOut,
    RunResult,
    UnfilledOut,
)
from services.matcher.engine.common.fair import largest_remainder
from shared.contracts.runs import RunRouting

UNITS = ("kg", "l", "piece")  # the order the pages list them in
EARTH_RADIUS_KM = 6371.0


class Quantity(msgspec.Struct, frozen=True, kw_only=True):
    """An amount of kg, l or pieces, in thousandths (grams, millilitres)."""

    unit: str
    units: int  # thousandths of ``unit``

    @property
    def measure(self) -> Measure:
        return Measure(self.unit, 1)  # each of ``units`` is a thousandth


def by_unit(amounts: Iterable[tuple[Measure, int]]) -> list[Quantity]:
    """Catalogue units of products added up as kg, l and pieces apart, in that order:
    each product's units counted at its size (3 units of 500 g and 1 of 1 kg: 2,5 kg)."""
    totals: dict[str, int] = defaultdict(int)
    for measure, units in amounts:
        totals[measure.unit] += measure.thousandths(units)
    order = {unit: n for n, unit in enumerate(UNITS)}
    return [
        Quantity(unit=unit, units=units)
        for unit, units in sorted(totals.items(), key=lambda item: (order.get(item[0], 9), item[0]))
    ]


class Column(msgspec.Struct, frozen=True, kw_only=True):
    """One offer bought from: whose, how big its packs are, how many were bought."""

    offer_id: UUID
    producer: str
    pack_units: int
    packs: int


class SplitRow(msgspec.Struct, frozen=True, kw_only=True):
    coop_id: UUID
    coop: str
    cells: list[int]  # units of each column's offer, in the columns' order
    total: int


class Completion(msgspec.Struct, frozen=True, kw_only=True):
    """How many more units the network would have to order for one more pack."""

    units: int
    pack_units: int | None  # the pack it would complete, when one offer bought can
    producer: str | None


class ProductReview(msgspec.Struct, kw_only=True):
    product_id: UUID
    name: str
    unit: str
    measure: Measure | None  # None: a product no longer in the catalogue
    demanded: int  # firm units the co-ops ordered
    filled: int  # firm units they get
    extra: int  # units taken above firm, within the co-ops' tolerance
    packs: int
    columns: list[Column]
    rows: list[SplitRow]
    completion: Completion | None
    unfilled: list[UnfilledOut]

    @property
    def percent(self) -> int:
        return self.filled * 100 // self.demanded if self.demanded else 100


def product_reviews(
    result: RunResult,
    products: Mapping[UUID, ProductOut],
    names: Mapping[UUID, str],
    producer_of: Mapping[UUID, UUID],
) -> list[ProductReview]:
    """Per product: firm demand and fill, how each offer's packs are split between the
    co-ops, what would complete another pack, and the lines left short."""
    purchases = {p.offer_id: p for p in result.purchases}
    firm: dict[UUID, int] = defaultdict(int)
    extra: dict[UUID, int] = defaultdict(int)
    cells: dict[UUID, dict[tuple[UUID, UUID], int]] = defaultdict(lambda: defaultdict(int))
    for a in result.allocations:
        firm[a.product_id] += a.units - a.tolerance_units
        extra[a.product_id] += a.tolerance_units
        cells[a.product_id][(a.coop_id, a.offer_id)] += a.units
    short: dict[UUID, list[UnfilledOut]] = defaultdict(list)
    for u in result.unfilled:
        short[u.product_id].append(u)
    reviews = []
    for product_id in set(firm) | set(short):
        split = cells[product_id]
        columns = sorted(
            (
                Column(
                    offer_id=offer_id,
                    producer=names.get(producer_of.get(offer_id, offer_id), ""),
                    pack_units=purchases[offer_id].pack_units,
                    packs=purchases[offer_id].packs,
                )
                for offer_id in {offer for _, offer in split}
                if offer_id in purchases
            ),
            key=lambda c: (c.producer, c.pack_units, str(c.offer_id)),
        )
        coops = sorted({coop for coop, _ in split}, key=lambda c: (names.get(c, ""), str(c)))
        rows = []
        for coop in coops:
            units = [split.get((coop, c.offer_id), 0) for c in columns]
            rows.append(
                SplitRow(coop_id=coop, coop=names.get(coop, ""), cells=units, total=sum(units))
            )
        lines = sorted(short[product_id], key=lambda u: (names.get(u.coop_id, ""), str(u.coop_id)))
        product = products.get(product_id)
        reviews.append(
            ProductReview(
                product_id=product_id,
                name=product.name if product else str(product_id),
                unit=product.unit if product else "",
                measure=Measure.of_product(product) if product else None,
                demanded=firm[product_id] + sum(u.units_short for u in lines),
                filled=firm[product_id],
                extra=extra[product_id],
                packs=sum(c.packs for c in columns),
                columns=columns,
                rows=rows,
                completion=completion(lines, columns),
                unfilled=lines,
            )
        )
    return sorted(reviews, key=lambda r: (r.name, str(r.product_id)))


def completion(lines: Sequence[UnfilledOut], columns: Sequence[Column]) -> Completion | None:
    """The fewest more units that would complete another pack (the engine's count, the
    same for every line of a product that waits on one), and the pack: the smallest of
    the offers bought that is at least that big."""
    needs = [
        u.units_to_next_pack
        for u in lines
        if u.reason == "pack_not_completed" and u.units_to_next_pack is not None
    ]
    if not needs:
        return None
    units = min(needs)
    fitting = sorted((c for c in columns if c.pack_units >= units), key=lambda c: c.pack_units)
    if not fitting:
        return Completion(units=units, pack_units=None, producer=None)
    return Completion(units=units, pack_units=fitting[0].pack_units, producer=fitting[0].producer)


def goods_by_coop(result: RunResult) -> dict[UUID, int]:
    """Each co-op's part of the packs bought, in öre: each offer's packs times price
    split over its allocations by units (largest remainder), adding up exactly."""
    price = {p.offer_id: p.packs * p.price_per_pack_ore for p in result.purchases}
    by_offer: dict[UUID, list[tuple[tuple[str, str], int]]] = defaultdict(list)
    coop_of: dict[tuple[str, str], UUID] = {}
    for a in result.allocations:
        key = (str(a.demand_line_id), str(a.coop_id))
        by_offer[a.offer_id].append((key, a.units))
        coop_of[key] = a.coop_id
    goods: dict[UUID, int] = defaultdict(int)
    for offer_id, weights in by_offer.items():
        merged: dict[tuple[str, str], int] = defaultdict(int)
        for key, units in weights:
            merged[key] += units
        for key, ore in largest_remainder(price.get(offer_id, 0), sorted(merged.items())).items():
            goods[coop_of[key]] += ore
    return dict(goods)


def over_threshold(share_ore: int, goods_ore: int, threshold_permille: int) -> bool:
    """Whether a transport share is more than ``threshold_permille`` of the goods."""
    return share_ore * 1000 > threshold_permille * goods_ore


def goods_to_clear(share_ore: int, goods_ore: int, threshold_permille: int) -> int | None:
    """How much more goods, in öre, would bring the same share down to the threshold;
    None when no amount would (a threshold of 0)."""
    if threshold_permille <= 0:
        return None
    return max(0, math.ceil(share_ore * 1000 / threshold_permille) - goods_ore)


class Nearby(msgspec.Struct, frozen=True, kw_only=True):
    name: str | None  # None: the hub
    km: float


class CoopTransport(msgspec.Struct, kw_only=True):
    """One co-op's transport share against its goods, and what would lower it."""

    coop_id: UUID
    coop: str
    goods_ore: int
    share_ore: int
    standalone_ore: int | None  # delivering to it alone, where the routes know it
    permille: int | None  # the share over the goods; None with no goods
    warn: bool
    more_goods_ore: int | None
    nearest: Nearby | None  # the nearest other co-op the run serves
    hub: Nearby | None


def coop_transport(
    goods: Mapping[UUID, int],
    routes: Sequence[RouteOut],
    names: Mapping[UUID, str],
    threshold_permille: int,
    hub: tuple[float, float] | None,
) -> list[CoopTransport]:
    """Every co-op of the proposed routes' shares, most burdened first."""
    share: dict[UUID, int] = defaultdict(int)
    alone: dict[UUID, int] = defaultdict(int)
    known: set[UUID] = set()
    for route in routes:
        for s in route.cost_shares:
            if s.payer != "coop":
                continue
            share[s.organisation_id] += s.share_ore
            if s.standalone_cost_ore is not None:
                alone[s.organisation_id] += s.standalone_cost_ore
                known.add(s.organisation_id)
    places = {
        stop.organisation_id: (stop.lat, stop.lon)
        for route in routes
        for stop in route.stops
        if stop.kind == "delivery" and stop.organisation_id is not None
    }
    found = []
    for coop_id in set(share) | set(goods):
        own = goods.get(coop_id, 0)
        paid = share.get(coop_id, 0)
        here = places.get(coop_id)
        found.append(
            CoopTransport(
                coop_id=coop_id,
                coop=names.get(coop_id, ""),
                goods_ore=own,
                share_ore=paid,
                standalone_ore=alone[coop_id] if coop_id in known else None,
                permille=paid * 1000 // own if own else None,
                warn=paid > 0 and over_threshold(paid, own, threshold_permille),
                more_goods_ore=goods_to_clear(paid, own, threshold_permille),
                nearest=_nearest(coop_id, here, places, names),
                hub=Nearby(name=None, km=round(km_between(here, hub), 1)) if here and hub else None,
            )
        )
    return sorted(found, key=lambda c: (-(c.permille or 0), c.coop, str(c.coop_id)))


def _nearest(
    coop_id: UUID,
    here: tuple[float, float] | None,
    places: Mapping[UUID, tuple[float, float]],
    names: Mapping[UUID, str],
) -> Nearby | None:
    if here is None:
        return None
    others = [
        (km_between(here, there), names.get(other, ""))
        for other, there in places.items()
        if other != coop_id
    ]
    if not others:
        return None
    km, name = min(others)
    return Nearby(name=name, km=round(km, 1))


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle kilometres between two (lat, lon) points: as the crow flies."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


class Bar(msgspec.Struct, frozen=True, kw_only=True):
    plan: str  # baseline (each producer alone), joint, hub
    value: int  # metres, öre, seconds or grams
    width: float  # share of the longest bar of its metric, 0 to 1
    proposed: bool


class Metric(msgspec.Struct, frozen=True, kw_only=True):
    name: str  # km, kr, h, co2
    bars: list[Bar]
    saved: int  # the proposed plan against each alone, in the metric's integers


def savings_chart(routing: RunRouting) -> list[Metric]:
    """Distance, cost, time and CO2 of each producer alone, the joint and the hub plans."""
    plans = [("baseline", routing.baseline), ("joint", routing.joint)]
    if routing.hub is not None:
        plans.append(("hub", routing.hub))
    fields = (
        ("km", "distance_m"),
        ("kr", "cost_ore"),
        ("h", "duration_s"),
        ("co2", "co2_grams"),
    )
    proposed = routing.hub if routing.proposed == "hub" and routing.hub else routing.joint
    metrics = []
    for name, field in fields:
        values = [(plan, int(getattr(totals, field))) for plan, totals in plans]
        longest = max((value for _, value in values), default=0) or 1
        metrics.append(
            Metric(
                name=name,
                bars=[
                    Bar(
                        plan=plan,
                        value=value,
                        width=round(max(value, 0) / longest, 4),
                        proposed=plan == routing.proposed,
                    )
                    for plan, value in values
                ],
                saved=int(getattr(routing.baseline, field)) - int(getattr(proposed, field)),
            )
        )
    return metrics
