"""The routing stage of a run: the joint plan, the baseline it is compared with, and
who pays for each route.

- joint: the network's vehicles carry every shipment they can (``solver.solve``);
- baseline: every producer delivers its own shipments alone, in one round trip from
  its farm in its own van, visiting its co-ops in the best order (same solver); only
  the shipments the joint plan carries, so savings compare like for like;
- cost shares: each joint route's cost split by the co-ops' stand-alone costs, the
  cost of that route's vehicle carrying just that co-op's shipments on it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from uuid import UUID

import msgspec

from services.matcher.engine.routing.model import (
    Place,
    Route,
    RoutePlan,
    RoutingProblem,
    Shipment,
    Totals,
    Vehicle,
)
from services.matcher.engine.routing.shares import CostShares, share_route_cost
from services.matcher.engine.routing.solver import Budget, solve, totals
from services.matcher.engine.routing.travel import TravelMatrix, places_of

STANDALONE_BUDGET = Budget(iterations=300, seconds=2)
OWN_VAN = UUID("6f0c5e84-6a33-4c36-9b2f-5a6f2a1f0000")  # namespace of producers' own vans


class RouteShares(msgspec.Struct, frozen=True, kw_only=True):
    route: int  # index into the joint plan's routes
    standalone_ore: dict[UUID, int]
    shares: CostShares


class Savings(msgspec.Struct, frozen=True, kw_only=True):
    distance_m: int
    duration_s: int
    cost_ore: int
    co2_grams: int


class Routing(msgspec.Struct, frozen=True, kw_only=True):
    shipments: list[Shipment]
    joint: RoutePlan
    baseline: RoutePlan
    own_vans: list[Vehicle]  # the baseline's vehicles, one per producer
    shares: list[RouteShares]
    savings: Savings


def plan_routing(
    problem: RoutingProblem,
    matrix: TravelMatrix,
    *,
    own_van: Vehicle,
    producer_share_permille: int = 0,
    budget: Budget | None = None,
) -> Routing:
    """``matrix`` covers ``places_of(problem)``; ``own_van`` is what a producer drives
    in the baseline (its id, start and end are replaced per producer)."""
    budget = budget or Budget.for_size(len(problem.shipments))
    joint = solve(problem, matrix, budget)
    left = {item.shipment for item in joint.unserved}
    carried = [n for n in range(len(problem.shipments)) if n not in left]
    baseline, vans = plan_baseline(problem, matrix, own_van, budget, carried)
    shares = [
        _share(problem, matrix, number, route, producer_share_permille)
        for number, route in enumerate(joint.routes)
    ]
    return Routing(
        shipments=problem.shipments,
        joint=joint,
        baseline=baseline,
        own_vans=vans,
        shares=shares,
        savings=savings(joint.totals, baseline.totals),
    )


def savings(joint: Totals, baseline: Totals) -> Savings:
    return Savings(
        distance_m=baseline.distance_m - joint.distance_m,
        duration_s=baseline.duration_s - joint.duration_s,
        cost_ore=baseline.cost_ore - joint.cost_ore,
        co2_grams=baseline.co2_grams - joint.co2_grams,
    )


def plan_baseline(
    problem: RoutingProblem,
    matrix: TravelMatrix,
    own_van: Vehicle,
    budget: Budget,
    shipments: list[int],
) -> tuple[RoutePlan, list[Vehicle]]:
    """Each producer alone: one van from its farm, big enough for all it sends, for the
    given shipments (those the joint plan carries, so the two compare like for like)."""
    by_producer: dict[UUID, list[int]] = defaultdict(list)
    for number in shipments:
        by_producer[problem.shipments[number].producer_id].append(number)
    routes: list[Route] = []
    unserved = []
    vans = []
    for producer_id, numbers in sorted(by_producer.items()):
        mine = [problem.shipments[n] for n in numbers]
        farm = mine[0].pickup
        van = msgspec.structs.replace(
            own_van,
            id=uuid.uuid5(OWN_VAN, str(producer_id)),
            producer_id=producer_id,
            start=farm,
            end=farm,
            capacity_grams=max(own_van.capacity_grams, sum(s.grams for s in mine)),
            capacity_ml=max(own_van.capacity_ml, sum(s.ml for s in mine)),
            cold_capable=True,  # a producer of cold goods has its own way to keep them cold
        )
        vans.append(van)
        sub = RoutingProblem(shipments=mine, vehicles=[van])
        alone = solve(
            sub, submatrix(matrix, places_of(problem), places_of(sub)), _scaled(budget, len(mine))
        )
        routes += [_renumber(route, numbers) for route in alone.routes]
        unserved += [
            msgspec.structs.replace(left, shipment=numbers[left.shipment])
            for left in alone.unserved
        ]
    plan = RoutePlan(
        routes=routes,
        unserved=sorted(unserved, key=lambda left: left.shipment),
        totals=totals(routes),
    )
    return plan, vans


def _scaled(budget: Budget, shipments: int) -> Budget:
    """The budget for a producer's own round trip: as for a problem of its size."""
    own = Budget.for_size(shipments, seed=budget.seed)
    return Budget(
        iterations=min(own.iterations, budget.iterations),
        seconds=min(own.seconds, budget.seconds),
        seed=budget.seed,
    )


def _renumber(route: Route, numbers: list[int]) -> Route:
    """A sub-problem's route, its stops naming the whole problem's shipments."""
    stops = [
        stop
        if stop.shipment is None
        else msgspec.structs.replace(stop, shipment=numbers[stop.shipment])
        for stop in route.stops
    ]
    return msgspec.structs.replace(route, stops=stops)


def submatrix(matrix: TravelMatrix, rows: Sequence[Place], wanted: Sequence[Place]) -> TravelMatrix:
    at = {place: i for i, place in enumerate(rows)}
    picks = [at[place] for place in wanted]
    return TravelMatrix(
        metres=[[matrix.metres[i][j] for j in picks] for i in picks],
        seconds=[[matrix.seconds[i][j] for j in picks] for i in picks],
    )


def _share(
    problem: RoutingProblem,
    matrix: TravelMatrix,
    number: int,
    route: Route,
    producer_share_permille: int,
) -> RouteShares:
    vehicle = next(v for v in problem.vehicles if v.id == route.vehicle_id)
    by_coop: dict[UUID, list[Shipment]] = defaultdict(list)
    grams: dict[UUID, int] = defaultdict(int)
    for stop in route.stops:
        if stop.kind == "delivery" and stop.shipment is not None:
            shipment = problem.shipments[stop.shipment]
            by_coop[shipment.coop_id].append(shipment)
            grams[shipment.producer_id] += shipment.grams
    standalone = {}
    for coop_id, shipments in sorted(by_coop.items()):
        sub = RoutingProblem(shipments=shipments, vehicles=[vehicle])
        alone = solve(sub, submatrix(matrix, places_of(problem), places_of(sub)), STANDALONE_BUDGET)
        # the solver found the route with all of them; if it could not (it can: the
        # joint route did), the joint route's cost is the honest bound
        standalone[coop_id] = alone.totals.cost_ore if not alone.unserved else route.cost_ore
    shares = share_route_cost(route.cost_ore, standalone, grams, producer_share_permille)
    return RouteShares(route=number, standalone_ore=standalone, shares=shares)
