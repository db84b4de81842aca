"""The insertion start weighs each shipment against the routes of its nearest shipments
(and an empty van of each kind), not every route, over ``FULL_UP_TO`` shipments: on a
small network that is the same as weighing every route; on a large one its work grows
with the shipments, not their square, so it places every shipment the vans can carry
within a bound of work the full insertion runs far past; and the plan does not hinge on
the shipments' ids or order."""

from __future__ import annotations

import random
import uuid

import msgspec
import pytest

from services.matcher.engine.routing import solver
from services.matcher.engine.routing.insertion import (
    FULL_UP_TO,
    NEAR_SHIPMENTS,
    Sketch,
    start_routes,
)
from services.matcher.engine.routing.model import Route, RoutingProblem, Window
from services.matcher.engine.routing.solver import Budget, solve
from services.matcher.engine.routing.travel import great_circle, places_of
from tests.support.routing import HOUR, shipment, van

DAY = Window(opens_s=6 * HOUR, closes_s=18 * HOUR)


def network(
    farms: int, coops: int, vans: int, *, share: float = 1.0, kg: int = 250
) -> RoutingProblem:
    """Each farm shipping to about ``share`` of the co-ops, all day; a third of the vans
    cold, a few goods chilled; vans of ``kg``, about a dozen shipments."""
    rng = random.Random(farms * 1000 + coops)
    shipments = [
        shipment(
            rng,
            farm,
            coop,
            grams=rng.randint(5_000, 40_000),
            pickup_window=DAY,
            delivery_window=DAY,
            temperature="chilled" if rng.random() < 0.1 else "ambient",
        )
        for farm in range(farms)
        for coop in range(coops)
        if rng.random() < share
    ]
    return RoutingProblem(
        shipments=shipments,
        vehicles=[van(n, cold=n % 3 == 0, grams=kg * 1000) for n in range(1, vans + 1)],
    )


def start(problem: RoutingProblem, checks: int, near: int | None) -> list[Sketch]:
    places = places_of(problem)
    matrix = great_circle(places, road_factor=1.3, speed_kmh=60)
    index: dict[object, int] = {place: n for n, place in enumerate(places)}
    routes, clock_stopped = start_routes(
        problem, matrix, index, list(range(len(problem.shipments))), 1, checks, near=near
    )
    assert not clock_stopped  # bounded by its work alone: the same on any machine
    return routes


def carried(routes: list[Sketch]) -> int:
    return sum(len(visits) for _, visits in routes) // 2


def test_on_a_small_network_the_nearest_routes_are_every_route() -> None:
    problem = network(4, 5, 4)  # fewer shipments than a shipment's nearest
    assert len(problem.shipments) <= NEAR_SHIPMENTS
    nearest = start(problem, 200_000, NEAR_SHIPMENTS)
    assert nearest == start(problem, 200_000, None)
    assert carried(nearest) == len(problem.shipments)


def test_a_large_network_is_placed_whole_within_a_bound_the_full_insertion_runs_past() -> None:
    # 400 shipments: 10 farms each shipping to each of 40 co-ops, vans to spare
    problem = network(10, 40, 50)
    assert len(problem.shipments) > FULL_UP_TO
    checks = 2_500_000  # the first insertion over every route needs twice this
    assert carried(start(problem, checks, NEAR_SHIPMENTS)) == len(problem.shipments)
    assert carried(start(problem, checks, None)) < len(problem.shipments)


def test_the_start_and_the_plan_do_not_hinge_on_ids_or_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # ruin and recreate's work kept small, so the test stays short
    monkeypatch.setattr(solver, "work", lambda shipments, seconds: 3_000_000)
    problem = network(12, 30, 40, share=0.9)  # over FULL_UP_TO: the nearest routes
    assert len(problem.shipments) > FULL_UP_TO
    rng = random.Random(3)
    fresh: dict[uuid.UUID, uuid.UUID] = {}

    def new(old: uuid.UUID) -> uuid.UUID:
        return fresh.setdefault(old, uuid.UUID(int=rng.getrandbits(128), version=4))

    shipments = [
        msgspec.structs.replace(s, producer_id=new(s.producer_id), coop_id=new(s.coop_id))
        for s in problem.shipments
    ]
    rng.shuffle(shipments)
    vehicles = [msgspec.structs.replace(v, id=new(v.id)) for v in problem.vehicles]
    rng.shuffle(vehicles)
    renamed = RoutingProblem(shipments=shipments, vehicles=vehicles)
    places = places_of(problem)
    matrix = great_circle(places, road_factor=1.3, speed_kmh=60)
    budget = Budget(iterations=0, seconds=600)  # the start is the plan: work-bounded
    plan, again = solve(problem, matrix, budget), solve(renamed, matrix, budget)
    assert plan.totals == again.totals
    assert len(plan.unserved) == len(again.unserved) == 0

    def stops(routes: list[Route]) -> set[tuple[tuple[object, ...], ...]]:
        return {
            tuple((stop.kind, stop.place, stop.arrival_s) for stop in route.stops)
            for route in routes
        }

    assert stops(plan.routes) == stops(again.routes)
