"""Time at a stop is counted once: a stop's arrival is when the drive ends, the setup at
a new place overlaps any wait for the window, and nothing is set up at the end.

Drives are hand-made (a depot, a farm and a co-op a fixed number of seconds apart), so
every figure below is worked out by hand, not by the solver's own arithmetic.
"""

from __future__ import annotations

import uuid

from services.matcher.engine.routing.alone import why_not_alone
from services.matcher.engine.routing.model import (
    STOP_SETUP_S,
    Place,
    Route,
    RoutingProblem,
    Shipment,
    Vehicle,
    Window,
)
from services.matcher.engine.routing.solver import Budget, solve
from services.matcher.engine.routing.travel import TravelMatrix, places_of
from tests.unit.routing.checker import broken_rules

DEPOT, FARM, COOP = Place(lat=59.0, lon=17.0), Place(lat=59.1, lon=17.1), Place(lat=59.2, lon=17.2)
DRIVE_S = {(DEPOT, FARM): 1000, (FARM, COOP): 2000, (COOP, DEPOT): 1500}
HANDOVER_S = 60
PER_HOUR_ORE = 36_000  # 10 öre a second: a second too many shows in the cost
BUDGET = Budget(iterations=100, seconds=600)  # the iterations end every search


def matrix(problem: RoutingProblem) -> TravelMatrix:
    places = places_of(problem)

    def seconds(a: Place, b: Place) -> int:
        return 0 if a == b else DRIVE_S.get((a, b)) or DRIVE_S[(b, a)]

    return TravelMatrix(
        metres=[[seconds(a, b) * 10 for b in places] for a in places],
        seconds=[[seconds(a, b) for b in places] for a in places],
    )


def problem(
    *, coop_opens_s: int = 0, farm_closes_s: int = 24 * 3600, shift_closes_s: int = 24 * 3600
) -> RoutingProblem:
    shipment = Shipment(
        producer_id=uuid.UUID(int=1),
        coop_id=uuid.UUID(int=2),
        temperature="ambient",
        grams=10_000,
        ml=10_000,
        pickup=FARM,
        delivery=COOP,
        pickup_window=Window(opens_s=0, closes_s=farm_closes_s),
        delivery_window=Window(opens_s=coop_opens_s, closes_s=24 * 3600),
        pickup_service_s=HANDOVER_S,
        delivery_service_s=HANDOVER_S,
    )
    van = Vehicle(
        id=uuid.UUID(int=3),
        capacity_grams=500_000,
        capacity_ml=500_000,
        cold_capable=False,
        start=DEPOT,
        end=DEPOT,
        shift=Window(opens_s=6 * 3600, closes_s=shift_closes_s),
        cost_per_hour_ore=PER_HOUR_ORE,
    )
    return RoutingProblem(shipments=[shipment], vehicles=[van])


def route(of: RoutingProblem) -> Route:
    travel = matrix(of)
    plan = solve(of, travel, BUDGET)
    assert broken_rules(of, travel, plan) == []
    assert plan.unserved == []
    (only,) = plan.routes
    return only


def test_a_route_takes_its_drives_its_handovers_and_one_setup_per_stop() -> None:
    start, farm, coop, end = route(problem()).stops
    drives = 1000 + 2000 + 1500
    assert end.arrival_s - start.departure_s == drives + 2 * (STOP_SETUP_S + HANDOVER_S)
    assert farm.arrival_s == start.departure_s + 1000  # when the van gets there
    assert (farm.wait_s, farm.service_s) == (0, STOP_SETUP_S + HANDOVER_S)
    assert coop.arrival_s == farm.departure_s + 2000
    assert end.arrival_s == coop.departure_s + 1500  # no setup back at the depot


def test_the_cost_counts_each_second_once() -> None:
    only = route(problem())
    assert only.duration_s == 5220
    assert only.cost_ore == 5220 * PER_HOUR_ORE // 3600


def test_the_setup_overlaps_the_wait_for_a_window() -> None:
    """Picked up by 07:00; the co-op opens at 09:00: the van sets up while it waits, and
    the handover begins as the co-op opens."""
    _, farm, coop, end = route(problem(farm_closes_s=7 * 3600, coop_opens_s=9 * 3600)).stops
    assert farm.departure_s - HANDOVER_S <= 7 * 3600
    assert coop.arrival_s == farm.departure_s + 2000
    assert coop.departure_s - HANDOVER_S == 9 * 3600
    assert coop.wait_s == 9 * 3600 - (coop.arrival_s + STOP_SETUP_S)
    assert coop.service_s == STOP_SETUP_S + HANDOVER_S
    assert end.arrival_s == 9 * 3600 + HANDOVER_S + 1500


def test_a_shift_that_ends_as_the_van_gets_back_is_long_enough() -> None:
    """No setup at the return: a shift ending exactly when the van is back fits, both for
    the check of what one van can do and for the solver."""
    back = 6 * 3600 + 5220
    tight = problem(shift_closes_s=back)
    travel = matrix(tight)
    index: dict[object, int] = {place: i for i, place in enumerate(places_of(tight))}
    assert why_not_alone(tight.shipments[0], tight, travel, index) is None
    assert route(tight).stops[-1].arrival_s == back
    too_tight = problem(shift_closes_s=back - 1)
    assert why_not_alone(too_tight.shipments[0], too_tight, matrix(too_tight), index) == "windows"
