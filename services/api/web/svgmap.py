"""The routes drawn as SVG from their coordinates alone, so the map works offline.

An equirectangular projection around the routes' middle latitude (longitudes shrunk
by its cosine), scaled into a fixed-width box: at a region's scale the distortion is
invisible, and no tiles, fonts or scripts are fetched.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec

from services.api.runs.schemas import RouteOut

WIDTH = 1000.0
PAD = 40.0
# Distinguishable for the common colour-vision deficiencies (Okabe & Ito).
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


class Line(msgspec.Struct, kw_only=True):
    route_no: int
    colour: str
    points: str  # "x,y x,y ..." for <polyline points>


class Marker(msgspec.Struct, kw_only=True):
    x: float
    y: float
    kind: str  # start, pickup, delivery, end
    label: str  # the organisation met there; empty at a depot or the hub
    left: bool  # near the right edge: the label goes to the left of the mark


class SvgMap(msgspec.Struct, kw_only=True):
    width: float
    height: float
    lines: list[Line]
    markers: list[Marker]


def draw(routes: Sequence[RouteOut], names: dict[object, str]) -> SvgMap | None:
    """The map of ``routes``; None when they have no stops to draw."""
    stops = [stop for route in routes for stop in route.stops]
    if not stops:
        return None
    lats = [stop.lat for stop in stops]
    lons = [stop.lon for stop in stops]
    shrink = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = max((max(lons) - min(lons)) * shrink, 1e-6)
    span_y = max(max(lats) - min(lats), 1e-6)
    scale = (WIDTH - 2 * PAD) / max(span_x, span_y)
    height = span_y * scale + 2 * PAD

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return (
            round(PAD + (lon - min(lons)) * shrink * scale, 1),
            round(PAD + (max(lats) - lat) * scale, 1),
        )

    lines, markers, seen = [], [], set()
    for number, route in enumerate(routes):
        points = [xy(stop.lat, stop.lon) for stop in route.stops]
        lines.append(
            Line(
                route_no=route.route_no,
                colour=COLOURS[number % len(COLOURS)],
                points=" ".join(f"{x},{y}" for x, y in points),
            )
        )
        for stop, (x, y) in zip(route.stops, points, strict=True):
            key = (x, y, stop.kind in ("start", "end"))
            if key in seen:
                continue
            seen.add(key)
            label = names.get(stop.organisation_id, "") if stop.organisation_id else ""
            markers.append(Marker(x=x, y=y, kind=stop.kind, label=label, left=x > WIDTH * 0.6))
    return SvgMap(width=WIDTH, height=round(height, 1), lines=lines, markers=markers)
