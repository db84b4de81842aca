"""The run map: every stop inside the picture, and map tiles exactly under the stops."""

from __future__ import annotations

import math
import re
import uuid
from typing import Any

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from services.api.runs.schemas import RouteOut
from services.api.web.svgmap import draw

OSM = "https://tile.example.org/{z}/{x}/{y}.png"


def _route(places: list[tuple[float, float]]) -> RouteOut:
    now = "2026-12-01T08:00:00Z"
    stops: list[dict[str, Any]] = [
        {
            "seq": n,
            "kind": "start" if n == 0 else "end" if n == len(places) - 1 else "delivery",
            "organisation_id": None if n in (0, len(places) - 1) else str(uuid.uuid4()),
            "shipment_id": None,
            "arrival_at": now,
            "departure_at": now,
            "load_grams": 0,
            "load_ml": 0,
            "lat": lat,
            "lon": lon,
        }
        for n, (lat, lon) in enumerate(places)
    ]
    return msgspec.convert(
        {
            "id": str(uuid.uuid4()),
            "plan": "joint",
            "route_no": 1,
            "vehicle_id": None,
            "producer_id": None,
            "distance_m": 0,
            "duration_s": 0,
            "cost_ore": 0,
            "co2_grams": 0,
            "unshared_ore": 0,
            "stops": stops,
            "cost_shares": [],
        },
        RouteOut,
    )


def _slippy(lat: float, lon: float, zoom: int) -> tuple[int, int]:
    """The tile holding a point, by the OpenStreetMap wiki's formula."""
    n = 2**zoom
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


places = st.lists(
    st.tuples(st.floats(55.3, 69.0), st.floats(11.0, 24.0)), min_size=2, max_size=12
)  # Sweden


@given(places)
def test_every_stop_is_drawn_inside_the_picture(points: list[tuple[float, float]]) -> None:
    drawn = draw([_route(points)], {})
    assert drawn is not None
    for marker in drawn.markers:
        assert 0 <= marker.x <= drawn.width
        assert 0 <= marker.y <= drawn.height
    assert drawn.tiles == []  # no tile server: nothing to fetch


@given(places)
def test_tiles_lie_exactly_under_the_stops(points: list[tuple[float, float]]) -> None:
    route = _route(points)
    drawn = draw([route], {}, OSM)
    assert drawn is not None
    zooms = {int(re.search(r"/(\d+)/", tile.href).group(1)) for tile in drawn.tiles}  # type: ignore[union-attr]
    (zoom,) = zooms
    placed = {
        tuple(int(v) for v in re.findall(r"/(\d+)", tile.href)[1:3]): tile for tile in drawn.tiles
    }
    xs = [float(p.split(",")[0]) for p in drawn.lines[0].points.split()]
    ys = [float(p.split(",")[1]) for p in drawn.lines[0].points.split()]
    for stop, x, y in zip(route.stops, xs, ys, strict=True):
        tile = placed[_slippy(stop.lat, stop.lon, zoom)]
        assert tile.x - 0.2 <= x <= tile.x + tile.size + 0.2
        assert tile.y - 0.2 <= y <= tile.y + tile.size + 0.2
