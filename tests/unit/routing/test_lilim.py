"""The Li & Lim adapter reads instances into the same structs production uses."""

from __future__ import annotations

from bench.lilim import DATA, read
from services.matcher.engine.routing.solver import Budget, solve
from tests.unit.routing.checker import broken_rules


def test_an_instance_is_read_whole_and_planned_feasibly() -> None:
    problem, matrix = read(DATA / "lc101.txt")
    assert len(problem.shipments) == 53  # 106 tasks: a pickup and a delivery each
    assert (len(problem.vehicles), problem.vehicles[0].capacity_grams) == (25, 200)
    plan = solve(problem, matrix, Budget(iterations=200, seconds=5))
    assert broken_rules(problem, matrix, plan) == []
    assert plan.unserved == []


def test_a_route_fewer_is_tried_when_a_vehicle_costs_more_than_its_driving() -> None:
    """LR2_4_1's vehicles cost more than any route's distance: 300 iterations of the
    search alone end at 10 routes (best known 8); with tries at a route fewer, at 9."""
    problem, matrix = read(DATA / "LR2_4_1.txt")
    plan = solve(problem, matrix, Budget(iterations=300, seconds=600))
    assert broken_rules(problem, matrix, plan) == []
    assert not plan.clock_capped
    assert plan.unserved == []
    assert len(plan.routes) <= 9
