"""Distances and driving times between the places of a routing problem.

The engine takes a ``TravelMatrix`` as given. ``great_circle`` makes one without any
network: haversine distance times a road factor, at an average speed. The matcher
may instead ask an OSRM-compatible ``/table`` service (``services/matcher/matching/osrm.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec
import numpy as np

from services.matcher.engine.allocation.transport import EARTH_RADIUS_KM
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
    """``allocation.transport.road_km`` between every two places, in metres and seconds.

    The same numbers as calling it per pair, in a fraction of the time: what each place
    alone decides (radians, the cosine of its latitude) is worked out once per place,
    the arithmetic between pairs in numpy (each operation rounded as Python rounds it),
    and the sines, squares and arcsines per pair through Python's ``math`` and ``**``, as
    ``road_km`` calls them: numpy's own may differ in the last bit, by machine, and so
    would a plan. The formula is symmetric bit for bit (the sine is odd, the products
    commute), so each pair is worked out once and mirrored."""
    n = len(places)
    if n == 0:
        return TravelMatrix(metres=[], seconds=[])
    lat = np.array([math.radians(p.lat) for p in places])
    lon = np.array([math.radians(p.lon) for p in places])
    cos = np.array([math.cos(x) for x in lat.tolist()])
    above_i, above_j = np.triu_indices(n, 1)  # row i to column j, i < j
    sin, asin, sqrt = math.sin, math.asin, math.sqrt
    lat_half = [sin(x) ** 2 for x in ((lat[above_j] - lat[above_i]) / 2).tolist()]
    lon_half = [sin(x) ** 2 for x in ((lon[above_j] - lon[above_i]) / 2).tolist()]
    h = np.array(lat_half) + cos[above_i] * cos[above_j] * np.array(lon_half)
    arcs = np.array([asin(sqrt(x)) for x in h.tolist()])
    km = 2 * EARTH_RADIUS_KM * arcs * road_factor
    metres = np.zeros((n, n))
    metres[above_i, above_j] = np.rint(km * 1000)  # round half to even, as round() does
    metres[above_j, above_i] = metres[above_i, above_j]
    seconds = np.rint(metres * 3.6 / speed_kmh)
    return TravelMatrix(
        metres=metres.astype(np.int64).tolist(), seconds=seconds.astype(np.int64).tolist()
    )


def submatrix(matrix: TravelMatrix, rows: Sequence[Place], wanted: Sequence[Place]) -> TravelMatrix:
    """The part of ``matrix`` (whose rows are ``rows``) between the ``wanted`` places."""
    at = {place: i for i, place in enumerate(rows)}
    picks = [at[place] for place in wanted]
    return TravelMatrix(
        metres=[[matrix.metres[i][j] for j in picks] for i in picks],
        seconds=[[matrix.seconds[i][j] for j in picks] for i in picks],
    )
