"""The bench's reference planner (bench/reference.py) keeps the same rules as the
engine's plans, by the same independent check: each shipment picked up before it is
delivered on one route, loads within capacity, cold goods in cold vans, every stop in
its window and every route in its shift, times and costs as the stops add up."""

from __future__ import annotations

import random

from bench.reference import ReferenceBudget, plan_reference
from services.matcher.engine.routing.model import RoutingProblem, Window
from services.matcher.engine.routing.travel import great_circle, places_of
from tests.support.routing import HOUR, shipment, van
from tests.unit.routing.checker import broken_rules

QUICK = ReferenceBudget(iterations=200, seconds=5, rounds=60)


def tiny() -> RoutingProblem:
    rng = random.Random(3)
    shipments = [
        shipment(rng, farm, coop, temperature="chilled" if farm == 0 else "ambient")
        for farm in range(3)
        for coop in range(3)
    ]
    shipments += [
        shipment(rng, 3, 0, grams=2_000_000),  # heavier than any van: left, too_heavy
        shipment(rng, 3, 1, delivery_window=Window(opens_s=6 * HOUR, closes_s=6 * HOUR + 60)),
    ]
    return RoutingProblem(
        shipments=shipments, vehicles=[van(1, grams=200_000), van(2, cold=True), van(3)]
    )


def test_the_reference_plan_is_feasible_and_carries_what_a_van_could() -> None:
    problem = tiny()
    matrix = great_circle(places_of(problem), road_factor=1.3, speed_kmh=60)
    result = plan_reference(problem, matrix, QUICK)
    assert broken_rules(problem, matrix, result.plan) == []
    assert {(left.shipment, left.reason) for left in result.plan.unserved} == {
        (9, "too_heavy"),
        (10, "windows"),
    }
    cold_van = van(2, cold=True).id
    for route in result.plan.routes:
        carried = [problem.shipments[s.shipment] for s in route.stops if s.shipment is not None]
        assert route.vehicle_id == cold_van or not any(s.cold for s in carried)


def test_the_same_seed_gives_the_same_plan() -> None:
    problem = tiny()
    matrix = great_circle(places_of(problem), road_factor=1.3, speed_kmh=60)
    first = plan_reference(problem, matrix, QUICK)
    again = plan_reference(problem, matrix, QUICK)
    assert not first.clock_capped
    assert first.plan == again.plan
