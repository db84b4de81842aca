"""The insertion start is bounded by its work: on a network too large for its first
regret insertion to finish within the bound, it stops there and leaves the rest to the
search (PyVRP), the same way on every machine."""

from __future__ import annotations

import random
from typing import Any

import pytest

from bench.shapes import tight_cold
from services.matcher.engine.routing import insertion
from services.matcher.engine.routing.insertion import start_routes, work
from services.matcher.engine.routing.model import RoutingProblem, Window
from services.matcher.engine.routing.travel import great_circle, places_of
from tests.support.routing import shipment, van

DAY = Window(opens_s=6 * 3600, closes_s=18 * 3600)


def network() -> RoutingProblem:
    rng = random.Random(5)
    shipments = [
        shipment(rng, farm, coop, grams=5_000, pickup_window=DAY, delivery_window=DAY)
        for farm in range(6)
        for coop in range(6)
    ]
    return RoutingProblem(shipments=shipments, vehicles=[van(n) for n in range(1, 5)])


def placed(checks: int) -> tuple[int, bool]:
    problem = network()
    places = places_of(problem)
    matrix = great_circle(places, road_factor=1.3, speed_kmh=60)
    index: dict[object, int] = {place: n for n, place in enumerate(places)}
    routes, clock_stopped = start_routes(
        problem, matrix, index, list(range(len(problem.shipments))), seed=1, checks=checks
    )
    return sum(len(visits) for _, visits in routes) // 2, clock_stopped


def test_the_first_insertion_stops_at_the_work_bound_and_leaves_the_rest() -> None:
    everything, _ = placed(work(36, seconds=10))
    assert everything == 36
    few, clock_stopped = placed(2_000)
    assert 0 < few < 36
    assert not clock_stopped  # the work stopped it, not the clock: the same everywhere
    assert placed(2_000) == (few, False)


def rounds_done(problem: RoutingProblem, checks: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many rounds of ruin and recreate the start did."""
    rounds = [0]
    real_ruin = insertion._ruin

    def counted(*args: Any) -> Any:
        rounds[0] += 1
        return real_ruin(*args)

    monkeypatch.setattr(insertion, "_ruin", counted)
    places = places_of(problem)
    matrix = great_circle(places, road_factor=1.3, speed_kmh=60)
    index: dict[object, int] = {place: n for n, place in enumerate(places)}
    start_routes(problem, matrix, index, list(range(len(problem.shipments))), 1, checks)
    monkeypatch.setattr(insertion, "_ruin", real_ruin)
    return rounds[0]


def test_a_start_that_leaves_shipments_after_few_rounds_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """tight_cold's start leaves shipments. With work for a few rounds only, ruin and
    recreate goes on, the same work again, up to ``MORE_STRETCHES`` times more (it
    does not reach ``FEW_ROUNDS`` a shipment here); with that off, it stops at its
    work. Bounded by work, so the same twice. A start that carries every shipment
    stops at its work."""
    tight = tight_cold(1).problem
    checks = 200_000
    more = rounds_done(tight, checks, monkeypatch)
    assert rounds_done(tight, checks, monkeypatch) == more
    monkeypatch.setattr(insertion, "MORE_STRETCHES", 0)
    once = rounds_done(tight, checks, monkeypatch)
    assert 0 < once < more < insertion.FEW_ROUNDS * len(tight.shipments)
    assert more >= 3 * once  # about 4 times the work: rounds cost about the same
    roomy = network()
    monkeypatch.setattr(insertion, "MORE_STRETCHES", 3)
    with_more = rounds_done(roomy, checks, monkeypatch)
    monkeypatch.setattr(insertion, "MORE_STRETCHES", 0)
    assert rounds_done(roomy, checks, monkeypatch) == with_more > 0
    assert placed(checks) == (36, False)
