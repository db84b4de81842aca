"""Routing networks of other shapes than bench/routing.py's even county (issue 18,
point 5): seeded, as the engine's ``RoutingProblem`` with the vans' depot doubling as
the hub.

- ``many_coops``: a few farms, each shipping to 10-40 of 40 co-ops around Uppsala;
- ``malardalen``: farms spread over Mälardalen (Örebro to Norrtälje, about 200 km
  across), co-ops in its towns, vans from Västerås;
- ``tight_cold``: half the shipments chilled or frozen, a fleet with about a fifth more
  room than the load and cold vans with about a tenth more than the cold load;
- ``equal_windows``: every farm's pickup window 6-10 and every co-op's 10-14, give or
  take a quarter of an hour.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from services.matcher.engine.allocation.model import Temperature
from services.matcher.engine.routing.model import Place, RoutingProblem, Shipment, Vehicle, Window

HOUR = 3600
UPPSALA = Place(lat=59.8586, lon=17.6389)
VASTERAS = Place(lat=59.6099, lon=16.5448)
# Mälardalen's towns, where its co-ops are
TOWNS = [
    Place(lat=59.3293, lon=18.0686),  # Stockholm
    UPPSALA,
    VASTERAS,
    Place(lat=59.2753, lon=15.2134),  # Örebro
    Place(lat=59.3712, lon=16.5098),  # Eskilstuna
    Place(lat=59.6390, lon=17.0776),  # Enköping
    Place(lat=59.1955, lon=17.6253),  # Södertälje
    Place(lat=58.7530, lon=17.0079),  # Nyköping
    Place(lat=59.7570, lon=18.7049),  # Norrtälje
    Place(lat=59.9200, lon=16.6063),  # Sala
    Place(lat=59.5140, lon=15.9926),  # Köping
    Place(lat=59.3774, lon=17.0312),  # Strängnäs
]


MOSTLY_AMBIENT: list[Temperature] = ["ambient", "ambient", "chilled"]


@dataclass(frozen=True)
class Shape:
    name: str
    what: str  # one line for the report
    problem: RoutingProblem
    hub: Place  # the vans' depot


def shapes(seed: int = 1) -> list[Shape]:
    return [make(seed) for make in SHAPES.values()]


def many_coops(seed: int = 1) -> Shape:
    """4 farms within about 40 km of Uppsala (one a dairy, one a butcher's), 40 co-ops
    within about 60 km; each farm ships to 10-40 of them; 7 vans, 3 of them cold."""
    rng = random.Random(seed)
    farms = [_around(rng, UPPSALA, 0.35, 0.65) for _ in range(4)]
    coops = [_around(rng, UPPSALA, 0.55, 1.0) for _ in range(40)]
    kinds: list[list[Temperature]] = [["chilled"], ["frozen", "chilled"], ["ambient"], ["ambient"]]
    pairs: list[tuple[int, int, Temperature]] = []
    for f in range(len(farms)):
        for c in sorted(rng.sample(range(len(coops)), rng.randint(10, 40))):
            pairs.append((f, c, rng.choice(kinds[f])))
    problem = _problem(
        rng,
        farms,
        coops,
        pairs,
        farm_window=lambda: Window(opens_s=6 * HOUR, closes_s=12 * HOUR),
        coop_window=lambda: _window(rng, 8, 19, hours=rng.choice([3, 4, 5])),
        vans=_vans(UPPSALA, 7, cold=3, kg=900),
        kg=(3, 25),
    )
    what = "4 farms near Uppsala, each shipping to 10-40 of 40 co-ops; 7 vans, 3 cold"
    return Shape("many_coops", what, problem, UPPSALA)


def malardalen(seed: int = 1) -> Shape:
    """10 farms anywhere between Örebro and Norrtälje, 24 co-ops in its 12 towns; each
    farm ships to 4-10 of them; 9 vans from Västerås, 4 of them cold."""
    rng = random.Random(seed)
    farms = [
        Place(lat=round(rng.uniform(58.9, 60.1), 5), lon=round(rng.uniform(15.3, 18.6), 5))
        for _ in range(10)
    ]
    coops = [_around(rng, town, 0.03, 0.06) for town in TOWNS for _ in range(2)]
    pairs: list[tuple[int, int, Temperature]] = []
    for f in range(len(farms)):
        for c in sorted(rng.sample(range(len(coops)), rng.randint(4, 10))):
            pairs.append((f, c, rng.choice(MOSTLY_AMBIENT)))
    problem = _problem(
        rng,
        farms,
        coops,
        pairs,
        farm_window=lambda: Window(opens_s=6 * HOUR, closes_s=14 * HOUR),
        coop_window=lambda: _window(rng, 8, 19, hours=rng.choice([5, 6, 8])),
        vans=_vans(VASTERAS, 9, cold=4, kg=1200),
        kg=(5, 40),
    )
    what = "10 farms across Mälardalen (about 200 km), co-ops in 12 towns; 9 vans, 4 cold"
    return Shape("malardalen", what, problem, VASTERAS)


def tight_cold(seed: int = 1) -> Shape:
    """10 farms and 12 co-ops within about 60 km of Uppsala, 80 shipments, half of them
    chilled or frozen; 5 vans, 2 cold, sized to the load: about a fifth more room than
    it weighs in all, and the cold vans about a tenth more than the cold part."""
    rng = random.Random(seed)
    farms = [_around(rng, UPPSALA, 0.5, 0.9) for _ in range(10)]
    coops = [_around(rng, UPPSALA, 0.5, 0.9) for _ in range(12)]
    chosen: set[tuple[int, int]] = set()
    while len(chosen) < 80:
        chosen.add((rng.randrange(len(farms)), rng.randrange(len(coops))))
    half: list[Temperature] = ["ambient", "chilled", "frozen", "ambient"]
    pairs = [(f, c, rng.choice(half)) for f, c in sorted(chosen)]
    problem = _problem(
        rng,
        farms,
        coops,
        pairs,
        farm_window=lambda: Window(opens_s=6 * HOUR, closes_s=14 * HOUR),
        coop_window=lambda: _window(rng, 8, 19, hours=rng.choice([4, 6, 8])),
        vans=[],
        kg=(5, 40),
    )
    total = sum(s.grams for s in problem.shipments)
    cold = sum(s.grams for s in problem.shipments if s.cold)
    cold_kg = math.ceil(cold * 1.1 / 2 / 1000)  # each of 2 cold vans
    warm_kg = math.ceil((total * 1.2 - 2 * cold_kg * 1000) / 3 / 1000)  # each of 3
    vans = [*_vans(UPPSALA, 2, cold=2, kg=cold_kg), *_vans(UPPSALA, 3, cold=0, kg=warm_kg, first=2)]
    what = (
        f"80 shipments near Uppsala, half cold; 5 vans: 2 cold of {cold_kg} kg, 3 of {warm_kg} kg"
    )
    return Shape(
        "tight_cold", what, RoutingProblem(shipments=problem.shipments, vehicles=vans), UPPSALA
    )


def equal_windows(seed: int = 1) -> Shape:
    """8 farms and 16 co-ops within about 60 km of Uppsala, 64 shipments; every farm
    hands over 6-10 and every co-op receives 10-14, each give or take 15 minutes;
    8 vans, 4 cold."""
    rng = random.Random(seed)
    farms = [_around(rng, UPPSALA, 0.5, 0.9) for _ in range(8)]
    coops = [_around(rng, UPPSALA, 0.5, 0.9) for _ in range(16)]
    chosen: set[tuple[int, int]] = set()
    while len(chosen) < 64:
        chosen.add((rng.randrange(len(farms)), rng.randrange(len(coops))))
    pairs = [(f, c, rng.choice(MOSTLY_AMBIENT)) for f, c in sorted(chosen)]

    def near(opens: int, closes: int) -> Window:
        shift = rng.randint(-15, 15) * 60
        return Window(opens_s=opens * HOUR + shift, closes_s=closes * HOUR + shift)

    problem = _problem(
        rng,
        farms,
        coops,
        pairs,
        farm_window=lambda: near(6, 10),
        coop_window=lambda: near(10, 14),
        vans=_vans(UPPSALA, 8, cold=4, kg=900),
        kg=(3, 30),
    )
    what = (
        "8 farms, 16 co-ops near Uppsala; pickups 6-10, deliveries 10-14 (±15 min); 8 vans, 4 cold"
    )
    return Shape("equal_windows", what, problem, UPPSALA)


SHAPES: dict[str, Callable[[int], Shape]] = {
    "many_coops": many_coops,
    "malardalen": malardalen,
    "tight_cold": tight_cold,
    "equal_windows": equal_windows,
}


def _around(rng: random.Random, centre: Place, lat: float, lon: float) -> Place:
    return Place(
        lat=round(centre.lat + rng.uniform(-lat, lat), 5),
        lon=round(centre.lon + rng.uniform(-lon, lon), 5),
    )


def _window(rng: random.Random, first: int, last: int, *, hours: int) -> Window:
    opens = rng.randint(first, last - hours)
    return Window(opens_s=opens * HOUR, closes_s=(opens + hours) * HOUR)


def _problem(
    rng: random.Random,
    farms: list[Place],
    coops: list[Place],
    pairs: list[tuple[int, int, Temperature]],
    *,
    farm_window: Callable[[], Window],
    coop_window: Callable[[], Window],
    vans: list[Vehicle],
    kg: tuple[int, int],
) -> RoutingProblem:
    """A shipment per (farm, co-op, temperature) in ``pairs``: each farm hands over in
    one window, each co-op receives in one."""
    pickup = [farm_window() for _ in farms]
    delivery = [coop_window() for _ in coops]
    shipments = [
        Shipment(
            producer_id=uuid.UUID(int=1 + f),
            coop_id=uuid.UUID(int=10_000 + c),
            temperature=t,
            grams=rng.randint(kg[0] * 1000, kg[1] * 1000),
            ml=rng.randint(kg[0] * 1500, kg[1] * 1500),
            pickup=farms[f],
            delivery=coops[c],
            pickup_window=pickup[f],
            delivery_window=delivery[c],
        )
        for f, c, t in pairs
    ]
    return RoutingProblem(shipments=shipments, vehicles=vans)


def _vans(depot: Place, count: int, *, cold: int, kg: int, first: int = 0) -> list[Vehicle]:
    """Vans as bench/routing.py's: 200 kr a day, 4.50 kr a km, 300 kr an hour, 6-20."""
    return [
        Vehicle(
            id=uuid.UUID(int=90_000 + first + n),
            capacity_grams=kg * 1000,
            capacity_ml=kg * 2000,
            cold_capable=n < cold,
            start=depot,
            end=depot,
            shift=Window(opens_s=6 * HOUR, closes_s=20 * HOUR),
            fixed_cost_ore=20_000,
            cost_per_km_ore=450,
            cost_per_hour_ore=30_000,
        )
        for n in range(count)
    ]
