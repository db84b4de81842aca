"""The same network gives the same plans whatever its ids: only what the shipments and
vans are decides, never the ids they carry nor the order those ids sort them in."""

from __future__ import annotations

import random
import uuid
from uuid import UUID

import msgspec

from services.matcher.engine.routing.model import Place, RoutePlan, RoutingProblem, Vehicle
from services.matcher.engine.routing.plans import Routing, plan_routing
from services.matcher.engine.routing.solver import Budget
from services.matcher.engine.routing.travel import great_circle, places_with_hub
from tests.support.routing import shipment, van

HUB = Place(lat=59.85, lon=17.66)
NOBODY = uuid.UUID(int=0)
OWN_VAN = van(0)  # the baseline's: every producer's own van is alike
BUDGET = Budget(iterations=300, seconds=600)  # the iterations end every search


def network() -> RoutingProblem:
    """Eight farms sending to most of eight co-ops, some goods chilled; four vans."""
    rng = random.Random(11)
    shipments = [
        shipment(
            rng, farm, coop, grams=9_000, temperature="chilled" if coop % 3 == 0 else "ambient"
        )
        for farm in range(8)
        for coop in range(8)
        if rng.random() < 0.6
    ]
    vans = [van(1, cold=True), van(2), van(3), van(4, cold=True)]
    return RoutingProblem(shipments=shipments, vehicles=vans)


def renamed(problem: RoutingProblem, seed: int) -> tuple[RoutingProblem, dict[UUID, UUID]]:
    """The same network with fresh ids, in the order the new ids sort it, as the
    database hands it over."""
    rng = random.Random(seed)
    fresh: dict[UUID, UUID] = {}

    def new(old: UUID) -> UUID:
        return fresh.setdefault(old, uuid.UUID(int=rng.getrandbits(128), version=4))

    shipments = [
        msgspec.structs.replace(s, producer_id=new(s.producer_id), coop_id=new(s.coop_id))
        for s in problem.shipments
    ]
    vehicles = [msgspec.structs.replace(v, id=new(v.id)) for v in problem.vehicles]
    shipments.sort(key=lambda s: (s.producer_id, s.coop_id, s.temperature))
    vehicles.sort(key=lambda v: v.id)
    return RoutingProblem(shipments=shipments, vehicles=vehicles), fresh


def routing(problem: RoutingProblem) -> Routing:
    rows = places_with_hub(problem, HUB)
    matrix = great_circle(rows, road_factor=1.3, speed_kmh=60)
    return plan_routing(problem, matrix, rows=rows, hub=HUB, own_van=van(0), budget=BUDGET)


def journeys(plan: RoutePlan, problem: RoutingProblem) -> list[tuple[Vehicle, list[object]]]:
    """Each route as its van (what it is: two vans alike but for their ids may trade
    routes) and its stops' kinds, places, times and loads."""
    vans = {v.id: msgspec.structs.replace(v, id=NOBODY) for v in problem.vehicles}
    return [
        (
            vans.get(route.vehicle_id, OWN_VAN),
            [(s.kind, s.place, s.arrival_s, s.departure_s, s.load_grams) for s in route.stops],
        )
        for route in plan.routes
    ]


def test_fresh_ids_give_the_same_plans() -> None:
    problem = network()
    original = routing(problem)
    assert not original.clock_capped
    for seed in (1, 2):
        again, fresh = renamed(problem, seed)
        result = routing(again)
        back = {new: old for old, new in fresh.items()}
        assert not result.clock_capped
        assert result.proposed == original.proposed
        assert journeys(result.joint, again) == journeys(original.joint, problem)
        assert result.hub is not None
        assert original.hub is not None
        assert journeys(result.hub.plan, again) == journeys(original.hub.plan, problem)
        assert journeys(result.baseline, again) == journeys(original.baseline, problem)
        assert result.joint.totals == original.joint.totals
        assert result.hub.plan.totals == original.hub.plan.totals
        assert result.baseline.totals == original.baseline.totals
        assert [
            {back[coop]: ore for coop, ore in item.standalone_ore.items()} for item in result.shares
        ] == [item.standalone_ore for item in original.shares]
