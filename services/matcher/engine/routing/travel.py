"""Distances and driving times between the places of a routing problem.

The engine takes a ``TravelMatrix`` as given. ``great_circle`` makes one without any
network: haversine distance times a road factor, at an average speed. The matcher
may instead ask an OSRM-compatible ``/table`` service (``services/matcher/matching/osrm.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from services.matcher.engine.allocation.transport import road_km
from services.matcher.engine.routing.model import Place, RoutingProblem


class TravelMatrix(msgspec.Struct, frozen=True, kw_only=True):
    """``metres[i][j]`` and ``seconds[i][j]`` from place ``i`` to place ``j``."""

    metres: list[list[int]]
    seconds: list[list[int]]


def places_of(problem: RoutingProblem) -> list[Place]:
    """Every distinct place of the problem, by latitude then longitude: the matrix's
    rows, in an order that depends on the places alone."""
    places = {place for vehicle in problem.vehicles for place in (vehicle.start, vehicle.end)}
    places |= {
        place for shipment in problem.shipments for place in (shipment.pickup, shipment.delivery)
    }
    return sorted(places)


def places_with_hub(problem: RoutingProblem, hub: Place | None) -> list[Place]:
    """The rows of the matrix a run plans with: the problem's places, and the hub's
    when the network has one."""
    places = places_of(problem)
    return places if hub is None or hub in places else [*places, hub]


def great_circle(places: Sequence[Place], *, road_factor: float, speed_kmh: float) -> TravelMatrix:
    metres = [
        [round(road_km((a.lat, a.lon), (b.lat, b.lon), road_factor) * 1000) for b in places]
        for a in places
    ]
    seconds = [[round(m * 3.6 / speed_kmh) for m in row] for row in metres]
    return TravelMatrix(metres=metres, seconds=seconds)


def submatrix(matrix: TravelMatrix, rows: Sequence[Place], wanted: Sequence[Place]) -> TravelMatrix:
    """The part of ``matrix`` (whose rows are ``rows``) between the ``wanted`` places."""
    at = {place: i for i, place in enumerate(rows)}
    picks = [at[place] for place in wanted]
    return TravelMatrix(
        metres=[[matrix.metres[i][j] for j in picks] for i in picks],
        seconds=[[matrix.seconds[i][j] for j in picks] for i in picks],
    )
