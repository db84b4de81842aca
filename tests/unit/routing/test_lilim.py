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
