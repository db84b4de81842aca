"""Routing on generated networks shaped like a Swedish county: joint runs against every
producer delivering alone, and how planning time grows with the shipments."""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass

from services.matcher.engine.routing.model import Place, RoutingProblem, Shipment, Vehicle, Window
from services.matcher.engine.routing.plans import plan_routing
from services.matcher.engine.routing.travel import great_circle, places_of

UPPSALA = Place(lat=59.8586, lon=17.6389)
HOUR = 3600


@dataclass(frozen=True)
class SavingsRow:
    shipments: int
    farms: int
    coops: int
    vans: int
    plan_km: float
    alone_km: float
    plan_kr: float
    alone_kr: float
    unserved: int
    seconds: float
    proposed: str
    hub_km: float | None


def network(shipments: int, seed: int = 1) -> RoutingProblem:
    """Farms and co-ops within about 70 km of Uppsala; a van per 12 shipments."""
    rng = random.Random(seed)
    farms = max(4, shipments // 8)
    coops = max(4, shipments // 8)

    def around() -> Place:
        return Place(
            lat=UPPSALA.lat + rng.uniform(-0.6, 0.6), lon=UPPSALA.lon + rng.uniform(-1.1, 1.1)
        )

    farm_places = [around() for _ in range(farms)]
    coop_places = [around() for _ in range(coops)]
    pairs: set[tuple[int, int, str]] = set()
    while len(pairs) < shipments:
        pairs.add(
            (
                rng.randrange(farms),
                rng.randrange(coops),
                rng.choice(["ambient", "ambient", "chilled"]),
            )
        )
    items = [
        Shipment(
            producer_id=uuid.UUID(int=1 + f),
            coop_id=uuid.UUID(int=10_000 + c),
            temperature=t,  # type: ignore[arg-type]
            grams=rng.randint(3_000, 40_000),
            ml=rng.randint(4_000, 60_000),
            pickup=farm_places[f],
            delivery=coop_places[c],
            pickup_window=Window(opens_s=6 * HOUR, closes_s=14 * HOUR),
            delivery_window=Window(opens_s=8 * HOUR, closes_s=19 * HOUR),
        )
        for f, c, t in sorted(pairs)
    ]
    vans = [
        Vehicle(
            id=uuid.UUID(int=90_000 + n),
            capacity_grams=900_000,
            capacity_ml=5_000_000,
            cold_capable=n % 2 == 0,
            start=UPPSALA,
            end=UPPSALA,
            shift=Window(opens_s=6 * HOUR, closes_s=20 * HOUR),
            fixed_cost_ore=20_000,
            cost_per_km_ore=450,
            cost_per_hour_ore=30_000,
        )
        for n in range(max(2, shipments // 12))
    ]
    return RoutingProblem(shipments=items, vehicles=vans)


def savings(shipments: int, seed: int = 1) -> SavingsRow:
    problem = network(shipments, seed)
    matrix = great_circle(places_of(problem), road_factor=1.3, speed_kmh=60)
    own = problem.vehicles[1]
    started = time.process_time()
    result = plan_routing(problem, matrix, own_van=own, hub=UPPSALA)  # the vans' depot
    spent = time.process_time() - started
    joint, alone = result.chosen.totals, result.baseline.totals
    return SavingsRow(
        shipments=shipments,
        farms=len({s.producer_id for s in problem.shipments}),
        coops=len({s.coop_id for s in problem.shipments}),
        vans=len(problem.vehicles),
        plan_km=joint.distance_m / 1000,
        alone_km=alone.distance_m / 1000,
        plan_kr=joint.cost_ore / 100,
        alone_kr=alone.cost_ore / 100,
        unserved=len(result.chosen.unserved),
        seconds=spent,
        proposed=result.proposed,
        hub_km=result.hub.plan.totals.distance_m / 1000 if result.hub else None,
    )
