"""Seeded synthetic networks for the allocation benchmarks: producers, co-ops, offers,
demand lines and transport estimates shaped like a Swedish region's food network."""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from dataclasses import dataclass

from services.matcher.engine import AllocationProblem, DemandLine, Offer, TransportEstimate

DELIVERY = dt.date(2026, 12, 3)
# (name, unit grams, pack sizes seen in practice, price per unit in öre)
PRODUCTS = [
    ("morötter", 1000, (5, 10, 20), 1400),
    ("potatis", 1000, (10, 25), 900),
    ("lök", 1000, (5, 10), 1800),
    ("äpplen", 1000, (6, 12), 3200),
    ("mjölk", 1030, (6, 12), 1500),
    ("ägg", 60, (12, 30, 180), 350),
    ("havregryn", 1000, (5, 20), 2600),
    ("vetemjöl", 1000, (10, 25), 1900),
    ("kål", 1200, (8, 16), 1600),
    ("rödbetor", 1000, (5, 10), 2000),
]


@dataclass(frozen=True)
class Shape:
    """How a network's offers and demand are drawn; the default is the seeded networks
    the rest of the bench uses, the others are shapes the engine was not tuned on."""

    scarcity: tuple[float, ...] = (0.6, 0.9, 1.1, 1.5)  # supply over demand, per product
    priced: float = 1 / 3  # share of lines with a max price
    price_spread: tuple[float, float] = (0.8, 1.3)  # of an offer's unit price
    tolerance_of_pack: float = 1 / 4  # the largest tolerance, in packs


SHAPES = {
    "scarce": Shape(scarcity=(0.3, 0.5, 0.7)),
    "priced": Shape(priced=0.9, price_spread=(0.9, 1.2)),
    "near_equal": Shape(price_spread=(0.995, 1.005), priced=0.6),
    "no_tolerance": Shape(tolerance_of_pack=0, scarcity=(0.8, 1.2, 2.0)),
}


def generate(
    seed: int,
    *,
    producers: int,
    coops: int,
    offers: int,
    lines: int,
    products: int = 60,
    shape: Shape = Shape(),
) -> AllocationProblem:
    """A network in a 150 x 150 km region; supply roughly matches demand overall, with
    some products scarce and some plentiful, as real cycles are."""
    rng = random.Random(seed)

    def new_id() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128))

    def place() -> tuple[float, float]:
        return rng.uniform(0, 150), rng.uniform(0, 150)

    producer_ids = [new_id() for _ in range(producers)]
    coop_ids = [new_id() for _ in range(coops)]
    where = {p: place() for p in [*producer_ids, *coop_ids]}
    catalogue = []
    for n in range(products):
        name, grams, packs, price = PRODUCTS[n % len(PRODUCTS)]
        scarcity = rng.choice(shape.scarcity)
        catalogue.append((new_id(), grams, packs, price, scarcity, f"{name}-{n}"))
    demand_per_product: dict[uuid.UUID, int] = {}
    demand_lines = []
    for _ in range(lines):
        product_id, _, packs, price, _, _ = rng.choice(catalogue)
        firm = max(1, int(rng.lognormvariate(math.log(max(packs) / 3), 0.8)))
        demand_per_product[product_id] = demand_per_product.get(product_id, 0) + firm
        demand_lines.append(
            DemandLine(
                id=new_id(),
                coop_id=rng.choice(coop_ids),
                product_id=product_id,
                firm_quantity=firm,
                tolerance=rng.choice([0, 0, 1, 2, 3, int(max(packs) * shape.tolerance_of_pack)])
                if shape.tolerance_of_pack
                else 0,
                max_unit_price_ore=int(price * rng.uniform(0.9, 1.6))
                if rng.random() < shape.priced
                else None,
            )
        )
    offers_per_product = max(1, offers // products)
    supply = []
    for product_id, grams, packs, price, scarcity, _ in catalogue:
        wanted = demand_per_product.get(product_id, 0) * scarcity
        for _ in range(offers_per_product):
            pack_units = rng.choice(packs)
            share = wanted / offers_per_product
            supply.append(
                Offer(
                    id=new_id(),
                    producer_id=rng.choice(producer_ids),
                    product_id=product_id,
                    pack_units=pack_units,
                    packs_available=max(1, round(share * rng.uniform(0.5, 1.5) / pack_units)),
                    price_per_pack_ore=int(price * pack_units * rng.uniform(*shape.price_spread)),
                    valid_from=DELIVERY - dt.timedelta(days=rng.choice([1, 7, 30])),
                    valid_until=DELIVERY + dt.timedelta(days=rng.choice([-1, 3, 14, 30])),
                    grams_per_unit=grams,
                )
            )
    transport = [
        TransportEstimate(producer_id=p, coop_id=c, ore_per_kg=_ore_per_kg(where[p], where[c]))
        for p in producer_ids
        for c in coop_ids
    ]
    return AllocationProblem(
        delivery_date=DELIVERY, offers=supply, lines=demand_lines, transport=transport
    )


def _ore_per_kg(a: tuple[float, float], b: tuple[float, float]) -> int:
    """A van's marginal cost per kg: about 0.5 öre per kg-km, and a 20 öre handling floor."""
    return 20 + round(0.5 * math.dist(a, b) * 1.3)
